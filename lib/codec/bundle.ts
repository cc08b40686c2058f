/**
 * Publication bundle (TQ-CERT-1 §12.2): manifest A5 ‖ body, body = A2 records ‖ A3 records ‖
 * exactly one A4, nothing after. Decoding is check 1 of §12.2 (structure, counts, orders);
 * errors name the record (`a3[4].certificate.expiry`) and carry the offset in the bundle.
 * The delta (§12.3) reads its records with the same readers.
 */
import { samePublicBytes } from '../bytes';
import { sm3 } from '../crypto/sm3';
import type { Result } from '../errors';
import { A3_CERTIFICATE_NUMBER_OFFSET, certificateRecord, type CertificateRecord } from './certificateRecord';
import { manifestRecord, MANIFEST_RECORD_LENGTH, type ManifestRecord } from './manifestRecord';
import { revocationList, revocationListLength, REVOCATION_HEADER_LENGTH, type RevocationList } from './revocationList';
import { rootKeyRecord, ROOT_KEY_RECORD_LENGTH, type RootKeyRecord } from './rootKeyRecord';
import { decodeStructure, fail, hexByte, type FieldReader } from './structure';

export interface Bundle {
  readonly manifest: ManifestRecord;
  /** Strictly ascending by root-key index. */
  readonly rootKeys: readonly RootKeyRecord[];
  /** Strictly ascending by certificate number. */
  readonly certificates: readonly CertificateRecord[];
  readonly revocationList: RevocationList;
  /** The bundle as decoded (a copy): what equality with an earlier bundle is judged on. */
  readonly bytes: Uint8Array;
}

/** Where each record of a bundle starts, for errors that point into it. */
export interface BundleLayout {
  a2(i: number): number;
  a3(i: number): number;
  readonly a4: number;
  readonly body: number;
}

export function bundleLayout(manifest: Pick<ManifestRecord, 'a2Count' | 'a3Count'>): BundleLayout {
  const a3Start = MANIFEST_RECORD_LENGTH + ROOT_KEY_RECORD_LENGTH * manifest.a2Count;
  return {
    body: MANIFEST_RECORD_LENGTH,
    a2: (i) => MANIFEST_RECORD_LENGTH + ROOT_KEY_RECORD_LENGTH * i,
    a3: (i) => a3Start + certificateRecord.length * i,
    a4: a3Start + certificateRecord.length * manifest.a3Count,
  };
}

/**
 * The longest bundle the layout allows: 254 root keys (indexes 01–FE), 65 535 certificates and an
 * A4 with 65 535 entries (both counts are two bytes).
 */
export const MAX_BUNDLE_LENGTH = MANIFEST_RECORD_LENGTH + 254 * ROOT_KEY_RECORD_LENGTH + 0xffff * 184 + revocationListLength(0xffff);

export const bodyOf = (bundle: Uint8Array): Uint8Array => bundle.subarray(MANIFEST_RECORD_LENGTH);

/** A center id or certificate number as the 8 hex digits it is carried in. */
export const hexId = (value: number): string => value.toString(16).padStart(8, '0');

export const bodyDigest = (body: Uint8Array): Uint8Array => sm3(body);

/**
 * SM3 as the builder computed it over `bytes[offset, offset + length)` of exactly this array: the
 * builder hands it to its own check (check 3), which takes it only for the very range of the very
 * array it would hash itself, and hashes otherwise. Never kept beyond that call: once the bytes
 * are handed out they may be written, and a digest kept for them would vouch for other bytes.
 */
export interface DigestedRange {
  readonly bytes: Uint8Array;
  readonly offset: number;
  readonly length: number;
  readonly digest: Uint8Array;
}

/** SM3 of a bundle's body (everything after the manifest), computed now, with the range it covers. */
export function digestBody(bundle: Uint8Array): DigestedRange {
  const body = bodyOf(bundle);
  return { bytes: bundle, offset: MANIFEST_RECORD_LENGTH, length: body.length, digest: bodyDigest(body) };
}

const TAG_NAMES: Readonly<Record<number, string>> = { 0xa2: 'A2', 0xa3: 'A3', 0xa4: 'A4', 0xa5: 'A5', 0xa6: 'A6' };

/**
 * The next record must start with `tag` and fit: a different record tag means the counts are
 * off (RECORD_COUNT), any other byte RECORD_TYPE, too few bytes LENGTH_INVALID.
 */
function expectRecord(r: FieldReader, name: string, tag: number, length: number, counted: string): void {
  const offset = r.offset;
  const remaining = r.bytes.length - offset;
  if (remaining === 0) {
    fail('RECORD_COUNT', `the input ends where ${name} (${TAG_NAMES[tag]}) should start; ${counted}`, { field: name, offset });
  }
  const actual = r.bytes[offset];
  if (actual !== tag) {
    const known = TAG_NAMES[actual];
    fail(
      known ? 'RECORD_COUNT' : 'RECORD_TYPE',
      known ? `${name} should be ${TAG_NAMES[tag]}, found ${known}; ${counted}` : `${name} should start with ${hexByte(tag)}, got ${hexByte(actual)}`,
      { field: `${name}.tag`, offset, details: { expected: hexByte(tag), actual: hexByte(actual) } },
    );
  }
  if (remaining < length) {
    fail('LENGTH_INVALID', `the input ends inside ${name}: ${length} bytes needed, ${remaining} left`, {
      field: name,
      offset: r.bytes.length,
      details: { expected: length, actual: remaining },
    });
  }
}

export function readManifest(r: FieldReader): ManifestRecord {
  if (r.bytes.length < MANIFEST_RECORD_LENGTH) {
    fail('LENGTH_INVALID', `a manifest is ${MANIFEST_RECORD_LENGTH} bytes; the input has ${r.bytes.length}`, {
      field: 'manifest',
      offset: r.bytes.length,
      details: { expected: MANIFEST_RECORD_LENGTH, actual: r.bytes.length },
    });
  }
  return r.parse(MANIFEST_RECORD_LENGTH, manifestRecord.decode, 'manifest');
}

/** A2 records, strictly ascending by index. */
export function readRootKeys(r: FieldReader, count: number): RootKeyRecord[] {
  const records: RootKeyRecord[] = [];
  for (let i = 0; i < count; i++) {
    const name = `a2[${i}]`;
    const offset = r.offset;
    expectRecord(r, name, rootKeyRecord.tag, ROOT_KEY_RECORD_LENGTH, `the manifest counts ${count} A2 records`);
    const record = r.parse(ROOT_KEY_RECORD_LENGTH, rootKeyRecord.decode, name);
    const before = records[i - 1];
    if (before && record.rootKeyIndex <= before.rootKeyIndex) {
      fail('RECORD_ORDER', `${name} has root-key index ${hexByte(record.rootKeyIndex)}, not above ${hexByte(before.rootKeyIndex)}`, {
        field: `${name}.rootKeyIndex`,
        offset: offset + 5,
        details: { previous: before.rootKeyIndex, index: record.rootKeyIndex },
      });
    }
    records.push(record);
  }
  return records;
}

/** The decoded A3 of a bundle decoded before whose bytes are exactly these, if it has one. */
export type KnownCertificates = (bytes: Uint8Array) => CertificateRecord | undefined;

/**
 * Decoding is a function of the bytes alone: an A3 byte-identical to one of `known` (a bundle
 * this code decoded before) takes that decoded value instead of being decoded again — the
 * certificate key's Y recovery is most of a bundle's decoding cost. Looked up by the number in
 * the record's bytes 2–5, then compared in full.
 */
export function knownCertificates(known: Bundle): KnownCertificates {
  const layout = bundleLayout(known.manifest);
  const position = new Map(known.certificates.map((c, i) => [c.certificateNumber, i]));
  return (bytes) => {
    const i = position.get(((bytes[2] << 24) | (bytes[3] << 16) | (bytes[4] << 8) | bytes[5]) >>> 0);
    if (i === undefined) return undefined;
    const at = layout.a3(i);
    return samePublicBytes(known.bytes.subarray(at, at + certificateRecord.length), bytes) ? known.certificates[i] : undefined;
  };
}

/** The position of the record with this number in records strictly ascending by number, or -1. */
export function positionOf(records: readonly Pick<CertificateRecord, 'certificateNumber'>[], certificateNumber: number): number {
  let low = 0;
  let high = records.length - 1;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    const n = records[middle].certificateNumber;
    if (n === certificateNumber) return middle;
    if (n < certificateNumber) low = middle + 1;
    else high = middle - 1;
  }
  return -1;
}

/** A3 records named `${name}[i]`, strictly ascending by certificate number. */
export function readCertificates(r: FieldReader, count: number, name: string, counted: string, known?: KnownCertificates): CertificateRecord[] {
  const records: CertificateRecord[] = [];
  for (let i = 0; i < count; i++) {
    const field = `${name}[${i}]`;
    const offset = r.offset;
    expectRecord(r, field, certificateRecord.tag, certificateRecord.length, counted);
    const same = known?.(r.bytes.subarray(offset, offset + certificateRecord.length));
    const record = same ? (r.skip(certificateRecord.length), same) : r.parse(certificateRecord.length, certificateRecord.decode, field);
    const before = records[i - 1];
    if (before && record.certificateNumber <= before.certificateNumber) {
      fail('RECORD_ORDER', `${field} has certificate number ${record.certificateNumber}, not above ${before.certificateNumber}`, {
        field: `${field}.certificateNumber`,
        offset: offset + A3_CERTIFICATE_NUMBER_OFFSET,
        details: { previous: before.certificateNumber, certificateNumber: record.certificateNumber },
      });
    }
    records.push(record);
  }
  return records;
}

const ENTRY_COUNT_OFFSET = REVOCATION_HEADER_LENGTH - 2;

/** The one A4, whose length is 80 + 12·N with N at its byte 14; then nothing may follow. */
export function readFinalRevocationList(r: FieldReader): RevocationList {
  const offset = r.offset;
  expectRecord(r, 'a4', revocationList.tag, revocationListLength(0), 'a body ends with one A4');
  const count = (r.bytes[offset + ENTRY_COUNT_OFFSET] << 8) | r.bytes[offset + ENTRY_COUNT_OFFSET + 1];
  const length = revocationListLength(count);
  if (r.bytes.length - offset < length) {
    fail('LENGTH_INVALID', `the input ends inside a4: its ${count} entries need ${length} bytes, ${r.bytes.length - offset} left`, {
      field: 'a4.entryCount',
      offset: offset + ENTRY_COUNT_OFFSET,
      details: { expected: length, actual: r.bytes.length - offset },
    });
  }
  const list = r.parse(length, revocationList.decode, 'a4');
  if (r.offset !== r.bytes.length) {
    fail('TRAILING_BYTES', `${r.bytes.length - r.offset} bytes follow the A4 record`, {
      field: 'a4',
      offset: r.offset,
      details: { trailing: r.bytes.length - r.offset },
    });
  }
  return list;
}

/**
 * §12.2 check 1. Signatures, the body digest and freshness are verifyBundle's. `known`: a bundle
 * decoded before (the predecessor) whose byte-identical A3 records are taken as decoded there.
 */
export function decodeBundle(bytes: Uint8Array, known?: Bundle): Result<Bundle> {
  const same = known && knownCertificates(known);
  return decodeStructure('bundle', bytes, null, (r) => {
    const manifest = readManifest(r);
    const rootKeys = readRootKeys(r, manifest.a2Count);
    const certificates = readCertificates(r, manifest.a3Count, 'a3', `the manifest counts ${manifest.a3Count} A3 records`, same);
    const list = readFinalRevocationList(r);
    return { manifest, rootKeys, certificates, revocationList: list, bytes: bytes.slice() };
  });
}
