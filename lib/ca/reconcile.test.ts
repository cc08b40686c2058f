/** `reconcileWithLog`: a certificate, request, root key or operator changed by SQL still verifies as a chain, but is reported here. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unwrap } from '../errors';
import { activeRootKey, addOperator, approvedRequests, startHarness, submittedRequest, type Harness } from '../../test/e2e/harness';
import { verifyStoredChain } from '../audit';
import { revokeCertificate } from './certificates';
import { issueCertificate } from './issuance';
import { reconcileWithLog } from './reconcile';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
}, 120_000);
afterAll(() => h?.close());

describe('reconcile', () => {
  it('agrees on an untouched CA and reports a certificate un-revoked by a direct SQL update', async () => {
    await activeRootKey(h, 0x90);
    const [first, second] = await approvedRequests(h, 0x90, 1, 2);
    unwrap(await issueCertificate(h.ca, h.bob, first));
    unwrap(await issueCertificate(h.ca, h.bob, second));
    const { number } = await h.db.prisma.certificate.findFirstOrThrow({ orderBy: { number: 'asc' } });
    unwrap(await revokeCertificate(h.ca, h.alice, Number(number), 'keyCompromise'));
    const carol = await addOperator(h, 'carol', 'AUDITOR');
    // admin, admin2, alice, bob, carol; root key 90; two requests; two certificates.
    expect(unwrap(await reconcileWithLog(h.ca, carol))).toEqual({ checked: { certificate: 2, certificateRequest: 2, rootKey: 1, operator: 5 }, mismatches: [] });
    expect(unwrap(await reconcileWithLog(h.ca, h.alice).then((r) => ({ ok: true as const, value: r.ok ? 'ok' : r.error.code })))).toBe('OPERATOR_FORBIDDEN');

    await h.db.prisma.$executeRaw`UPDATE certificate SET status = 'ACTIVE', revoked_at = NULL, revocation_reason = NULL, revoked_by_id = NULL WHERE number = ${number}`;
    expect((await verifyStoredChain(h.db.prisma)).ok).toBe(true); // the chain alone sees nothing
    expect(unwrap(await reconcileWithLog(h.ca, carol)).mismatches).toEqual([{ objectType: 'certificate', objectId: number.toString(), log: 'REVOKED', table: 'ACTIVE' }]);
  });

  it('reports a request state, a root key state and an operator’s role changed by SQL', async () => {
    const carol = await h.db.prisma.operator.findUniqueOrThrow({ where: { username: 'carol' } });
    const auditor = { id: carol.id, username: carol.username, displayName: carol.displayName, roles: carol.roles };
    const open = (await submittedRequest(h, 3, { year: 2028, month: 3 })).id;
    const bob = await h.db.prisma.operator.findUniqueOrThrow({ where: { username: 'bob' } });
    await h.db.prisma.$executeRaw`UPDATE certificate_request SET state = 'EXPIRED' WHERE id = ${open}`;
    await h.db.prisma.$executeRaw`UPDATE root_key SET state = 'RETIRED', retired_at = now() WHERE index = ${0x90}`;
    // Separation of duties lets an officer become an administrator only through a change request: as the owner, with its trigger off.
    await h.db.prisma.$executeRawUnsafe(`ALTER TABLE operator DISABLE TRIGGER USER`);
    await h.db.prisma.$executeRaw`UPDATE operator SET roles = ARRAY['ADMIN']::operator_role[] WHERE id = ${bob.id}`;
    await h.db.prisma.$executeRawUnsafe(`ALTER TABLE operator ENABLE TRIGGER USER`);
    expect((await verifyStoredChain(h.db.prisma)).ok).toBe(true);
    const { number } = await h.db.prisma.certificate.findFirstOrThrow({ orderBy: { number: 'asc' } });
    expect(unwrap(await reconcileWithLog(h.ca, auditor)).mismatches).toEqual([
      { objectType: 'certificate', objectId: number.toString(), log: 'REVOKED', table: 'ACTIVE' }, // the first test's
      { objectType: 'certificateRequest', objectId: String(open), log: 'SUBMITTED', table: 'EXPIRED' },
      { objectType: 'rootKey', objectId: '90', log: 'ACTIVE', table: 'RETIRED' },
      { objectType: 'operator', objectId: String(bob.id), log: 'ACTIVE OFFICER', table: 'ACTIVE ADMIN' },
    ]);
  });
});
