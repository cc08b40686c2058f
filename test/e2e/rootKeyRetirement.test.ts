/**
 * A root key retired while the HSM signs a certificate with it, on PGlite and on PostgreSQL:
 * the retirement commits from another transaction during the software token's real signing
 * call. T2 re-checks the key under a share lock, so the number ends FAILED with
 * ROOT_KEY_NOT_USABLE and no certificate exists; the FAILED number and its audit events keep the
 * 106 bytes the key signed. The stranded request then moves to another active root key under
 * dual control (re-target), whose approval re-runs the issuance checks against the new key.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyStoredChain } from '../../lib/audit';
import { parseHex } from '../../lib/bytes';
import { listAllocations, listCertificates } from '../../lib/ca/certificates';
import { issueCertificate } from '../../lib/ca/issuance';
import { showRequest } from '../../lib/ca/requests';
import { approveRetarget, requestRetarget } from '../../lib/ca/retargets';
import { approveCeremony, requestRootKeyChange } from '../../lib/ca/rootKeys';
import { verifyIssuerCertificate } from '../../lib/codec';
import { sm2 } from '../../lib/crypto/sm2';
import { unwrap } from '../../lib/errors';
import { startPostgres, type TestPostgres } from '../support/postgres';
import { activeRootKey, approvedRequests, startHarness, type Harness } from './harness';
import { checkLedger } from './issuanceProcess';

let postgres: TestPostgres;
beforeAll(async () => {
  postgres = await startPostgres();
}, 300_000);
afterAll(() => postgres?.stop());

const code = <T>(r: { ok: true; value: T } | { ok: false; error: { code: string } }) => (r.ok ? 'ok' : r.error.code);

describe.each([
  ['PGlite', async () => startHarness()],
  ['PostgreSQL', async () => startHarness({ url: await postgres.createDatabase('retirement') })],
])('a root key retired during signing (%s)', (_, start) => {
  let h: Harness;
  beforeAll(async () => {
    h = await start();
  }, 300_000);
  afterAll(() => h?.close());

  const retire = async (index: number) => {
    const ceremony = unwrap(await requestRootKeyChange(h.ca, h.alice, 'RETIRE', index));
    unwrap(await approveCeremony(h.ca, h.bob, ceremony.id));
  };

  it('ends FAILED with ROOT_KEY_NOT_USABLE, keeps the signed bytes, and re-targets the request under dual control', async () => {
    const retiring = await activeRootKey(h, 0x85);
    await activeRootKey(h, 0x86);
    const [requestId] = await approvedRequests(h, 0x85, 1, 1);

    // The retirement commits while the token computes the certificate's signature (the first of the
    // two, the A3 record's follows); T2 starts after both.
    const keys: typeof h.keys = Object.create(h.keys);
    let retired = false;
    keys.sign = async (...args) => {
      const signing = h.keys.sign(...args);
      if (!retired) {
        retired = true;
        await retire(0x85);
      }
      return signing;
    };
    const failed = await issueCertificate({ ...h.ca, keys }, h.bob, requestId);
    expect(code(failed)).toBe('ROOT_KEY_NOT_USABLE');
    expect(failed.ok ? null : failed.error.details?.certificateNumber).toBe('1');
    expect(await listCertificates(h.ca)).toEqual([]);
    expect(await checkLedger(h.db.prisma)).toEqual({ issued: 0, failed: [{ number: 1n, code: 'ROOT_KEY_NOT_USABLE' }] });

    // The signature the retired key made is on record: with the number, and in two audit events.
    const [number] = await listAllocations(h.ca, { state: 'FAILED' });
    const signed = unwrap(parseHex(number.signed!));
    expect(signed).toHaveLength(106);
    expect(verifyIssuerCertificate(signed, unwrap(sm2.publicKeyFromBytes(unwrap(parseHex(retiring.publicKey)))), h.ca.now()).ok).toBe(true);
    const events = await h.db.prisma.auditEvent.findMany({ where: { objectType: 'certificateNumber', objectId: '1' }, orderBy: { seq: 'asc' } });
    expect(events.map((e) => [e.action, (e.details as { certificate?: string }).certificate])).toEqual([
      ['certificateNumber.reserved', undefined],
      ['certificateNumber.signed', number.signed],
      ['certificateNumber.failed', number.signed],
    ]);

    // Issuing again is refused; the request waits for a re-target.
    expect(code(await issueCertificate(h.ca, h.bob, requestId))).toBe('ROOT_KEY_NOT_USABLE');
    expect(code(await requestRetarget(h.ca, h.alice, requestId, 0x85, 'retired key'))).toBe('ROOT_KEY_NOT_USABLE');
    expect(code(await requestRetarget(h.ca, h.alice, requestId, 0x86, '  '))).toBe('RETARGET_REASON_MISSING');

    // A key that ends before the certificate would: approval re-runs the checks and fails the re-target.
    await activeRootKey(h, 0x87, { year: 2027, month: 12, day: 31 });
    const tooShort = unwrap(await requestRetarget(h.ca, h.alice, requestId, 0x87, 'root key 85 retired'));
    expect(code(await approveRetarget(h.ca, h.bob, tooShort.id))).toBe('EXPIRY_BEYOND_ROOT_KEY');
    expect(unwrap(await showRequest(h.ca, requestId)).rootKeyIndex).toBe('85');

    const retarget = unwrap(await requestRetarget(h.ca, h.alice, requestId, 0x86, 'root key 85 retired'));
    expect(code(await requestRetarget(h.ca, h.bob, requestId, 0x86, 'again'))).toBe('RETARGET_PENDING');
    // The requester cannot approve; the re-target stays open for a second officer.
    expect(code(await approveRetarget(h.ca, h.alice, retarget.id))).toBe('DUAL_CONTROL_SAME_OFFICER');
    // Nor can a bug store a self-approved one: the database repeats the two-person rule.
    await expect(
      h.db.prisma.requestRetarget.update({ where: { id: retarget.id }, data: { status: 'APPROVED', approvedById: h.alice.id, decidedAt: new Date() } }),
    ).rejects.toThrow(/request_retarget_dual_control_check/);
    expect(unwrap(await approveRetarget(h.ca, h.bob, retarget.id))).toMatchObject({ status: 'APPROVED', fromRootKeyIndex: '85', toRootKeyIndex: '86', approvedBy: h.bob.id });
    expect(code(await approveRetarget(h.ca, h.bob, retarget.id))).toBe('RETARGET_STATE');

    const issued = unwrap(await issueCertificate(h.ca, h.bob, requestId));
    expect(issued).toMatchObject({ number: '00000002', rootKeyIndex: '86' });
    expect(await checkLedger(h.db.prisma)).toEqual({ issued: 1, failed: [{ number: 1n, code: 'ROOT_KEY_NOT_USABLE' }] });
    expect(code(await requestRetarget(h.ca, h.alice, requestId, 0x87, 'issued already'))).toBe('REQUEST_STATE');

    const retargets = await h.db.prisma.auditEvent.findMany({ where: { action: { startsWith: 'certificateRequest.retarget' } }, orderBy: { seq: 'asc' } });
    expect(retargets.map((e) => e.action)).toEqual([
      'certificateRequest.retargetRequested',
      'certificateRequest.retargetFailed',
      'certificateRequest.retargetRequested',
      'certificateRequest.retargeted',
    ]);
    expect(unwrap(await verifyStoredChain(h.db.prisma)).events).toBe(await h.db.prisma.auditEvent.count());
  }, 120_000);
});
