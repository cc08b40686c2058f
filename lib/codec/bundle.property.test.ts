/**
 * Random publication histories (issue, revoke, time passing so certificates expire, root announce,
 * activate, retire), each step published with buildBundle by a reference model of what §12.2 says a
 * bundle holds. A root key is announced (listed, signing nothing) and activated only once it has
 * been listed for the 90-day lead (TQ-CERT-1 §9), as the CA does; an announced key may be retired unused.
 * Every bundle passes §12.2 against its predecessor — its signer is always one the predecessor's
 * clients trust, so a rollover never needs an intermediate version — and the delta from every
 * earlier version rebuilds it exactly and verifies for a client holding that version, unless the
 * newer bundle's signing root was announced after it: then ROOT_UNTRUSTED. Each version is also
 * built from its predecessor and what changed since (the publisher's incremental path): byte for
 * byte the full build, and decoded the same.
 */
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { toHex } from '../bytes';
import { sm2 } from '../crypto/sm2';
import { ok, unwrap } from '../errors';
import { a2, a3, a4, at, unix } from './testBundles';
import { bundleLayout, decodeBundle } from './bundle';
import { buildBundle } from './buildBundle';
import { applyDelta, makeDelta } from './bundleDelta';
import { expiryMonth, type CalendarMonth } from './expiry';
import { revocationList, type RevocationEntry } from './revocationList';
import { keyPair, type KeyPair } from './testSupport';
import type { TrustedRoot } from './trustedRoot';
import { verifyBundle } from './verifyBundle';

type Step = { kind: 'issue'; months: number } | { kind: 'revoke'; pick: number } | { kind: 'advance'; days: number } | { kind: 'announce' } | { kind: 'activate' } | { kind: 'retire'; pick: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 1, max: 3 }).map((months) => ({ kind: 'issue' as const, months })) },
  { weight: 2, arbitrary: fc.nat().map((pick) => ({ kind: 'revoke' as const, pick })) },
  { weight: 2, arbitrary: fc.integer({ min: 5, max: 60 }).map((days) => ({ kind: 'advance' as const, days })) },
  { weight: 1, arbitrary: fc.constant({ kind: 'announce' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'activate' as const }) },
  { weight: 1, arbitrary: fc.nat().map((pick) => ({ kind: 'retire' as const, pick })) },
);

interface Root {
  readonly index: number;
  readonly key: KeyPair;
  active: boolean;
  /** When a published bundle first listed it (the announcement reached clients). */
  listedSince?: number;
}
interface Certificate {
  readonly number: number;
  readonly rootIndex: number;
  readonly expiry: CalendarMonth;
  readonly record: Uint8Array;
  revoked?: RevocationEntry;
}

const WEEK = 7 * 86_400;
const ANNOUNCE_LEAD = 90 * 86_400;

/** The reference model: the CA's state, and the bundle §12.2 says it publishes at `time`. */
class History {
  time = unix('2026-12-01T00:00:00Z');
  version = 0;
  private nextNumber = 1;
  private nextIndex = 2;
  readonly roots: Root[] = [{ index: 1, key: keyPair(sm2.generatePrivateKey()), active: true }];
  readonly certificates: Certificate[] = [];

  get signing(): Root {
    return this.roots.filter((r) => r.active).at(-1)!;
  }

  apply(s: Step): void {
    const live = this.certificates.filter((c) => !c.revoked && this.listed(c) && !this.expired(c.expiry));
    if (s.kind === 'issue') {
      const d = new Date(this.time * 1000);
      const month = d.getUTCMonth() + s.months;
      const expiry = { year: d.getUTCFullYear() + Math.floor(month / 12), month: (month % 12) + 1 };
      const number = this.nextNumber++;
      const root = this.signing;
      this.certificates.push({ number, rootIndex: root.index, expiry, record: a3({ root: root.key, rootKeyIndex: root.index, certificateNumber: number, expiry, issueTime: this.time }) });
    } else if (s.kind === 'revoke' && live.length > 0) {
      const c = live[s.pick % live.length];
      c.revoked = { certificateNumber: c.number, issuerId: 0x1001, serial: c.number, reason: 'keyCompromise' };
    } else if (s.kind === 'advance') {
      this.time += s.days * 86_400;
    } else if (s.kind === 'announce') {
      // Indexes are never reused: a client's T keeps every index it was given.
      this.roots.push({ index: this.nextIndex++, key: keyPair(sm2.generatePrivateKey()), active: false });
    } else if (s.kind === 'activate') {
      const announced = this.roots.find((r) => !r.active);
      if (announced?.listedSince !== undefined && this.time - announced.listedSince >= ANNOUNCE_LEAD) announced.active = true;
    } else if (s.kind === 'retire') {
      // An announced key may be withdrawn; the last active one keeps signing.
      const active = this.roots.filter((r) => r.active);
      const retirable = active.length > 1 ? this.roots : this.roots.filter((r) => !r.active);
      if (retirable.length > 0) this.roots.splice(this.roots.indexOf(retirable[s.pick % retirable.length]), 1);
    }
  }

  private listed = (c: Certificate) => this.roots.some((r) => r.index === c.rootIndex);
  private expired = (expiry: CalendarMonth) => expiryMonth.isExpired(expiry, at(this.time));

  async publish(previous: Uint8Array | undefined): Promise<Uint8Array> {
    this.time += 3600;
    this.version += 1;
    const signing = this.signing;
    for (const r of this.roots) r.listedSince ??= this.time;
    const entries = this.certificates.filter((c) => c.revoked && !this.expired(c.expiry)).map((c) => c.revoked!);
    const certificates = this.certificates.filter((c) => !c.revoked && this.listed(c) && !this.expired(c.expiry)).map((c) => c.record);
    const contents = {
      manifest: { rootKeyIndex: signing.index, clearingCenterId: 1, version: this.version, publicationTime: this.time, expires: this.time + WEEK },
      rootKeys: this.roots.map((r) => a2(r.key, r.index, 1, { year: 2049, month: 12, day: 31 })),
      revocationList: a4(signing.key, signing.index, this.version, this.time, this.time + WEEK, entries),
    };
    // One signature per manifest: the full build and the successor build must sign the same bytes.
    const signatures = new Map<string, Uint8Array>();
    const sign = async (message: Uint8Array) => {
      const key = toHex(message);
      if (!signatures.has(key)) signatures.set(key, sm2.sign(message, signing.key.d));
      return ok(signatures.get(key)!);
    };
    const full = unwrap(await buildBundle({ ...contents, certificates, previous }, sign)).bytes;
    if (previous) {
      // The differential: the same version built from what changed since the (verified) predecessor.
      const held = unwrap(decodeBundle(previous));
      const heldBytes = held.certificates.map((_, i) => toHex(previous.subarray(bundleLayout(held.manifest).a3(i), bundleLayout(held.manifest).a3(i) + 184)));
      const now = new Set(certificates.map(toHex));
      const removed = held.certificates.filter((_, i) => !now.has(heldBytes[i])).map((c) => c.certificateNumber);
      const added = certificates.filter((c) => !heldBytes.includes(toHex(c)));
      const successor = unwrap(await buildBundle({ ...contents, certificates: { removed, added }, previous: held, previousVerified: true }, sign));
      expect(toHex(successor.bytes)).toBe(toHex(full));
      expect(successor).toEqual(unwrap(decodeBundle(full)));
      // And with the A4 left for the builder to sign while it hashes (a publication's): the same bytes.
      const { rootSignature, ...unsigned } = unwrap(revocationList.decode(contents.revocationList));
      signatures.set(toHex(revocationList.toBeSigned(unsigned)), rootSignature);
      const signing = unwrap(await buildBundle({ ...contents, revocationList: { unsigned }, certificates: { removed, added }, previous: held, previousVerified: true }, sign));
      expect(toHex(signing.bytes)).toBe(toHex(full));
      expect(signing).toEqual(successor);
    }
    return full;
  }
}

interface Published {
  readonly bytes: Uint8Array;
  readonly time: number;
  readonly signingIndex: number;
  /** The client's T after accepting this bundle. */
  readonly trusted: readonly TrustedRoot[];
}

const rotation: Step[] = [
  { kind: 'issue', months: 2 },
  { kind: 'announce' },
  { kind: 'issue', months: 3 },
  { kind: 'activate' }, // too early: refused, the old key keeps signing
  { kind: 'advance', days: 60 },
  { kind: 'advance', days: 31 },
  { kind: 'activate' },
  { kind: 'issue', months: 1 },
  { kind: 'retire', pick: 0 },
  { kind: 'revoke', pick: 0 },
  { kind: 'advance', days: 60 },
];

it('every bundle of a random history verifies after its predecessor, and every delta rebuilds it', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 8 }), async (steps) => {
      const history = new History();
      const first = await history.publish(undefined);
      const initial: TrustedRoot[] = [{ rootKeyIndex: 1, publicKey: history.roots[0].key.publicKey }];
      const published: Published[] = [{ bytes: first, time: history.time, signingIndex: 1, trusted: unwrap(verifyBundle({ bundle: first, trustedRoots: initial, now: at(history.time) })).trustedRoots }];
      for (const s of steps) {
        history.apply(s);
        const before = published.at(-1)!;
        const bytes = await history.publish(before.bytes);
        expect(before.trusted.map((r) => r.rootKeyIndex)).toContain(history.signing.index);
        const accepted = verifyBundle({ bundle: bytes, trustedRoots: before.trusted, previous: before.bytes, now: at(history.time) });
        expect(accepted.ok || accepted.error).toBe(true);
        // The publisher's way: P decoded and verified before, its identical A3s neither decoded nor verified again.
        const fast = verifyBundle({ bundle: bytes, trustedRoots: before.trusted, previous: unwrap(decodeBundle(before.bytes)), previousVerified: true, now: at(history.time) });
        expect(unwrap(fast).bundle).toEqual(unwrap(accepted).bundle);
        published.push({ bytes, time: history.time, signingIndex: history.signing.index, trusted: unwrap(accepted).trustedRoots });
      }
      published.forEach((newer, k) => {
        for (const older of published.slice(0, k)) {
          const rebuilt = unwrap(applyDelta(older.bytes, unwrap(makeDelta(older.bytes, newer.bytes))));
          expect(toHex(rebuilt)).toBe(toHex(newer.bytes));
          const result = verifyBundle({ bundle: rebuilt, trustedRoots: older.trusted, previous: older.bytes, now: at(newer.time) });
          const trusted = older.trusted.some((r) => r.rootKeyIndex === newer.signingIndex);
          expect(result.ok ? 'ok' : result.error.code).toBe(trusted ? 'ok' : 'ROOT_UNTRUSTED');
        }
      });
    }),
    { numRuns: 10, examples: [[rotation]] },
  );
}, 120_000);
