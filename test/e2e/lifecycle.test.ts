/**
 * The CA end to end, on PGlite and on PostgreSQL: two officers create and activate a root key in
 * the software token, an issuer's request with a fresh key and a valid proof of possession is
 * submitted, reviewed, approved and issued, the certificate verifies with `npx tqca cert verify`,
 * and revocation marks it revoked. Every state change leaves exactly one chained audit event.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyStoredChain } from '../../lib/audit';
import { rootKeyRecord } from '../../lib/codec';
import { parseHex } from '../../lib/bytes';
import { unwrap, type Result } from '../../lib/errors';
import { listCertificates, revokeCertificate } from '../../lib/ca/certificates';
import { issueCertificate } from '../../lib/ca/issuance';
import { approveRequest, issueChallenge, reviewRequest, showRequest, submitRequest } from '../../lib/ca/requests';
import { approveCeremony, cancelCeremony, listRootKeys, requestRootKeyChange, requestRootKeyCreation } from '../../lib/ca/rootKeys';
import { runTqca } from '../../lib/cli/testSupport';
import { startPostgres, type TestPostgres } from '../support/postgres';
import { buildRequest, startHarness, type Harness } from './harness';

const errorCode = (r: Result<unknown>) => (r.ok ? 'ok' : r.error.code);

for (const engine of ['pglite', 'postgresql'] as const) {
  describe(`CA lifecycle on ${engine}`, () => {
    let postgres: TestPostgres | undefined;
    let h: Harness;

    beforeAll(async () => {
      if (engine === 'postgresql') postgres = await startPostgres();
      h = await startHarness({ url: postgres ? await postgres.createDatabase('lifecycle') : undefined });
    });
    afterAll(async () => {
      await h?.close();
      await postgres?.stop();
    });

    const events = () => h.db.prisma.auditEvent.count();
    /** Runs a step and asserts how many audit events it appended. */
    async function audited<T>(expected: number, step: () => Promise<T>): Promise<T> {
      const before = await events();
      const value = await step();
      expect(await events()).toBe(before + expected);
      return value;
    }

    it('runs the whole life cycle under dual control', async () => {
      const { ca, alice, bob, issuerId } = h;

      // Root key: alice asks, alice cannot approve her own ceremony, bob approves.
      const create = await audited(1, async () => unwrap(await requestRootKeyCreation(ca, alice, { index: 0x81, environment: 'TEST', expiry: { year: 2031, month: 12, day: 31 } })));
      // A refused approval changes nothing but is recorded (rootKeyCeremony.approvalRefused).
      expect(await audited(1, () => approveCeremony(ca, alice, create.id).then(errorCode))).toBe('DUAL_CONTROL_SAME_OFFICER');
      const created = await audited(2, async () => unwrap(await approveCeremony(ca, bob, create.id)));
      expect(created.status).toBe('EXECUTED');
      expect(created.checks?.every((c) => c.passed)).toBe(true);

      const [pending] = await listRootKeys(ca);
      expect(pending).toMatchObject({ index: '81', state: 'PENDING', environment: 'TEST', expiry: '311231' });
      const a2 = unwrap(rootKeyRecord.decode(unwrap(parseHex(pending.a2Record))));
      expect(a2).toMatchObject({ clearingCenterId: 1, rootKeyIndex: 0x81, expiry: { year: 2031, month: 12, day: 31 } });
      expect(Buffer.from(a2.publicKey.bytes).toString('hex')).toBe(pending.publicKey);

      // Activation: bob asks and alice, the creator, may not approve; bob may not approve his own.
      const byBob = await audited(1, async () => unwrap(await requestRootKeyChange(ca, bob, 'ACTIVATE', 0x81)));
      expect(await audited(1, () => approveCeremony(ca, alice, byBob.id).then(errorCode))).toBe('DUAL_CONTROL_SAME_OFFICER');
      expect(await audited(1, () => approveCeremony(ca, bob, byBob.id).then(errorCode))).toBe('DUAL_CONTROL_SAME_OFFICER');
      expect(await audited(0, () => requestRootKeyChange(ca, alice, 'ACTIVATE', 0x81).then(errorCode))).toBe('CEREMONY_OPEN');
      await audited(1, async () => unwrap(await cancelCeremony(ca, bob, byBob.id)));
      const byAlice = await audited(1, async () => unwrap(await requestRootKeyChange(ca, alice, 'ACTIVATE', 0x81)));
      expect((await audited(1, async () => unwrap(await approveCeremony(ca, bob, byAlice.id)))).status).toBe('EXECUTED');
      const [root] = await listRootKeys(ca);
      expect(root).toMatchObject({ state: 'ACTIVE', createdBy: alice.id, activatedBy: bob.id });

      // Request: challenge, A1 with a fresh key and proof of possession, review, approval, issuance.
      const challenge = await audited(1, async () => unwrap(await issueChallenge(ca, alice, issuerId)));
      const { a1, key } = buildRequest({ issuerId, challenge: challenge.challenge, serial: 1, expiry: { year: 2028, month: 12 } });
      const submitted = await audited(1, async () => unwrap(await submitRequest(ca, alice, a1)));
      expect(submitted).toMatchObject({ state: 'SUBMITTED', serial: 1, expiry: '1228', issuerId: '00001001' });
      expect(submitted.fingerprint).toHaveLength(16);
      // The same A1 again: its challenge is spent.
      expect(await audited(0, () => submitRequest(ca, alice, a1).then(errorCode))).toBe('CHALLENGE_USED');

      expect(await audited(0, () => reviewRequest(ca, alice, submitted.id, '0000000000000000').then(errorCode))).toBe('FINGERPRINT_MISMATCH');
      await audited(1, async () => unwrap(await reviewRequest(ca, alice, submitted.id, submitted.fingerprint)));
      expect(await audited(1, () => approveRequest(ca, alice, submitted.id, 0x81).then(errorCode))).toBe('DUAL_CONTROL_SAME_OFFICER');
      await audited(1, async () => unwrap(await approveRequest(ca, bob, submitted.id, 0x81)));
      // Reserved, signed (the 106 bytes on record before storing), issued.
      const certificate = await audited(3, async () => unwrap(await issueCertificate(ca, bob, submitted.id)));
      expect(certificate).toMatchObject({ number: '00000001', issuerId: '00001001', serial: 1, expiry: '1228', status: 'ACTIVE', rootKeyIndex: '81' });
      expect(unwrap(await showRequest(ca, submitted.id))).toMatchObject({ state: 'ISSUED', certificateNumber: '00000001' });
      expect(certificate.certificate.slice(20, 84)).toBe(Buffer.from(key.publicKey.bytes.subarray(0, 32)).toString('hex'));

      // The terminal algorithm, through the command line, with the root key as the A2 record publishes it.
      const verified = await runTqca(['cert', 'verify', '--root', root.publicKey, certificate.certificate], { via: 'npx' });
      expect(verified.json).toMatchObject({ valid: true });
      expect(verified.exitCode).toBe(0);

      // Revocation.
      const revoked = await audited(1, async () => unwrap(await revokeCertificate(ca, alice, 1, 'keyCompromise')));
      expect(revoked).toMatchObject({ status: 'REVOKED', revocationReason: 'keyCompromise' });
      expect(await audited(0, () => revokeCertificate(ca, alice, 1, 'superseded').then(errorCode))).toBe('CERTIFICATE_ALREADY_REVOKED');
      expect((await listCertificates(ca, { status: 'REVOKED' })).map((c) => c.number)).toEqual(['00000001']);

      // Every event above is one link of one intact chain.
      const chain = unwrap(await verifyStoredChain(h.db.prisma));
      expect(chain.events).toBe(await events());
    });
  });
}
