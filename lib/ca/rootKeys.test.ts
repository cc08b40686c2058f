/**
 * Root-key ceremonies through the service, on the software token and PGlite: refusals at request
 * time, a failing check ends the ceremony FAILED with its full report, retirement, roles, and
 * start-up recovery of a creation cut off between its approval and the key's record, and a creation
 * failing after the token really generated its key: the key is destroyed and audited (label, CKA_ID,
 * public key), or, when the token cannot destroy it (pulled), recorded with the failure.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toHex } from '../bytes';
import { openPkcs11KeyManager } from '../../hsm/pkcs11KeyManager';
import { unwrap, type Result } from '../errors';
import { activeRootKey, addOperator, buildRequest, startHarness, type Harness } from '../../test/e2e/harness';
import { approveRequest, issueChallenge, reviewRequest, submitRequest } from './requests';
import { approveCeremony, listCeremonies, listRootKeys, recoverCeremonies, requestRootKeyChange, requestRootKeyCreation } from './rootKeys';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.close());

const code = (r: Result<unknown>) => (r.ok ? 'ok' : r.error.code);
const LATE_2031 = { year: 2031, month: 12, day: 31 };

describe('root-key ceremonies', () => {
  it('refuses a malformed proposal before anything is stored', async () => {
    expect(code(await requestRootKeyCreation(h.ca, h.alice, { index: 0x05, environment: 'TEST', expiry: LATE_2031 }))).toBe('ROOT_KEY_INDEX_ENVIRONMENT');
    expect(code(await requestRootKeyCreation(h.ca, h.alice, { index: 0xff, environment: 'TEST', expiry: LATE_2031 }))).toBe('ROOT_KEY_INDEX_RANGE');
    expect(code(await requestRootKeyCreation(h.ca, h.alice, { index: 0x85, environment: 'TEST', expiry: { year: 2027, month: 1, day: 1 } }))).toBe(
      'ROOT_KEY_EXPIRY_TOO_SOON',
    );
    expect(await listCeremonies(h.ca)).toEqual([]);
  });

  it('lets only officers request, and refuses an auditor', async () => {
    const carol = await addOperator(h, 'carol', 'AUDITOR');
    expect(code(await requestRootKeyCreation(h.ca, carol, { index: 0x85, environment: 'TEST', expiry: LATE_2031 }))).toBe('OPERATOR_FORBIDDEN');
    const pending = unwrap(await requestRootKeyCreation(h.ca, h.alice, { index: 0x85, environment: 'TEST', expiry: LATE_2031 }));
    // The approver's roles are one of the recorded checks; an auditor never gets the HSM to act.
    expect(code(await approveCeremony(h.ca, carol, pending.id))).toBe('OPERATOR_NOT_OFFICER');
    expect((await listCeremonies(h.ca, { status: 'PENDING' })).map((c) => c.id)).toEqual([pending.id]);
    unwrap(await approveCeremony(h.ca, h.bob, pending.id));
  });

  it('ends a ceremony FAILED with its whole check report when the index is taken', async () => {
    const twin = unwrap(await requestRootKeyCreation(h.ca, h.alice, { index: 0x85, environment: 'TEST', expiry: LATE_2031 }));
    const failed = await approveCeremony(h.ca, h.bob, twin.id);
    expect(code(failed)).toBe('ROOT_KEY_INDEX_IN_USE');
    const [stored] = (await listCeremonies(h.ca, { status: 'FAILED' })).filter((c) => c.id === twin.id);
    expect(stored.failure?.code).toBe('ROOT_KEY_INDEX_IN_USE');
    expect(stored.checks?.filter((c) => !c.passed).map((c) => c.check)).toEqual(['indexUnclaimed']);
    expect(stored.checks).toHaveLength(7);
  });

  it('retires an active key under dual control; it then signs nothing', async () => {
    await activeRootKey(h, 0x86);
    const challenge = unwrap(await issueChallenge(h.ca, h.alice, h.issuerId));
    const request = unwrap(await submitRequest(h.ca, h.alice, buildRequest({ issuerId: h.issuerId, challenge: challenge.challenge, serial: 9, expiry: { year: 2028, month: 1 } }).a1));
    unwrap(await reviewRequest(h.ca, h.alice, request.id, request.fingerprint));

    const retire = unwrap(await requestRootKeyChange(h.ca, h.bob, 'RETIRE', 0x86));
    expect(code(await approveCeremony(h.ca, h.bob, retire.id))).toBe('DUAL_CONTROL_SAME_OFFICER');
    unwrap(await approveCeremony(h.ca, h.alice, retire.id));
    expect((await listRootKeys(h.ca)).find((k) => k.index === '86')).toMatchObject({ state: 'RETIRED', retiredBy: h.alice.id });
    expect(code(await approveRequest(h.ca, h.bob, request.id, 0x86))).toBe('ROOT_KEY_NOT_USABLE');

    // Retiring twice: the state check fails and the ceremony records it.
    const again = unwrap(await requestRootKeyChange(h.ca, h.bob, 'RETIRE', 0x86));
    expect(code(await approveCeremony(h.ca, h.alice, again.id))).toBe('ROOT_KEY_STATE');
  });

  it('recovers a creation cut off after its approval: records the key the HSM holds, or fails the ceremony', async () => {
    const p = h.db.prisma;
    // The state a crash right after the approval's commit leaves: APPROVED, no root_key row.
    const cutOff = async (index: number) => {
      const c = unwrap(await requestRootKeyCreation(h.ca, h.alice, { index, environment: 'TEST', expiry: LATE_2031 }));
      await p.rootKeyCeremony.update({ where: { id: c.id }, data: { status: 'APPROVED', approvedById: h.bob.id, approvedAt: new Date(Date.now() - 60_000) } });
      return c.id;
    };
    const withKey = await cutOff(0x87);
    const withoutKey = await cutOff(0x88);
    // The crashed process had generated the first key already.
    unwrap(await h.keys.generateKey({ label: `tqca-root-87-c${withKey}`, algorithm: 'sm2' }));

    const closed = unwrap(await recoverCeremonies(h.ca, new Date()));
    expect(closed.map((c) => [c.id, c.status, c.failure?.code ?? null])).toEqual([
      [withKey, 'EXECUTED', null],
      [withoutKey, 'FAILED', 'CEREMONY_INTERRUPTED'],
    ]);
    expect((await listRootKeys(h.ca)).find((k) => k.index === '87')).toMatchObject({ state: 'PENDING', createdBy: h.alice.id });
    expect((await listRootKeys(h.ca)).find((k) => k.index === '88')).toBeUndefined();
  });

  it('leaves a cut-off creation open when the HSM cannot say whether its key exists', async () => {
    const c = unwrap(await requestRootKeyCreation(h.ca, h.alice, { index: 0x89, environment: 'TEST', expiry: LATE_2031 }));
    await h.db.prisma.rootKeyCeremony.update({ where: { id: c.id }, data: { status: 'APPROVED', approvedById: h.bob.id, approvedAt: new Date(Date.now() - 60_000) } });
    unwrap(await h.keys.generateKey({ label: `tqca-root-89-c${c.id}`, algorithm: 'sm2' }));
    const { modulePath, tokenLabel, pin, profile } = h.token;
    const closed = unwrap(await openPkcs11KeyManager({ modulePath, tokenLabel, pin, profile }));
    await closed.close();

    expect(code(await recoverCeremonies({ ...h.ca, keys: closed }, new Date()))).toBe('HSM_CLOSED');
    expect((await listCeremonies(h.ca)).find((x) => x.id === c.id)?.status).toBe('APPROVED');
    // The next start, with the HSM back, records the key.
    expect(unwrap(await recoverCeremonies(h.ca, new Date())).map((x) => [x.id, x.status])).toEqual([[c.id, 'EXECUTED']]);
  });
});

const ceremonyEvents = (id: number) => h.db.prisma.auditEvent.findMany({ where: { objectType: 'rootKeyCeremony', objectId: String(id) }, orderBy: { seq: 'asc' } });

describe('a root-key ceremony failing after key generation', () => {
  it('destroys the generated key in the HSM when recording it fails, and audits it', async () => {
    // The record step breaks as a constraint a concurrent writer tripped would.
    await h.db.prisma.$executeRawUnsafe(`
      CREATE FUNCTION test_break_root_key() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'new row violates check constraint "test_root_key_broken"' USING ERRCODE = '23514'; END $$`);
    await h.db.prisma.$executeRawUnsafe(`CREATE TRIGGER test_break_root_key BEFORE INSERT ON root_key FOR EACH ROW EXECUTE FUNCTION test_break_root_key()`);
    const ceremony = unwrap(await requestRootKeyCreation(h.ca, h.alice, { index: 0x8a, environment: 'TEST', expiry: LATE_2031 }));
    const label = `tqca-root-8A-c${ceremony.id}`;
    let generated: { id: Uint8Array; publicKey: Uint8Array } | undefined;
    const keys: typeof h.keys = Object.create(h.keys);
    keys.generateKey = async (request) => {
      const made = await h.keys.generateKey(request);
      if (made.ok) generated = made.value;
      return made;
    };
    try {
      expect(code(await approveCeremony({ ...h.ca, keys }, h.bob, ceremony.id))).toBe('DB_CONSTRAINT');
    } finally {
      await h.db.prisma.$executeRawUnsafe('DROP TRIGGER test_break_root_key ON root_key');
    }
    expect(generated).toBeDefined();
    expect(code(await h.keys.findKey({ label }))).toBe('HSM_KEY_NOT_FOUND');
    expect((await listRootKeys(h.ca)).map((k) => k.index)).not.toContain('8A');

    const leftover = { label, id: toHex(generated!.id), publicKey: toHex(generated!.publicKey), destroyed: true };
    const failed = (await listCeremonies(h.ca, { status: 'FAILED' })).find((c) => c.id === ceremony.id);
    expect(failed).toMatchObject({ failure: { code: 'DB_CONSTRAINT' }, leftoverKey: leftover });
    const events = await ceremonyEvents(ceremony.id);
    expect(events.map((e) => e.action)).toEqual(['rootKeyCeremony.requested', 'rootKeyCeremony.approved', 'rootKeyCeremony.failed', 'rootKeyCeremony.keyDestroyed']);
    expect(events.at(-1)!.details).toMatchObject({ failure: 'DB_CONSTRAINT', ...leftover });
  });

  it('records the key with the failure when the HSM cannot destroy it (token pulled after generation)', async () => {
    const removed = join(h.token.storeDir, '.removed');
    const ceremony = unwrap(await requestRootKeyCreation(h.ca, h.alice, { index: 0x8b, environment: 'TEST', expiry: LATE_2031 }));
    const label = `tqca-root-8B-c${ceremony.id}`;
    const keys: typeof h.keys = Object.create(h.keys);
    keys.generateKey = async (request) => {
      const made = await h.keys.generateKey(request);
      writeFileSync(removed, '');
      return made;
    };
    let failedCode: string;
    try {
      failedCode = code(await approveCeremony({ ...h.ca, keys }, h.bob, ceremony.id));
    } finally {
      rmSync(removed, { force: true });
    }
    expect(failedCode).toMatch(/^HSM_/);

    const failed = (await listCeremonies(h.ca, { status: 'FAILED' })).find((c) => c.id === ceremony.id)!;
    expect(failed.failure?.code).toBe(failedCode);
    expect(failed.leftoverKey).toMatchObject({ label, destroyed: false, destroyFailure: { code: expect.stringMatching(/^HSM_/) } });
    // Re-inserted, the token still holds exactly the key the failure names.
    const held = unwrap(await h.keys.findKey({ label }));
    expect(failed.leftoverKey).toMatchObject({ id: toHex(held.id), publicKey: toHex(held.publicKey) });
    const events = await ceremonyEvents(ceremony.id);
    expect(events.at(-1)).toMatchObject({ action: 'rootKeyCeremony.keyLeftInHsm', details: { label, destroyed: false } });
  });
});
