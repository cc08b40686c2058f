/**
 * Delta from bundle version u to v (TQ-CERT-1 §12.3):
 *
 *   manifest of v ‖ A6 | from version u (4) | R (2) | R removed numbers (4 each, strictly ascending)
 *   | M (2) ‖ the A2 records of v ‖ M added A3 records (strictly ascending) ‖ the A4 of v
 *
 * applyDelta rebuilds the full bundle of v from the held bundle u; its SM3 must match the
 * manifest, and the caller then runs verifyBundle on it as on any full bundle (a delta earns no
 * trust of its own). Offsets in delta errors are in the delta.
 */
import { concat, equal, toHex } from '../bytes';
import type { Result } from '../errors';
import { bodyDigest, bundleLayout, MAX_BUNDLE_LENGTH, hexId, decodeBundle, readCertificates, readFinalRevocationList, readManifest, readRootKeys, type Bundle } from './bundle';
import { certificateRecord, type CertificateRecord } from './certificateRecord';
import { BODY_DIGEST_OFFSET, MANIFEST_RECORD_LENGTH, type ManifestRecord } from './manifestRecord';
import { type RevocationList } from './revocationList';
import { ROOT_KEY_RECORD_LENGTH, type RootKeyRecord } from './rootKeyRecord';
import { readCertificateNumber, writeCertificateNumber } from './sharedFields';
import { attempt, decodeStructure, encodeStructure, fail, FieldWriter } from './structure';

export const DELTA_HEADER_TAG = 0xa6;

/** The longest delta: a whole bundle's records plus a header removing 65 535 numbers. */
export const MAX_DELTA_LENGTH = MAX_BUNDLE_LENGTH + 9 + 4 * 0xffff;

export interface BundleDelta {
  /** The manifest of v. */
  readonly manifest: ManifestRecord;
  /** u: the version the delta applies to. */
  readonly fromVersion: number;
  /** Certificate numbers of u that v drops (or replaces), strictly ascending. */
  readonly removed: readonly number[];
  readonly rootKeys: readonly RootKeyRecord[];
  /** A3 records of v that u does not hold byte for byte, strictly ascending. */
  readonly added: readonly CertificateRecord[];
  readonly revocationList: RevocationList;
  readonly bytes: Uint8Array;
}

const HEADER_OFFSET = MANIFEST_RECORD_LENGTH;
const removedOffset = (i: number) => HEADER_OFFSET + 7 + 4 * i;

/** Structure only (the §12.3 orders and counts as far as the delta alone shows them). */
export function decodeDelta(bytes: Uint8Array): Result<BundleDelta> {
  return decodeStructure('delta', bytes, null, (r) => {
    const manifest = readManifest(r);
    if (r.bytes.length < HEADER_OFFSET + 9) {
      fail('LENGTH_INVALID', 'the input ends inside the delta header', { field: 'delta', offset: r.bytes.length });
    }
    r.constant('delta.tag', DELTA_HEADER_TAG, 'RECORD_TYPE', 'delta header tag');
    const fromVersion = r.uint(4);
    const removedCount = r.uint(2);
    if (r.bytes.length < removedOffset(removedCount) + 2) {
      fail('LENGTH_INVALID', `the input ends inside the ${removedCount} removed numbers`, { field: 'delta.removedCount', offset: HEADER_OFFSET + 5 });
    }
    const removed: number[] = [];
    for (let i = 0; i < removedCount; i++) {
      const number = readCertificateNumber(r, `delta.removed[${i}]`);
      if (i > 0 && number <= removed[i - 1]) {
        fail('RECORD_ORDER', `removed number ${number} is not above ${removed[i - 1]}`, { field: `delta.removed[${i}]`, offset: removedOffset(i) });
      }
      removed.push(number);
    }
    const addedCount = r.uint(2);
    const rootKeys = readRootKeys(r, manifest.a2Count);
    const added = readCertificates(r, addedCount, 'added', `the delta header counts ${addedCount} added A3 records`);
    const revocationList = readFinalRevocationList(r);
    return { manifest, fromVersion, removed, rootKeys, added, revocationList, bytes: bytes.slice() };
  });
}

/** Certificate number → its A3 bytes, in bundle order. */
function certificateBytes(bundle: Bundle): Map<number, Uint8Array> {
  const layout = bundleLayout(bundle.manifest);
  return new Map(bundle.certificates.map((c, i) => [c.certificateNumber, bundle.bytes.subarray(layout.a3(i), layout.a3(i) + certificateRecord.length)]));
}

const decode = (bundle: Uint8Array | Bundle, prefix: string): Result<Bundle> => {
  const decoded = decodeBundle(bundle instanceof Uint8Array ? bundle : bundle.bytes);
  return decoded.ok ? decoded : { ok: false, error: { ...decoded.error, field: `${prefix}.${decoded.error.field}` } };
};

/**
 * The canonical delta from u to v: every number whose A3 is not byte-identical in v is removed,
 * every A3 of v not byte-identical in u is added. Both bundles are decoded, not verified: the
 * publisher makes deltas between bundles it has verified.
 */
export function makeDelta(from: Uint8Array | Bundle, to: Uint8Array | Bundle): Result<Uint8Array> {
  const u = decode(from, 'from');
  if (!u.ok) return u;
  const v = decode(to, 'to');
  if (!v.ok) return v;
  return attempt(() => {
    const older = u.value;
    const newer = v.value;
    if (newer.manifest.version <= older.manifest.version) {
      fail('BUNDLE_ROLLBACK', `a delta goes from an older version to a newer one, not ${older.manifest.version} → ${newer.manifest.version}`, {
        field: 'to.manifest.version',
        offset: 6,
        details: { from: older.manifest.version, to: newer.manifest.version },
      });
    }
    const held = certificateBytes(older);
    const target = certificateBytes(newer);
    const removed = [...held].filter(([n, bytes]) => !sameRecord(target.get(n), bytes)).map(([n]) => n);
    const added = [...target].filter(([n, bytes]) => !sameRecord(held.get(n), bytes)).map(([, bytes]) => bytes);
    const layout = bundleLayout(newer.manifest);
    const header = encodeStructure(() => {
      const w = new FieldWriter('delta').byte(DELTA_HEADER_TAG).uint('fromVersion', older.manifest.version, 4).uint('removedCount', removed.length, 2);
      removed.forEach((n, i) => writeCertificateNumber(w, n, `removed[${i}]`));
      return w.uint('addedCount', added.length, 2).finish();
    });
    return concat(
      newer.bytes.subarray(0, MANIFEST_RECORD_LENGTH),
      header,
      newer.bytes.subarray(layout.body, layout.a3(0)),
      ...added,
      newer.bytes.subarray(layout.a4),
    );
  });
}

const sameRecord = (a: Uint8Array | undefined, b: Uint8Array) => a !== undefined && equal(a, b);

/**
 * The full bundle of v, rebuilt from the held bundle u and a delta u → v (§12.3): u's version must
 * be the delta's base, each removed number present, each added one absent, and SM3 of the rebuilt
 * body the manifest's. Pass the result to verifyBundle before accepting it.
 */
export function applyDelta(previous: Uint8Array | Bundle, delta: Uint8Array): Result<Uint8Array> {
  const held = decode(previous, 'previous');
  if (!held.ok) return held;
  const decoded = decodeDelta(delta);
  if (!decoded.ok) return decoded;
  return attempt(() => {
    const d = decoded.value;
    const base = held.value.manifest.version;
    if (d.fromVersion !== base) {
      fail('DELTA_BASE_MISMATCH', `the delta applies to version ${d.fromVersion}; the held bundle is version ${base}`, {
        field: 'delta.fromVersion',
        offset: HEADER_OFFSET + 1,
        details: { held: base, from: d.fromVersion },
      });
    }
    const records = certificateBytes(held.value);
    d.removed.forEach((n, i) => {
      if (!records.delete(n)) {
        fail('DELTA_REMOVED_ABSENT', `the delta removes certificate ${hexId(n)}, which the held bundle does not have`, { field: `delta.removed[${i}]`, offset: removedOffset(i) });
      }
    });
    const addedStart = removedOffset(d.removed.length) + 2 + d.rootKeys.length * ROOT_KEY_RECORD_LENGTH;
    d.added.forEach((c, i) => {
      const at = addedStart + i * certificateRecord.length;
      if (records.has(c.certificateNumber)) {
        fail('DELTA_ADDED_PRESENT', `the delta adds certificate ${hexId(c.certificateNumber)}, which the held bundle still has`, {
          field: `added[${i}].certificateNumber`,
          offset: at + 2,
        });
      }
      records.set(c.certificateNumber, d.bytes.subarray(at, at + certificateRecord.length));
    });
    if (records.size !== d.manifest.a3Count) {
      fail('RECORD_COUNT', `the held bundle with the delta applied has ${records.size} A3 records; the manifest counts ${d.manifest.a3Count}`, {
        field: 'delta.addedCount',
        offset: removedOffset(d.removed.length),
        details: { rebuilt: records.size, a3Count: d.manifest.a3Count },
      });
    }
    const a4Start = addedStart + d.added.length * certificateRecord.length;
    const body = concat(
      d.bytes.subarray(removedOffset(d.removed.length) + 2, addedStart),
      ...[...records].sort(([a], [b]) => a - b).map(([, bytes]) => bytes),
      d.bytes.subarray(a4Start),
    );
    const digest = bodyDigest(body);
    if (!equal(digest, d.manifest.bodyDigest)) {
      fail('BODY_DIGEST_MISMATCH', 'SM3 of the rebuilt body is not the digest the manifest states', {
        field: 'manifest.bodyDigest',
        offset: BODY_DIGEST_OFFSET,
        details: { expected: toHex(d.manifest.bodyDigest), actual: toHex(digest) },
      });
    }
    return concat(d.bytes.subarray(0, MANIFEST_RECORD_LENGTH), body);
  });
}
