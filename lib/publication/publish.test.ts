/**
 * One publication's rules, on the software token and PGlite (one CA for the file): nothing
 * changed → no version; a bundle near its expiry → a new one, with a new A4 once the A4's next
 * update nears; verify before publish (a bad manifest signature, or an A2 rebound under an index
 * clients trust, stores nothing and burns no version); published rows are immutable; a
 * certificate without an A3 record gets one from the first publication, once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uintToBytes } from '../bytes';
import { rootKeyRecord, decodeBundle } from '../codec';
import { sm2 } from '../crypto/sm2';
import { unwrap } from '../errors';
import type { CaKeys, CaServices } from '../ca';
import { approveWithdrawal, setInstitutionStatus } from '../ca/institutions';
import { activeRootKey, issuedCertificate, startHarness, type Harness } from '../../test/e2e/harness';
import { DEFAULT_PUBLICATION_POLICY } from './policy';
import { publish } from './publish';
import { bundleByVersion, currentRevocationList, latestManifest } from './reads';

let h: Harness;
let clock = new Date('2026-12-01T02:00:00Z');
let ca: CaServices;
const DAY = 86_400_000;

beforeAll(async () => {
  h = await startHarness({ now: () => clock });
  ca = { ...h.ca, now: () => clock };
  await activeRootKey({ ...h, ca }, 0x90);
  await issuedCertificate({ ...h, ca }, 1, { year: 2027, month: 6 }, 0x90);
}, 120_000);
afterAll(() => h?.close());

const versions = () => ca.prisma.publishedBundle.count();
const lists = () => ca.prisma.revocationListIssue.count();

describe('publish', () => {
  it('builds a version only when something changed or the bundle nears its expiry', async () => {
    expect(unwrap(await publish(ca, 'operator'))).toEqual({ version: 1 });
    expect(unwrap(await publish(ca, 'scheduled'))).toEqual({ unchanged: true, version: 1 });
    expect(await lists()).toBe(1);

    // Six days on: the 7-day bundle is within the 1-day lead, so is its A4's next update.
    clock = new Date(clock.getTime() + 6 * DAY + 1000);
    expect(unwrap(await publish(ca, 'scheduled'))).toEqual({ version: 2 });
    expect(await lists()).toBe(2);
    const latest = unwrap(await latestManifest(ca));
    expect(latest.expiresAt.getTime() - latest.publishedAt.getTime()).toBe(DEFAULT_PUBLICATION_POLICY.lifetimeSeconds * 1000);

    // A change that leaves the revocations alone keeps the A4 (same sequence, same bytes).
    const a4 = unwrap(await currentRevocationList(ca));
    await issuedCertificate({ ...h, ca }, 2, { year: 2027, month: 7 }, 0x90);
    expect(unwrap(await publish(ca, 'issuance'))).toEqual({ version: 3 });
    expect(unwrap(await currentRevocationList(ca))).toEqual(a4);
    const audit = await ca.prisma.auditEvent.findFirstOrThrow({ where: { action: 'bundle.published', objectId: '3' } });
    expect(audit.details).toMatchObject({ version: 3, reason: 'issuance', a4Signed: false, a3Count: 2 });
  });

  it('refuses a bundle whose manifest signature does not verify: nothing stored, no version burnt', async () => {
    const other = sm2.generatePrivateKey();
    const forging: CaKeys = {
      ...ca.keys,
      sign: async (name, message) => (message.length === 58 ? { ok: true, value: sm2.sign(message, other) } : ca.keys.sign(name, message)),
    };
    const before = { versions: await versions(), events: await ca.prisma.auditEvent.count() };
    clock = new Date(clock.getTime() + 1000);
    await issuedCertificate({ ...h, ca }, 3, { year: 2027, month: 8 }, 0x90);
    const events = await ca.prisma.auditEvent.count();
    const refused = await publish({ ...ca, keys: forging }, 'issuance');
    expect(refused.ok ? 'ok' : refused.error.code).toBe('SIGNATURE_INVALID');
    expect(await versions()).toBe(before.versions);
    expect(await ca.prisma.auditEvent.count()).toBe(events);
    expect(unwrap(await publish(ca, 'issuance'))).toEqual({ version: before.versions + 1 });
  });

  it('refuses a bundle that rebinds a trusted index to another key, which only the client check against the predecessor sees', async () => {
    await activeRootKey({ ...h, ca }, 0x91);
    // Version n lists 0x91 (signed by 0x90, which clients trust); n+1 is signed by 0x91.
    unwrap(await publish(ca, 'rootKey'));
    const version = await versions();
    const stored = await ca.prisma.rootKey.findUniqueOrThrow({ where: { index: 0x90 } });
    const listed = unwrap(rootKeyRecord.decode(stored.a2Record));
    const forged = rootKeyRecord.encode({ ...listed, publicKey: sm2.publicKeyFromPrivate(sm2.generatePrivateKey()) });
    // A planted fault: 0x90's A2 rewritten to another key (its certificates are signed by 0x90, so retire them from view by revoking).
    for (const c of await ca.prisma.certificate.findMany({ where: { rootKeyId: stored.id, status: 'ACTIVE' } })) {
      await ca.prisma.certificate.update({ where: { id: c.id }, data: { status: 'REVOKED', revokedAt: clock, revocationReason: 'SUPERSEDED', revokedById: h.bob.id } });
    }
    await ca.prisma.rootKey.update({ where: { id: stored.id }, data: { a2Record: forged as Uint8Array<ArrayBuffer> } });
    try {
      const refused = await publish(ca, 'operator');
      expect(refused.ok ? 'ok' : refused.error.code).toBe('ROOT_KEY_CONFLICT');
      expect(await versions()).toBe(version);
    } finally {
      await ca.prisma.rootKey.update({ where: { id: stored.id }, data: { a2Record: stored.a2Record } });
    }
    expect(unwrap(await publish(ca, 'operator'))).toEqual({ version: version + 1 });
    expect(unwrap(decodeBundle(unwrap(await bundleByVersion(ca, version + 1)))).manifest.rootKeyIndex).toBe(0x91);
  });

  it('keeps published bundles, revocation lists and A3 records immutable', async () => {
    const change = [
      ca.prisma.$executeRaw`UPDATE bundle SET reason = 'x' WHERE version = 1`,
      ca.prisma.$executeRaw`DELETE FROM bundle WHERE version = 1`,
      ca.prisma.$executeRaw`UPDATE revocation_list SET entry_count = entry_count WHERE sequence = 1`,
      ca.prisma.$executeRaw`UPDATE certificate SET a3_record = NULL WHERE number = 1`,
    ];
    for (const attempt of change) await expect(attempt).rejects.toThrow(/immutable|already has its A3/);
  });

  it('signs the A3 of a certificate issued before A3 records were kept once, in the first publication that lists it', async () => {
    const certificate = await issuedCertificate({ ...h, ca }, 4, { year: 2027, month: 9 }, 0x91);
    const number = BigInt(parseInt(certificate.number, 16));
    // As a certificate issued before the migration: no A3 (the trigger is what forbids this otherwise).
    await ca.prisma.$executeRaw`ALTER TABLE certificate DISABLE TRIGGER certificate_a3_record_once`;
    await ca.prisma.$executeRaw`UPDATE certificate SET a3_record = NULL WHERE number = ${number}`;
    await ca.prisma.$executeRaw`ALTER TABLE certificate ENABLE TRIGGER certificate_a3_record_once`;

    const { version } = unwrap(await publish(ca, 'operator'));
    const a3 = (await ca.prisma.certificate.findUniqueOrThrow({ where: { number } })).a3Record;
    expect(a3).not.toBeNull();
    const listed = unwrap(decodeBundle(unwrap(await bundleByVersion(ca, version)))).certificates.find((c) => BigInt(c.certificateNumber) === number);
    expect(listed?.rootKeyIndex).toBe(0x91);
    const audit = await ca.prisma.auditEvent.findFirstOrThrow({ where: { action: 'bundle.published', objectId: String(version) } });
    expect(audit.details).toMatchObject({ a3SignedNow: 1 });
    expect(unwrap(await publish(ca, 'operator'))).toMatchObject({ unchanged: true });
  });

  it('publishes after an issuance and after an issuer’s withdrawal through the CA’s change hook', async () => {
    const hooked: CaServices = { ...ca, changed: async (reason) => void unwrap(await publish(hooked, reason)) };
    const before = await versions();
    const certificate = await issuedCertificate({ ...h, ca: hooked }, 5, { year: 2027, month: 10 }, 0x91);
    expect(await versions()).toBe(before + 1);
    const issuer = { kind: 'ISSUER', code: uintToBytes(h.issuerId, 4) } as const;
    unwrap(await setInstitutionStatus(hooked, h.admin, issuer, 'WITHDRAWN', 'left the scheme'));
    // Only asked: nothing is revoked, nothing published, until a second operator approves.
    expect(await versions()).toBe(before + 1);
    unwrap(await approveWithdrawal(hooked, h.alice, issuer));
    expect(await versions()).toBe(before + 2);
    const entries = unwrap(decodeBundle(unwrap(await bundleByVersion(ca, before + 2)))).revocationList.entries;
    expect(entries.find((e) => e.certificateNumber === parseInt(certificate.number, 16))).toMatchObject({ reason: 'issuerWithdrawn' });
  });
});
