/**
 * Withdrawing an issuer revokes, in the same transaction, every certificate of its that
 * terminals would still accept, with the profile's reason 03 (issuer withdrawn), one audit
 * event each; expired certificates and other status changes revoke nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyStoredChain } from '../../lib/audit';
import { parseHex } from '../../lib/bytes';
import { listCertificates, showCertificate } from '../../lib/ca/certificates';
import { approveWithdrawal, createInstitution, setInstitutionStatus } from '../../lib/ca/institutions';
import { issueCertificate } from '../../lib/ca/issuance';
import { approveRequest, issueChallenge, reviewRequest, submitRequest } from '../../lib/ca/requests';
import type { CalendarMonth } from '../../lib/codec';
import { unwrap } from '../../lib/errors';
import { checkLedger } from './issuanceProcess';
import { activeRootKey, buildRequest, issuedCertificate, startHarness, type Harness } from './harness';

let clock = new Date('2026-11-24T02:00:00Z');
let h: Harness;
const issuer = { kind: 'ISSUER' as const, code: unwrap(parseHex('00001001')) };

beforeAll(async () => {
  h = await startHarness({ now: () => clock });
});
afterAll(() => h?.close());

const issued = (serial: number, expiry: CalendarMonth) => issuedCertificate(h, serial, expiry, 0x84);

const events = (action: string) => h.db.prisma.auditEvent.findMany({ where: { action }, orderBy: { seq: 'asc' } });

describe('issuer withdrawal', () => {
  it('revokes the live certificates with reason 03 in the withdrawal, one audit event each', async () => {
    await activeRootKey(h, 0x84);
    const december = await issued(1, { year: 2026, month: 12 });
    const live = [await issued(2, { year: 2027, month: 6 }), await issued(3, { year: 2027, month: 12 })];

    // Suspension is reversible and revokes nothing.
    unwrap(await setInstitutionStatus(h.ca, h.alice, issuer, 'SUSPENDED', 'audit finding'));
    expect((await listCertificates(h.ca, { status: 'REVOKED' })).length).toBe(0);

    // January 2027: December's certificate has expired; the two others are still accepted.
    clock = new Date('2027-01-05T00:00:00Z');
    const revokedBefore = (await events('certificate.revoked')).length;
    // The administrator asks; revoking certificates needs an officer's approval as well.
    const asked = unwrap(await setInstitutionStatus(h.ca, h.admin, issuer, 'WITHDRAWN', 'left the scheme'));
    expect([asked.status, (await listCertificates(h.ca, { status: 'REVOKED' })).length]).toEqual(['SUSPENDED', 0]);
    unwrap(await approveWithdrawal(h.ca, h.alice, issuer));

    for (const certificate of live) {
      const shown = unwrap(await showCertificate(h.ca, Number.parseInt(certificate.number, 16)));
      expect(shown.status).toBe('REVOKED');
      expect(shown).toMatchObject({ revocationReason: 'issuerWithdrawn' });
    }
    expect(unwrap(await showCertificate(h.ca, Number.parseInt(december.number, 16))).status).toBe('EXPIRED');

    const revocations = (await events('certificate.revoked')).slice(revokedBefore);
    expect(revocations.map((e) => [e.objectId, (e.details as Record<string, unknown>).reasonCode, (e.details as Record<string, unknown>).cause])).toEqual(
      live.map((c) => [String(Number.parseInt(c.number, 16)), 3, 'institution.withdrawn']),
    );
    // The withdrawal's own event comes first, in the same transaction as the revocations.
    const withdrawal = (await events('institution.status')).at(-1)!;
    expect(withdrawal.seq + 1n).toBe(revocations[0].seq);
    expect(unwrap(await verifyStoredChain(h.db.prisma)).events).toBeGreaterThan(0);
  });

  it('refuses to store a certificate signed for an issuer withdrawn while the HSM was signing', async () => {
    const code = unwrap(parseHex('00001002'));
    unwrap(await createInstitution(h.ca, h.admin, { kind: 'ISSUER', code, nameZh: '第二发卡机构' }));
    const challenge = unwrap(await issueChallenge(h.ca, h.alice, 0x1002));
    const { a1 } = buildRequest({ issuerId: 0x1002, challenge: challenge.challenge, serial: 1, expiry: { year: 2027, month: 12 }, at: clock });
    const request = unwrap(await submitRequest(h.ca, h.alice, a1));
    unwrap(await reviewRequest(h.ca, h.alice, request.id, request.fingerprint));
    unwrap(await approveRequest(h.ca, h.bob, request.id, 0x84));

    // The withdrawal commits between the number's reservation (T1) and the certificate's storing (T2).
    const keys: typeof h.keys = Object.create(h.keys);
    keys.sign = async (...args) => {
      unwrap(await setInstitutionStatus(h.ca, h.admin, { kind: 'ISSUER', code }, 'WITHDRAWN', 'left during issuance'));
      unwrap(await approveWithdrawal(h.ca, h.alice, { kind: 'ISSUER', code }));
      return h.keys.sign(...args);
    };
    const issued = await issueCertificate({ ...h.ca, keys }, h.bob, request.id);
    expect(issued.ok ? 'ok' : issued.error.code).toBe('ISSUER_NOT_ACTIVE');
    expect(await listCertificates(h.ca, { status: 'ACTIVE' })).toEqual([]);
    // Three certificates before; the fourth number is recorded failed.
    expect(await checkLedger(h.db.prisma)).toEqual({ issued: 3, failed: [{ number: 4n, code: 'ISSUER_NOT_ACTIVE' }] });
    expect(unwrap(await verifyStoredChain(h.db.prisma)).events).toBeGreaterThan(0);
  });
});
