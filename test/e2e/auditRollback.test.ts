/**
 * "When the event cannot be written, the change does not happen": a trigger in the real database
 * refuses the audit event of one chosen action; each service step must then answer
 * AUDIT_WRITE_FAILED and leave no trace of its change. Run again unbroken, the step succeeds.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyStoredChain } from '../../lib/audit';
import { unwrap, type Result } from '../../lib/errors';
import { revokeCertificate } from '../../lib/ca/certificates';
import { issueCertificate } from '../../lib/ca/issuance';
import { approveOperatorChange, changeOperator } from '../../lib/ca/operatorChanges';
import { approveRequest, issueChallenge, reviewRequest, submitRequest } from '../../lib/ca/requests';
import { approveCeremony, requestRootKeyChange, requestRootKeyCreation } from '../../lib/ca/rootKeys';
import { buildRequest, startHarness, type Harness } from './harness';

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
  await h.db.prisma.$executeRawUnsafe(`CREATE TABLE test_broken_audit_action (action text PRIMARY KEY)`);
  await h.db.prisma.$executeRawUnsafe(`
    CREATE FUNCTION test_break_audit() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF EXISTS (SELECT 1 FROM test_broken_audit_action WHERE action = NEW.action) THEN
        RAISE EXCEPTION 'audit write broken for %', NEW.action;
      END IF;
      RETURN NEW;
    END $$`);
  await h.db.prisma.$executeRawUnsafe(`CREATE TRIGGER test_break_audit BEFORE INSERT ON audit_event FOR EACH ROW EXECUTE FUNCTION test_break_audit()`);
});
afterAll(() => h?.close());

/** Runs `step` with `action`'s audit event refused; it must fail with AUDIT_WRITE_FAILED and change nothing `snapshot` sees. */
async function refusedWhenUnaudited(action: string, snapshot: () => Promise<unknown>, step: () => Promise<Result<unknown>>) {
  await h.db.prisma.$executeRaw`INSERT INTO test_broken_audit_action (action) VALUES (${action})`;
  const before = await snapshot();
  const events = await h.db.prisma.auditEvent.count();
  try {
    const outcome = await step();
    expect(outcome.ok ? 'ok' : outcome.error.code).toBe('AUDIT_WRITE_FAILED');
    expect(await snapshot()).toEqual(before);
    expect(await h.db.prisma.auditEvent.count()).toBe(events);
  } finally {
    await h.db.prisma.$executeRaw`DELETE FROM test_broken_audit_action WHERE action = ${action}`;
  }
}

describe('a change whose audit event cannot be written is rolled back', () => {
  it('for every state change of the CA', async () => {
    const { ca, alice, bob, issuerId, db, keys } = h;
    const p = db.prisma;

    await refusedWhenUnaudited('rootKeyCeremony.requested', () => p.rootKeyCeremony.findMany(), () =>
      requestRootKeyCreation(ca, alice, { index: 0x82, environment: 'TEST', expiry: { year: 2031, month: 12, day: 31 } }),
    );
    const create = unwrap(await requestRootKeyCreation(ca, alice, { index: 0x82, environment: 'TEST', expiry: { year: 2031, month: 12, day: 31 } }));

    // The approval is refused before the HSM is touched: no key appears in the token.
    const hsmKeys = async () => (unwrap(await keys.listKeys())).map((k) => k.label).filter((l) => l.startsWith('tqca-root'));
    await refusedWhenUnaudited('rootKeyCeremony.approved', async () => [await p.rootKeyCeremony.findMany(), await hsmKeys()], () =>
      approveCeremony(ca, bob, create.id),
    );
    unwrap(await approveCeremony(ca, bob, create.id));

    const activation = unwrap(await requestRootKeyChange(ca, alice, 'ACTIVATE', 0x82));
    await refusedWhenUnaudited('rootKey.activated', async () => [await p.rootKey.findMany(), await p.rootKeyCeremony.findMany()], () =>
      approveCeremony(ca, bob, activation.id),
    );
    unwrap(await approveCeremony(ca, bob, activation.id));

    await refusedWhenUnaudited('challenge.issued', () => p.challenge.findMany(), () => issueChallenge(ca, alice, issuerId));
    const challenge = unwrap(await issueChallenge(ca, alice, issuerId));
    const { a1 } = buildRequest({ issuerId, challenge: challenge.challenge, serial: 5, expiry: { year: 2028, month: 6 } });

    const requests = async () => [await p.certificateRequest.findMany(), await p.challenge.findMany()];
    await refusedWhenUnaudited('certificateRequest.submitted', requests, () => submitRequest(ca, alice, a1));
    const request = unwrap(await submitRequest(ca, alice, a1));
    await refusedWhenUnaudited('certificateRequest.reviewed', requests, () => reviewRequest(ca, alice, request.id, request.fingerprint));
    unwrap(await reviewRequest(ca, alice, request.id, request.fingerprint));
    await refusedWhenUnaudited('certificateRequest.approved', requests, () => approveRequest(ca, bob, request.id, 0x82));
    unwrap(await approveRequest(ca, bob, request.id, 0x82));

    const issuance = async () => [await p.certificateNumberAllocation.findMany(), await p.certificate.findMany(), await p.counter.findMany(), await requests()];
    await refusedWhenUnaudited('certificateNumber.reserved', issuance, () => issueCertificate(ca, bob, request.id));

    // The signing step's own record fails: no certificate, and the reserved number ends FAILED
    // (that outcome is a change of its own, with its own event).
    await p.$executeRaw`INSERT INTO test_broken_audit_action (action) VALUES ('certificate.issued')`;
    const lost = await issueCertificate(ca, bob, request.id);
    await p.$executeRaw`DELETE FROM test_broken_audit_action`;
    expect(lost.ok ? 'ok' : lost.error.code).toBe('AUDIT_WRITE_FAILED');
    expect(await p.certificate.count()).toBe(0);
    expect(await p.certificateNumberAllocation.findMany({ select: { number: true, state: true, failureCode: true } })).toEqual([
      { number: 1n, state: 'FAILED', failureCode: 'AUDIT_WRITE_FAILED' },
    ]);

    // The record of the signed bytes fails: nothing is stored, and T2' keeps the bytes with the FAILED number.
    await p.$executeRaw`INSERT INTO test_broken_audit_action (action) VALUES ('certificateNumber.signed')`;
    const unlogged = await issueCertificate(ca, bob, request.id);
    await p.$executeRaw`DELETE FROM test_broken_audit_action`;
    expect(unlogged.ok ? 'ok' : unlogged.error.code).toBe('AUDIT_WRITE_FAILED');
    expect(await p.certificate.count()).toBe(0);
    const second = await p.certificateNumberAllocation.findUniqueOrThrow({ where: { number: 2n } });
    expect(second).toMatchObject({ state: 'FAILED', failureCode: 'AUDIT_WRITE_FAILED' });
    expect(second.signedBytes).toHaveLength(106);
    const failedEvent = await p.auditEvent.findFirstOrThrow({ where: { action: 'certificateNumber.failed', objectId: '2' } });
    expect((failedEvent.details as { certificate?: string }).certificate).toBe(Buffer.from(second.signedBytes!).toString('hex'));

    const certificate = unwrap(await issueCertificate(ca, bob, request.id));
    expect(certificate.number).toBe('00000003');

    await refusedWhenUnaudited('certificate.revoked', () => p.certificate.findMany(), () => revokeCertificate(ca, alice, 3, 'superseded'));
    unwrap(await revokeCertificate(ca, alice, 3, 'superseded'));

    // Operator changes after the seal: the request, and the approval with the account it creates.
    const newOperator = { kind: 'CREATE', operator: { username: 'carol', displayName: 'Carol', roles: ['AUDITOR'] } } as const;
    const governed = async () => [await p.operatorChangeRequest.findMany(), await p.operator.findMany()];
    await refusedWhenUnaudited('operatorChange.requested', governed, () => changeOperator(ca, h.admin, newOperator));
    const asked = unwrap(await changeOperator(ca, h.admin, newOperator));
    await refusedWhenUnaudited('operator.create', governed, () => approveOperatorChange(ca, h.admin2, asked.request!.id));
    unwrap(await approveOperatorChange(ca, h.admin2, asked.request!.id));

    expect(unwrap(await verifyStoredChain(p)).events).toBe(await p.auditEvent.count());
  });
});
