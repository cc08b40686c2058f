import { describe, expect, it } from 'vitest';
import { CEREMONY_CHECKS, runCeremonyChecks, type CeremonyFacts } from './ceremonyChecks';

const NOW = new Date('2026-11-24T05:00:00Z');
const officer = (id: number) => ({ id, roles: ['OFFICER'], status: 'ACTIVE' });
const KEY = Uint8Array.from({ length: 64 }, (_, i) => i);

function createFacts(change: Partial<CeremonyFacts> = {}): CeremonyFacts {
  return {
    action: 'CREATE',
    requester: officer(1),
    approver: officer(2),
    now: NOW,
    create: { index: 0x81, environment: 'TEST', expiry: { year: 2030, month: 12, day: 31 }, keyLabel: 'root-81' },
    anotherKeyActive: false,
    announceLeadDays: 90,
    indexClaimed: async () => false,
    hsmHealth: async () => null,
    hsmPublicKey: async () => null,
    ...change,
  };
}

function activateFacts(change: Partial<CeremonyFacts> = {}): CeremonyFacts {
  return createFacts({
    action: 'ACTIVATE',
    create: undefined,
    rootKey: { state: 'PENDING', expiry: { year: 2030, month: 12, day: 31 }, createdById: 1, keyLabel: 'root-81', publicKey: KEY, announcedAt: null },
    hsmPublicKey: async () => KEY,
    ...change,
  });
}

const failedCodes = async (facts: CeremonyFacts) => (await runCeremonyChecks(facts)).results.filter((r) => !r.passed).map((r) => r.code);

describe('ceremony checks before signing', () => {
  it('passes a well-formed creation and records every check', async () => {
    const report = await runCeremonyChecks(createFacts());
    expect(report.failure).toBeNull();
    expect(report.results.map((r) => r.check)).toEqual(CEREMONY_CHECKS.CREATE);
    expect(report.results.every((r) => r.passed)).toBe(true);
  });

  it('refuses the requester as approver', async () => {
    const report = await runCeremonyChecks(createFacts({ approver: officer(1) }));
    expect(report.failure?.code).toBe('DUAL_CONTROL_SAME_OFFICER');
  });

  it('runs every check even after a failure, and reports them all', async () => {
    const codes = await failedCodes(
      createFacts({
        approver: { id: 1, roles: ['AUDITOR'], status: 'ACTIVE' },
        create: { index: 0x05, environment: 'TEST', expiry: { year: 2027, month: 1, day: 1 }, keyLabel: 'x' },
        indexClaimed: async () => true,
        hsmHealth: async () => ({ code: 'HSM_DEVICE_ERROR', message: 'down' }),
        hsmPublicKey: async () => KEY,
      }),
    );
    expect(codes).toEqual([
      'DUAL_CONTROL_SAME_OFFICER',
      'OPERATOR_NOT_OFFICER',
      'ROOT_KEY_INDEX_ENVIRONMENT',
      'ROOT_KEY_INDEX_IN_USE',
      'ROOT_KEY_EXPIRY_TOO_SOON',
      'HSM_DEVICE_ERROR',
      'HSM_LABEL_IN_USE',
    ]);
  });

  it('refuses a disabled officer', async () => {
    expect(await failedCodes(createFacts({ requester: { id: 1, roles: ['OFFICER'], status: 'DISABLED' } }))).toEqual(['OPERATOR_NOT_OFFICER']);
  });

  it('activates a pending key held unchanged by the HSM', async () => {
    expect((await runCeremonyChecks(activateFacts())).failure).toBeNull();
  });

  it('never lets the creator activate the key, even when someone else requested the activation', async () => {
    expect(await failedCodes(activateFacts({ requester: officer(2), approver: officer(1) }))).toEqual(['DUAL_CONTROL_SAME_OFFICER']);
  });

  it('refuses activation when the HSM key is missing or differs, the state is wrong, or the key expired', async () => {
    expect(await failedCodes(activateFacts({ hsmPublicKey: async () => null }))).toEqual(['HSM_KEY_MISSING']);
    expect(await failedCodes(activateFacts({ hsmPublicKey: async () => KEY.map((b) => b ^ 1) }))).toEqual(['HSM_KEY_MISMATCH']);
    const facts = activateFacts();
    expect(await failedCodes({ ...facts, rootKey: { ...facts.rootKey!, state: 'RETIRED' } })).toEqual(['ROOT_KEY_STATE']);
    expect(await failedCodes({ ...facts, now: new Date('2031-01-01T00:00:00Z') })).toEqual(['ROOT_KEY_EXPIRED']);
  });

  it('announces only a pending key, and lets its creator approve that (it signs nothing yet)', async () => {
    const facts = activateFacts({ action: 'ANNOUNCE', requester: officer(2), approver: officer(1) });
    expect(await failedCodes(facts)).toEqual([]);
    expect(await failedCodes({ ...facts, rootKey: { ...facts.rootKey!, state: 'ANNOUNCED', announcedAt: NOW } })).toEqual(['ROOT_KEY_STATE']);
  });

  it('activates a rollover key only after it has been announced for the lead', async () => {
    const rollover = activateFacts({ anotherKeyActive: true });
    expect(await failedCodes(rollover)).toEqual(['ROOT_KEY_NOT_ANNOUNCED']);
    const announced = { ...rollover.rootKey!, state: 'ANNOUNCED' as const, announcedAt: NOW };
    const day = 86_400_000;
    expect(await failedCodes({ ...rollover, rootKey: announced, now: new Date(NOW.getTime() + 90 * day - 1) })).toEqual(['ROOT_KEY_ANNOUNCEMENT_TOO_RECENT']);
    expect(await failedCodes({ ...rollover, rootKey: announced, now: new Date(NOW.getTime() + 90 * day) })).toEqual([]);
    expect(await failedCodes({ ...rollover, rootKey: announced, announceLeadDays: 120, now: new Date(NOW.getTime() + 90 * day) })).toEqual(['ROOT_KEY_ANNOUNCEMENT_TOO_RECENT']);
  });

  it('retires only an active key', async () => {
    const facts = activateFacts({ action: 'RETIRE' });
    expect(await failedCodes(facts)).toEqual(['ROOT_KEY_STATE']);
    expect(await failedCodes({ ...facts, rootKey: { ...facts.rootKey!, state: 'ACTIVE' } })).toEqual([]);
  });
});
