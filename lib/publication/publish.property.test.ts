/**
 * Random CA histories through the real services (software token, PGlite): issue, revoke, time
 * passing (certificates expire, bundles near their expiry), root-key announcement (a new key,
 * announced under dual control), activation (refused with ROOT_KEY_ANNOUNCEMENT_TOO_RECENT until
 * the key has been announced for the 90-day lead on the services' clock) and retirement (of an
 * active key, or of an announced one never used).
 * Each change publishes through the CA's `changed` hook (as lib/runtime wires it), time passing
 * through an explicit publication (as the scheduler does). Then, for every new version: it lists
 * exactly what a model of §12.2 says; it passes the client algorithm against its predecessor with
 * the trust a client accumulated from version 1; and the stored delta from every earlier version,
 * applied to that version, gives the new bundle byte for byte. And, right after each publication,
 * the differential: a publication reads the predecessor's lists plus the rows changed since it
 * (`contentsRead: 'changes'`); every version must be byte for byte what a full read of every row
 * at the same instant gives (its A2s ‖ A3s ‖ the version's A4, whose entries are the full read's),
 * read back from its stored references (the readers' cache emptied) and equal to the bytes built.
 * One database and token for all runs; each run continues the same history with fresh issuers.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { concat, equal, uintToBytes } from '../bytes';
import { applyDelta, bundleLayout, decodeBundle, verifyBundle, type TrustedRoot } from '../codec';
import { sm2 } from '../crypto/sm2';
import { unwrap, type Result } from '../errors';
import { transact, type CaServices } from '../ca';
import { revokeCertificate } from '../ca/certificates';
import { createInstitution } from '../ca/institutions';
import { approveCeremony, requestRootKeyChange, requestRootKeyCreation } from '../ca/rootKeys';
import { approveRequest, issueChallenge, reviewRequest, submitRequest } from '../ca/requests';
import { issueCertificate } from '../ca/issuance';
import { buildRequest, startHarness, type Harness } from '../../test/e2e/harness';
import { bundleByVersion, deltaBetween, forgetStoredBundles } from './reads';
import { readContents } from './contents';
import type { PublicationReason } from './policy';
import { publish, type PublishOutcome } from './publish';

type Step =
  | { kind: 'issue'; months: number; root: number }
  | { kind: 'revoke'; pick: number }
  | { kind: 'advance'; days: number }
  | { kind: 'announce' }
  | { kind: 'activate'; pick: number }
  | { kind: 'retire'; pick: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('issue' as const), months: fc.integer({ min: 1, max: 4 }), root: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('revoke' as const), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('advance' as const), days: fc.integer({ min: 2, max: 60 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'announce' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('activate' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('retire' as const), pick: fc.nat() }) },
);

interface Issued {
  readonly number: number;
  readonly rootIndex: number;
  readonly expiresAt: Date;
  revoked: boolean;
}

let h: Harness;
let clock = new Date('2026-12-01T02:00:00Z');
let ca: CaServices;
const published: Result<PublishOutcome>[] = [];
const issued: Issued[] = [];
const activeRoots: number[] = [];
/** Announced keys and when their announcement was approved. */
const announcedRoots: { index: number; at: Date }[] = [];
const ANNOUNCE_LEAD_MS = 90 * 86_400_000;
let nextRootIndex = 0x80;
let nextIssuer = 0x00003000;
/** What a client holds: T and P, from version 1 on. */
let trusted: readonly TrustedRoot[] = [];
let checkedVersion = 0;

beforeAll(async () => {
  h = await startHarness({ now: () => clock });
  ca = { ...h.ca, now: () => clock, changed: async (reason) => void published.push(await publishAndCompare(reason)) };
  await activateRoot(await createRoot());
}, 300_000);
afterAll(() => h?.close());

let comparedVersion = 0;
const contentsRead: string[] = [];

/** A publication, then each new version against a full read of the state it was published from (nothing has changed since). */
async function publishAndCompare(reason: PublicationReason): Promise<Result<PublishOutcome>> {
  const outcome = await publish(ca, reason);
  const versions = await ca.prisma.publishedBundle.findMany({ where: { version: { gt: comparedVersion } }, orderBy: { version: 'asc' }, select: { version: true, publishedAt: true } });
  // What the publications built (each held as the hot version), then what the stored references give.
  const built = await Promise.all(versions.map(async (v) => unwrap(await bundleByVersion(ca, v.version))));
  forgetStoredBundles(ca.prisma);
  for (const [i, v] of versions.entries()) {
    const full = unwrap(unwrap(await transact(ca.prisma, (tx) => readContents(tx, ca, v.publishedAt))));
    const bytes = unwrap(await bundleByVersion(ca, v.version));
    expect(equal(bytes, built[i]!), `version ${v.version} reassembles to the bytes built`).toBe(true);
    const bundle = unwrap(decodeBundle(bytes));
    const a4 = bytes.subarray(bundleLayout(bundle.manifest).a4);
    expect(Array.isArray(full.certificates)).toBe(true);
    expect(equal(bytes.subarray(122), concat(...full.rootKeys.map((k) => k.a2), ...(full.certificates as Uint8Array[]), a4)), `version ${v.version} is a full read's`).toBe(true);
    expect(bundle.revocationList.entries).toEqual(full.revoked);
    const audit = await ca.prisma.auditEvent.findFirstOrThrow({ where: { action: 'bundle.published', objectId: String(v.version) } });
    contentsRead.push((audit.details as { contentsRead: string }).contentsRead);
    comparedVersion = v.version;
  }
  return outcome;
}

async function createRoot(): Promise<number> {
  const index = nextRootIndex++;
  const create = unwrap(await requestRootKeyCreation(ca, h.alice, { index, environment: 'TEST', expiry: { year: 2031, month: 12, day: 31 } }));
  unwrap(await approveCeremony(ca, h.bob, create.id));
  return index;
}

async function approveChange(action: 'ANNOUNCE' | 'ACTIVATE' | 'RETIRE', index: number): Promise<Result<unknown>> {
  const asked = unwrap(await requestRootKeyChange(ca, h.alice, action, index));
  return approveCeremony(ca, h.bob, asked.id);
}

async function activateRoot(index: number): Promise<void> {
  unwrap(await approveChange('ACTIVATE', index));
  activeRoots.push(index);
  if (trusted.length === 0) {
    const row = await ca.prisma.rootKey.findUniqueOrThrow({ where: { index } });
    trusted = [{ rootKeyIndex: index, publicKey: unwrap(sm2.publicKeyFromBytes(row.publicKey)) }]; // confirmed out of band
  }
}

async function run(s: Step): Promise<void> {
  switch (s.kind) {
    case 'issue': {
      const issuerId = nextIssuer++;
      unwrap(await createInstitution(ca, h.admin, { kind: 'ISSUER', code: uintToBytes(issuerId, 4), nameZh: `发卡机构 ${issuerId}` }));
      const challenge = unwrap(await issueChallenge(ca, h.alice, issuerId));
      const cst = new Date(clock.getTime() + 8 * 3_600_000);
      const month = cst.getUTCMonth() + s.months;
      const expiry = { year: cst.getUTCFullYear() + Math.floor(month / 12), month: (month % 12) + 1 };
      const request = unwrap(await submitRequest(ca, h.alice, buildRequest({ issuerId, challenge: challenge.challenge, serial: 1, expiry, at: clock }).a1));
      unwrap(await reviewRequest(ca, h.alice, request.id, request.fingerprint));
      const rootIndex = activeRoots[s.root % activeRoots.length];
      unwrap(await approveRequest(ca, h.bob, request.id, rootIndex));
      const certificate = unwrap(await issueCertificate(ca, h.bob, request.id));
      const row = await ca.prisma.certificate.findUniqueOrThrow({ where: { number: BigInt(parseInt(certificate.number, 16)) } });
      issued.push({ number: Number(row.number), rootIndex, expiresAt: row.expiresAt, revoked: false });
      return;
    }
    case 'revoke': {
      const live = issued.filter((c) => !c.revoked && c.expiresAt > clock);
      if (live.length === 0) return;
      const c = live[s.pick % live.length];
      unwrap(await revokeCertificate(ca, h.bob, c.number, 'keyCompromise'));
      c.revoked = true;
      return;
    }
    case 'advance':
      clock = new Date(clock.getTime() + s.days * 86_400_000);
      published.push(await publishAndCompare('expiry'));
      return;
    case 'announce': {
      const index = await createRoot();
      unwrap(await approveChange('ANNOUNCE', index));
      announcedRoots.push({ index, at: clock });
      return;
    }
    case 'activate': {
      if (announcedRoots.length === 0) return;
      const k = s.pick % announcedRoots.length;
      const { index, at } = announcedRoots[k];
      if (clock.getTime() - at.getTime() < ANNOUNCE_LEAD_MS) {
        const refused = await approveChange('ACTIVATE', index);
        expect(refused.ok ? 'ok' : refused.error.code).toBe('ROOT_KEY_ANNOUNCEMENT_TOO_RECENT');
        return;
      }
      announcedRoots.splice(k, 1);
      return activateRoot(index);
    }
    case 'retire': {
      // An announced key may be withdrawn; the last signer stays (clients would trust no one else).
      const retirable = [...announcedRoots.map((r) => r.index), ...(activeRoots.length > 1 ? activeRoots : [])];
      if (retirable.length === 0) return;
      const index = retirable[s.pick % retirable.length];
      unwrap(await approveChange('RETIRE', index));
      const k = announcedRoots.findIndex((r) => r.index === index);
      if (k >= 0) announcedRoots.splice(k, 1);
      else activeRoots.splice(activeRoots.indexOf(index), 1);
    }
  }
}

/** Every version since the last check: the model's content, the client algorithm, and deltas from every earlier version. */
async function checkNewVersions(): Promise<void> {
  for (const p of published.splice(0)) expect(p.ok ? 'ok' : p.error).toBe('ok');
  const latest = (await ca.prisma.publishedBundle.aggregate({ _max: { version: true } }))._max.version ?? 0;
  for (let v = checkedVersion + 1; v <= latest; v++) {
    const bytes = unwrap(await bundleByVersion(ca, v));
    const previous = v > 1 ? unwrap(await bundleByVersion(ca, v - 1)) : undefined;
    // A client fetching each version as it appears.
    const { publishedAt } = await ca.prisma.publishedBundle.findUniqueOrThrow({ where: { version: v }, select: { publishedAt: true } });
    // Announced for the lead, a new signer is one clients trust already: no intermediate version.
    if (v > 1) expect(trusted.map((r) => r.rootKeyIndex)).toContain(unwrap(decodeBundle(bytes)).manifest.rootKeyIndex);
    const verified = verifyBundle({ bundle: bytes, trustedRoots: trusted, previous, centerId: ca.centerId, now: publishedAt });
    expect(verified.ok ? 'ok' : verified.error).toBe('ok');
    trusted = unwrap(verified).trustedRoots;
    for (let u = 1; u < v; u++) {
      const rebuilt = applyDelta(unwrap(await bundleByVersion(ca, u)), unwrap(await deltaBetween(ca, u, v)));
      expect(rebuilt.ok && equal(rebuilt.value, bytes), `delta ${u}→${v}`).toBe(true);
    }
  }
  checkedVersion = latest;
  // The newest version lists what §12.2 says, now.
  const bundle = unwrap(decodeBundle(unwrap(await bundleByVersion(ca, latest))));
  const listedAt = new Date(bundle.manifest.publicationTime * 1000);
  expect(bundle.rootKeys.map((k) => k.rootKeyIndex)).toEqual([...activeRoots, ...announcedRoots.map((r) => r.index)].sort((a, b) => a - b));
  const expected = issued.filter((c) => !c.revoked && c.expiresAt > listedAt && activeRoots.includes(c.rootIndex)).map((c) => c.number);
  expect(bundle.certificates.map((c) => c.certificateNumber)).toEqual(expected);
  const revoked = issued.filter((c) => c.revoked && c.expiresAt > listedAt).map((c) => c.number);
  expect(bundle.revocationList.entries.map((e) => e.certificateNumber)).toEqual(revoked);
  expect(bundle.manifest.rootKeyIndex).toBe(Math.max(...activeRoots));
}

it('publishes every history as bundles a client accepts in turn, with exact deltas from every earlier version', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(step, { minLength: 3, maxLength: 8 }), async (steps) => {
      for (const s of steps) await run(s);
      await checkNewVersions();
    }),
    { numRuns: 12 },
  );
  expect(checkedVersion).toBeGreaterThan(12);
  // Most versions were made from their predecessor; a root-key change reads every row.
  expect(contentsRead.filter((r) => r === 'changes').length).toBeGreaterThan(contentsRead.length / 2);
  expect(contentsRead).toContain('full');
}, 600_000);
