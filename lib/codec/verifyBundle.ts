/**
 * The client's bundle check (TQ-CERT-1 §12.2, checks 1–7 in order): given the trusted root keys
 * T, the last accepted bundle P and the time, either the accepted bundle and the new T, or the
 * first failing check as a TqError naming the record, the field and the offset in the bundle.
 * Pure: the time and P are inputs; any failure rejects the whole bundle and the caller keeps P.
 *
 * A bundle carries thousands of A3 records signed by one or two roots: a root that verifies
 * at least PREPARE_THRESHOLD signatures here gets a PreparedVerifier (its table costs about
 * thirty plain verifications, and each verification is then ~5× cheaper). The new T holds them,
 * so a TMS that keeps the returned T pays for preparing once.
 */
import { equal, samePublicBytes, toHex } from '../bytes';
import { sm2 } from '../crypto/sm2';
import { err, ok, type Result } from '../errors';
import { bodyDigest, bodyOf, bundleLayout, decodeBundle, hexId, positionOf, type Bundle, type DigestedRange } from './bundle';
import { expiryMonth, type CalendarMonth } from './expiry';
import { A3_CERTIFICATE_OFFSET, A3_ISSUER_ID_OFFSET, certificateRecord, type CertificateRecord } from './certificateRecord';
import { ISSUER_CERTIFICATE_LENGTH } from './issuerCertificate';
import { BODY_DIGEST_OFFSET, MANIFEST_SIGNED_LENGTH } from './manifestRecord';
import { revocationListLength } from './revocationList';
import { attempt, expectOk, fail, hexByte } from './structure';
import { verifyRootSignature, type TrustedRoot } from './trustedRoot';
import { publicKeyOf, verifySignature, type VerificationKey } from './verificationKey';
import { checkCertificateExpiry, checkTime, verifyDecodedCertificateSignature } from './verifyIssuerCertificate';

export interface BundleVerificationInput {
  /** The bundle's bytes (a decoded Bundle is checked from its `bytes`). */
  readonly bundle: Uint8Array | Bundle;
  /** T: root keys confirmed out of band (by check value) or returned by an earlier verification. */
  readonly trustedRoots: readonly TrustedRoot[];
  /**
   * P, the last accepted bundle; none before the first. Bytes are decoded; a Bundle is taken as
   * decoded (the `bundle` an earlier verifyBundle returned), so a client keeping it decodes P once.
   * A decoded P's byte-identical A3 records lend the new bundle their decoded values.
   */
  readonly previous?: Uint8Array | Bundle;
  /** The clearing center the client is configured for, when it is. */
  readonly centerId?: number;
  readonly now: Date;
  /** Allowed clock difference for the publication time; default 300 s. */
  readonly skewSeconds?: number;
  /**
   * `previous` passed this very check here before (the publisher's stored predecessor, a TMS's
   * last accepted bundle): an A3 byte-identical to P's, under an index whose key P listed the
   * same, is not verified again — its two signatures were, when P was. Expiry, rebinding and
   * every other check still run. Without it each bundle is checked from scratch.
   */
  readonly previousVerified?: boolean;
}

export interface VerifiedBundle {
  readonly bundle: Bundle;
  /** The new T: the old one plus the roots this bundle's manifest signature vouched for, by index. */
  readonly trustedRoots: readonly TrustedRoot[];
}

/** §12.2 check 4's default allowance for the publication time. */
export const BUNDLE_SKEW_SECONDS = 300;

/** Signatures one root must verify in a bundle before preparing its key pays (measured: ~30 plain verifications). */
const PREPARE_THRESHOLD = 32;

/** §12.2 in full. */
export function verifyBundle(input: BundleVerificationInput): Result<VerifiedBundle> {
  return checkBundle(input, true);
}

/**
 * The checks, with or without the manifest signature: the builder runs them on the body it is
 * about to have signed (so a bundle a client would reject never reaches the signer), then
 * verifyBundle on what the signer returned. `digested`: the SM3 the builder has just computed
 * over the input bytes' body (check 3 takes it for that range of those bytes only).
 */
export function checkBundle(input: BundleVerificationInput, manifestSignature: boolean, digested?: DigestedRange): Result<VerifiedBundle> {
  const now = checkTime(input.now);
  if (!now.ok) return now;
  const skew = input.skewSeconds ?? BUNDLE_SKEW_SECONDS;
  if (!Number.isInteger(skew) || skew < 0) return err('VALUE_RANGE', `skewSeconds must be a non-negative integer, got ${skew}`, { field: 'skewSeconds' });
  // A decoded P lends the new bundle its decoded A3s; P as bytes is decoded after the bundle (which fails first if broken).
  const known = input.previous instanceof Uint8Array ? undefined : input.previous;
  const bytes = input.bundle instanceof Uint8Array ? input.bundle : input.bundle.bytes;
  const decoded = decodeBundle(bytes, known);
  if (!decoded.ok) return decoded;
  const held = input.previous instanceof Uint8Array ? decodeBundle(input.previous) : ok(known);
  if (!held.ok) return { ok: false, error: { ...held.error, field: `previous.${held.error.field}` } };
  const previous = held.value;
  const bundle = decoded.value;
  const reused = input.previousVerified && previous ? recordsVerifiedBefore(bundle, previous) : new Set<number>();
  // The decoded bundle holds a copy of the input, made just now: what was digested of the one is of the other.
  const copied = digested?.bytes === bytes ? { ...digested, bytes: bundle.bytes } : undefined;
  return checkDecodedBundle(bundle, { ...input, now: now.value, skewSeconds: skew, previous }, reused, manifestSignature, copied);
}

/** Positions of a bundle's A3 records that are byte-identical to the (verified) predecessor's at the same number. */
export interface ReusedRecords {
  has(position: number): boolean;
  /** The positions that are not reused, ascending, when the caller knows them without a scan (the builder of a successor). */
  readonly others?: readonly number[];
}

/**
 * Checks 2–7 on a bundle already decoded (check 1), `reused` naming the A3s byte-identical to the
 * verified P's under an unchanged key: the builder of a successor knows them without comparing.
 */
export function checkDecodedBundle(
  bundle: Bundle,
  input: Omit<BundleVerificationInput, 'bundle' | 'previous' | 'skewSeconds'> & { readonly previous: Bundle | undefined; readonly skewSeconds: number },
  reused: ReusedRecords,
  manifestSignature: boolean,
  digested?: DigestedRange,
): Result<VerifiedBundle> {
  const { previous } = input;
  return attempt(() => {
    const trusted = new Map(input.trustedRoots.map((r) => [r.rootKeyIndex, r.publicKey]));
    checkSigner(bundle, trusted, input.centerId, manifestSignature);
    checkBodyDigest(bundle, digested);
    checkFreshness(bundle, previous, input.now.getTime() / 1000, input.skewSeconds);
    const keys = checkRootKeys(bundle, trusted, reused);
    checkCertificates(bundle, keys, previous, reused);
    checkRevocationList(bundle, keys, previous);
    const next = new Map([...trusted, ...keys]);
    return {
      bundle,
      trustedRoots: [...next].sort(([a], [b]) => a - b).map(([rootKeyIndex, publicKey]) => ({ rootKeyIndex, publicKey })),
    };
  });
}

/**
 * Check 2: the signing index is trusted and listed with the trusted key, the manifest signature
 * verifies, and every A2 carries the manifest's center (and the configured one).
 */
function checkSigner(bundle: Bundle, trusted: ReadonlyMap<number, VerificationKey>, centerId: number | undefined, manifestSignature: boolean): void {
  const { manifest, rootKeys } = bundle;
  const layout = bundleLayout(manifest);
  const signing = hexByte(manifest.rootKeyIndex);
  const key = trusted.get(manifest.rootKeyIndex);
  if (!key) {
    fail('ROOT_UNTRUSTED', `the manifest is signed by root key ${signing}, which is not trusted`, {
      field: 'manifest.rootKeyIndex',
      offset: 1,
      details: { rootKeyIndex: signing, trusted: [...trusted.keys()].map(hexByte) },
    });
  }
  const listed = rootKeys.findIndex((k) => k.rootKeyIndex === manifest.rootKeyIndex);
  if (listed < 0) fail('ROOT_NOT_LISTED', `the manifest's signing key ${signing} has no A2 in the body`, { field: 'manifest.rootKeyIndex', offset: 1 });
  checkTrustedKey(bundle, listed, key);
  if (manifestSignature && !verifySignature(key, bundle.bytes.subarray(0, MANIFEST_SIGNED_LENGTH), manifest.rootSignature)) {
    fail('SIGNATURE_INVALID', `the manifest signature does not verify with root key ${signing}`, { field: 'manifest.rootSignature', offset: MANIFEST_SIGNED_LENGTH });
  }
  rootKeys.forEach((record, i) => {
    if (record.clearingCenterId !== manifest.clearingCenterId) {
      fail('CENTER_MISMATCH', `a2[${i}] belongs to clearing center ${hexId(record.clearingCenterId)}, the manifest to ${hexId(manifest.clearingCenterId)}`, {
        field: `a2[${i}].clearingCenterId`,
        offset: layout.a2(i) + 1,
      });
    }
  });
  if (centerId !== undefined && manifest.clearingCenterId !== centerId) {
    fail('CENTER_MISMATCH', `the bundle is clearing center ${hexId(manifest.clearingCenterId)}'s, not the configured ${hexId(centerId)}`, {
      field: 'manifest.clearingCenterId',
      offset: 2,
      details: { configured: hexId(centerId) },
    });
  }
}

/** An A2 under an index the client trusts must carry the trusted key (an index is never rebound to another key). */
function checkTrustedKey(bundle: Bundle, i: number, trustedKey: VerificationKey | undefined): void {
  const record = bundle.rootKeys[i];
  if (trustedKey && !equal(publicKeyOf(trustedKey).bytes, record.publicKey.bytes)) {
    fail('ROOT_KEY_CONFLICT', `a2[${i}] carries another key than the trusted root key ${hexByte(record.rootKeyIndex)}`, {
      field: `a2[${i}].publicKey`,
      offset: bundleLayout(bundle.manifest).a2(i) + 9,
      details: { rootKeyIndex: hexByte(record.rootKeyIndex), trusted: toHex(publicKeyOf(trustedKey).bytes) },
    });
  }
}

/**
 * Check 5 (the check values were verified when the A2s were parsed): a trusted index keeps its
 * key; any other A2 enters T through this manifest's signature. Returns the key each listed
 * index verifies with, prepared where that pays.
 */
function checkRootKeys(bundle: Bundle, trusted: ReadonlyMap<number, VerificationKey>, reused: ReusedRecords): Map<number, VerificationKey> {
  const uses = signatureCounts(bundle, reused);
  const keys = new Map<number, VerificationKey>();
  bundle.rootKeys.forEach((record, i) => {
    const trustedKey = trusted.get(record.rootKeyIndex);
    checkTrustedKey(bundle, i, trustedKey);
    const key = trustedKey ?? record.publicKey;
    keys.set(record.rootKeyIndex, 'verify' in key || (uses.get(record.rootKeyIndex) ?? 0) < PREPARE_THRESHOLD ? key : sm2.prepareVerifier(key));
  });
  return keys;
}

/** How many signatures each root index verifies in this bundle (A3 and certificate, A4, manifest). */
function signatureCounts(bundle: Bundle, reused: ReusedRecords): Map<number, number> {
  const counts = new Map<number, number>();
  const add = (index: number, n: number) => counts.set(index, (counts.get(index) ?? 0) + n);
  if (reused.others) for (const i of reused.others) add(bundle.certificates[i].rootKeyIndex, 2);
  else bundle.certificates.forEach((record, i) => reused.has(i) || add(record.rootKeyIndex, 2));
  add(bundle.revocationList.rootKeyIndex, 1);
  add(bundle.manifest.rootKeyIndex, 1);
  return counts;
}

/**
 * Check 3: the digest the manifest's bytes state (and its decoded value) against SM3 of the body;
 * the builder's `digested` stands for that SM3 only when it covers exactly this body of exactly
 * this array, so a builder that hashed another range, or other bytes, is still caught here.
 */
function checkBodyDigest(bundle: Bundle, digested: DigestedRange | undefined): void {
  const body = bodyOf(bundle.bytes);
  const same = digested !== undefined && digested.bytes === bundle.bytes && digested.offset === body.byteOffset - bundle.bytes.byteOffset && digested.length === body.length;
  const actual = same ? digested.digest : bodyDigest(body);
  const stated = bundle.bytes.subarray(BODY_DIGEST_OFFSET, BODY_DIGEST_OFFSET + actual.length);
  if (!equal(actual, stated) || !equal(actual, bundle.manifest.bodyDigest)) {
    fail('BODY_DIGEST_MISMATCH', 'SM3 of the body is not the digest the manifest states', {
      field: 'manifest.bodyDigest',
      offset: BODY_DIGEST_OFFSET,
      details: { expected: toHex(bundle.manifest.bodyDigest), actual: toHex(actual) },
    });
  }
}

/** Check 4: no rollback, no rebinding of a version, published by now (+ skew), not expired, expiry within the A4's. */
function checkFreshness(bundle: Bundle, previous: Bundle | undefined, now: number, skew: number): void {
  const { manifest } = bundle;
  if (previous) {
    const held = previous.manifest.version;
    if (manifest.version < held) {
      fail('BUNDLE_ROLLBACK', `bundle version ${manifest.version} is older than the accepted ${held}`, { field: 'manifest.version', offset: 6, details: { accepted: held } });
    }
    if (manifest.version === held && !equal(bundle.bytes, previous.bytes)) {
      fail('BUNDLE_VERSION_CONFLICT', `bundle version ${held} differs from the accepted bundle of the same version`, {
        field: 'manifest.version',
        offset: 6,
        details: { accepted: held },
      });
    }
  }
  if (manifest.publicationTime > now + skew) {
    fail('BUNDLE_NOT_YET_VALID', `published at ${iso(manifest.publicationTime)}, later than now plus ${skew} s`, {
      field: 'manifest.publicationTime',
      offset: 10,
      details: { publicationTime: iso(manifest.publicationTime), now: iso(now), skewSeconds: skew },
    });
  }
  if (now >= manifest.expires) {
    fail('BUNDLE_EXPIRED', `the bundle expired at ${iso(manifest.expires)}`, { field: 'manifest.expires', offset: 14, details: { expires: iso(manifest.expires), now: iso(now) } });
  }
  const nextUpdate = bundle.revocationList.nextUpdate;
  if (manifest.expires > nextUpdate) {
    fail('EXPIRES_AFTER_NEXT_UPDATE', `the bundle expires at ${iso(manifest.expires)}, after its revocation list's next update ${iso(nextUpdate)}`, {
      field: 'manifest.expires',
      offset: 14,
      details: { expires: iso(manifest.expires), nextUpdate: iso(nextUpdate) },
    });
  }
}

const iso = (unix: number) => new Date(unix * 1000).toISOString();

/** Check 6. */
/** Positions of the A3 records that are byte-identical to P's under a root index P listed with the same key. */
function recordsVerifiedBefore(bundle: Bundle, previous: Bundle): Set<number> {
  const keyBefore = new Map(previous.rootKeys.map((k) => [k.rootKeyIndex, k.publicKey.bytes]));
  const keyNow = new Map(bundle.rootKeys.map((k) => [k.rootKeyIndex, k.publicKey.bytes]));
  const positionBefore = new Map(previous.certificates.map((r, j) => [r.certificateNumber, j]));
  const before = bundleLayout(previous.manifest);
  const now = bundleLayout(bundle.manifest);
  const reused = new Set<number>();
  bundle.certificates.forEach((record, i) => {
    const j = positionBefore.get(record.certificateNumber);
    const k0 = keyBefore.get(record.rootKeyIndex);
    const k1 = keyNow.get(record.rootKeyIndex);
    if (j === undefined || !k0 || !k1 || !equal(k0, k1)) return;
    const held = previous.bytes.subarray(before.a3(j), before.a3(j) + certificateRecord.length);
    if (samePublicBytes(held, bundle.bytes.subarray(now.a3(i), now.a3(i) + certificateRecord.length))) reused.add(i);
  });
  return reused;
}

/**
 * No A3 of a bundle expires before this month (a lower bound), per records array: a successor's
 * is the least of its predecessor's and its own new records'. So while it has not passed, the
 * reused records need no look at all (their keys are P's, listed again), only the new ones.
 */
const earliestExpiries = new WeakMap<readonly CertificateRecord[], CalendarMonth>();

const monthOrder = (m: CalendarMonth) => m.year * 12 + m.month;
const earlier = (a: CalendarMonth | undefined, b: CalendarMonth) => (a === undefined || monthOrder(b) < monthOrder(a) ? b : a);

function checkCertificates(bundle: Bundle, keys: Map<number, VerificationKey>, previous: Bundle | undefined, reused: ReusedRecords): void {
  const layout = bundleLayout(bundle.manifest);
  const publication = new Date(bundle.manifest.publicationTime * 1000);
  const expired = expiredAt(publication);
  const { certificates } = bundle;
  const before = previous && earliestExpiries.get(previous.certificates);
  const onlyOthers = reused.others !== undefined && before !== undefined && !expired(before);
  const count = onlyOthers ? reused.others!.length : certificates.length;
  let earliest = onlyOthers ? before : undefined;
  // A plain loop that builds nothing for a reused record: a bundle has 10,000 of them.
  for (let n = 0; n < count; n++) {
    const i = onlyOthers ? reused.others![n] : n;
    const record = certificates[i];
    earliest = earlier(earliest, record.certificate.expiry);
    const key = keys.get(record.rootKeyIndex);
    if (!key) {
      fail('ROOT_NOT_LISTED', `a3[${i}] is signed by root key ${hexByte(record.rootKeyIndex)}, which has no A2 in the body`, {
        field: `a3[${i}].rootKeyIndex`,
        offset: layout.a3(i) + 1,
      });
    }
    if (expired(record.certificate.expiry)) expectOk(checkCertificateExpiry(record.certificate, publication), layout.a3(i) + A3_CERTIFICATE_OFFSET, `a3[${i}].certificate`);
    // A reused record is P's own bytes at the same number: verified, and bound as in P.
    if (reused.has(i)) continue;
    const name = `a3[${i}]`;
    const at = layout.a3(i);
    const bytes = bundle.bytes.subarray(at, at + certificateRecord.length);
    expectOk(verifyRootSignature(record, bytes.subarray(0, certificateRecord.length - 64), { rootKeyIndex: record.rootKeyIndex, publicKey: key }), at, name);
    expectOk(verifyDecodedCertificateSignature(record.certificate, key), at + A3_CERTIFICATE_OFFSET, `${name}.certificate`);
    const held = previous && heldCertificate(previous, record.certificateNumber);
    if (held && !samePublicBytes(held, bytes.subarray(A3_ISSUER_ID_OFFSET, A3_CERTIFICATE_OFFSET + ISSUER_CERTIFICATE_LENGTH))) {
      const issuerChanged = !equal(held.subarray(0, 4), bytes.subarray(A3_ISSUER_ID_OFFSET, A3_CERTIFICATE_OFFSET));
      fail('CERT_REBOUND', `certificate number ${hexId(record.certificateNumber)} is bound to another ${issuerChanged ? 'issuer id' : 'certificate'} in the accepted bundle`, {
        field: `${name}.${issuerChanged ? 'issuerId' : 'certificate'}`,
        offset: at + (issuerChanged ? A3_ISSUER_ID_OFFSET : A3_CERTIFICATE_OFFSET),
        details: { certificateNumber: hexId(record.certificateNumber), accepted: toHex(held) },
      });
    }
  }
  if (earliest) earliestExpiries.set(certificates, earliest);
}

/** Issuer id ‖ certificate (A3 bytes 6–115) of the bundle's record with this number, if it lists one. */
function heldCertificate(bundle: Bundle, certificateNumber: number): Uint8Array | undefined {
  const i = positionOf(bundle.certificates, certificateNumber);
  if (i < 0) return undefined;
  const at = bundleLayout(bundle.manifest).a3(i);
  return bundle.bytes.subarray(at + A3_ISSUER_ID_OFFSET, at + A3_CERTIFICATE_OFFSET + ISSUER_CERTIFICATE_LENGTH);
}

/** Whether a certificate expiring in a month has expired at `at`, judged once per month (a bundle has few). */
function expiredAt(at: Date): (expiry: CalendarMonth) => boolean {
  const judged = new Map<number, boolean>();
  return (expiry) => {
    const key = expiry.year * 16 + expiry.month;
    let expired = judged.get(key);
    if (expired === undefined) judged.set(key, (expired = expiryMonth.isExpired(expiry, at)));
    return expired;
  };
}

/** Check 7. */
function checkRevocationList(bundle: Bundle, keys: Map<number, VerificationKey>, previous: Bundle | undefined): void {
  const { manifest, revocationList: list } = bundle;
  const layout = bundleLayout(manifest);
  const key = keys.get(list.rootKeyIndex);
  if (!key) {
    fail('ROOT_NOT_LISTED', `the A4 is signed by root key ${hexByte(list.rootKeyIndex)}, which has no A2 in the body`, { field: 'a4.rootKeyIndex', offset: layout.a4 + 1 });
  }
  const bytes = bundle.bytes.subarray(layout.a4);
  expectOk(verifyRootSignature(list, bytes.subarray(0, revocationListLength(list.entries.length) - 64), { rootKeyIndex: list.rootKeyIndex, publicKey: key }), layout.a4, 'a4');
  if (list.sequenceNumber !== manifest.revocationSequenceNumber) {
    fail('REVOCATION_SEQUENCE_MISMATCH', `the A4 has sequence number ${list.sequenceNumber}, the manifest states ${manifest.revocationSequenceNumber}`, {
      field: 'a4.sequenceNumber',
      offset: layout.a4 + 2,
      details: { manifest: manifest.revocationSequenceNumber },
    });
  }
  if (previous) {
    const held = previous.revocationList.sequenceNumber;
    const same = list.sequenceNumber === held && equal(bytes, previous.bytes.subarray(bundleLayout(previous.manifest).a4));
    if (list.sequenceNumber < held || (list.sequenceNumber === held && !same)) {
      fail('REVOCATION_SEQUENCE', `the A4 sequence number ${list.sequenceNumber} goes back from, or rebinds, the accepted ${held}`, {
        field: 'a4.sequenceNumber',
        offset: layout.a4 + 2,
        details: { accepted: held },
      });
    }
  }
  // Each entry looked up among the A3s (entries are few, A3s many); the first listed A3 is reported.
  const listed = list.entries.map((e) => positionOf(bundle.certificates, e.certificateNumber)).filter((i) => i >= 0);
  if (listed.length > 0) {
    const i = Math.min(...listed);
    fail('CERT_REVOKED', `a3[${i}] (certificate ${hexId(bundle.certificates[i].certificateNumber)}) is on the bundle's own revocation list`, {
      field: `a3[${i}].certificateNumber`,
      offset: layout.a3(i) + 2,
    });
  }
}
