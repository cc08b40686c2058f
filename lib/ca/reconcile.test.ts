/** `reconcileWithLog`: a certificate un-revoked by SQL still verifies as a chain, but is reported here. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unwrap } from '../errors';
import { activeRootKey, addOperator, approvedRequests, startHarness, type Harness } from '../../test/e2e/harness';
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
    expect(unwrap(await reconcileWithLog(h.ca, carol))).toEqual({ checked: 2, mismatches: [] });
    expect(unwrap(await reconcileWithLog(h.ca, h.alice).then((r) => ({ ok: true as const, value: r.ok ? 'ok' : r.error.code })))).toBe('OPERATOR_FORBIDDEN');

    await h.db.prisma.$executeRaw`UPDATE certificate SET status = 'ACTIVE', revoked_at = NULL, revocation_reason = NULL, revoked_by_id = NULL WHERE number = ${number}`;
    expect((await verifyStoredChain(h.db.prisma)).ok).toBe(true); // the chain alone sees nothing
    expect(unwrap(await reconcileWithLog(h.ca, carol)).mismatches).toEqual([{ objectType: 'certificate', objectId: number.toString(), log: 'REVOKED', table: 'ACTIVE' }]);
  });
});
