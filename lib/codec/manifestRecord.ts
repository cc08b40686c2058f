/**
 * Manifest record A5 (122 bytes, TQ-CERT-1 §12.1): the head of a publication bundle, binding
 * the body's counts, its A4 sequence and its SM3 under the root signature over bytes 0–57.
 *
 *   0 A5 | 1 signing root-key index | 2 clearing-center id | 6 bundle version | 10 publication time
 *   14 expires | 18 A2 count | 20 A3 count | 22 A4 sequence number | 26 SM3 of the body | 58 r‖s
 */
import { readRootKeyIndex, writeRootKeyIndex } from './sharedFields';
import { signedRecordCodec } from './signedRecord';
import { fail, type FieldReader, type FieldWriter } from './structure';

export const MANIFEST_RECORD_TAG = 0xa5;
export const MANIFEST_SIGNED_LENGTH = 58;
export const MANIFEST_RECORD_LENGTH = 122;
export const BODY_DIGEST_OFFSET = 26;

export interface ManifestFields {
  /** The root key that signs the manifest (and the A4). */
  readonly rootKeyIndex: number;
  readonly clearingCenterId: number;
  /** 1 for the first bundle, +1 for each publication, never reused. */
  readonly version: number;
  /** Unix seconds. */
  readonly publicationTime: number;
  /** Unix seconds, after the publication time: a client holding nothing newer by then alarms. */
  readonly expires: number;
  /** At least 1: the signing key's own A2 is always in the body. */
  readonly a2Count: number;
  readonly a3Count: number;
  /** The sequence number of the body's A4. */
  readonly revocationSequenceNumber: number;
  /** SM3 of the body (everything after the manifest). */
  readonly bodyDigest: Uint8Array;
}

export interface ManifestRecord extends ManifestFields {
  /** r‖s by the signing root key over bytes 0–57. */
  readonly rootSignature: Uint8Array;
}

/** The rules one manifest can break on its own; `at` gives each field's offset. */
function checkFields(value: ManifestFields, at: (field: 'version' | 'expires' | 'a2Count') => number): void {
  if (value.version === 0) fail('BUNDLE_VERSION_ZERO', 'bundle version 0 is never used (the first bundle is 1)', { field: 'version', offset: at('version') });
  if (value.expires <= value.publicationTime) {
    fail('MANIFEST_EXPIRY_ORDER', 'the manifest expires at or before its publication time', {
      field: 'expires',
      offset: at('expires'),
      details: { publicationTime: value.publicationTime, expires: value.expires },
    });
  }
  if (value.a2Count === 0) fail('RECORD_COUNT', 'a bundle holds at least one A2 (the signing key’s own)', { field: 'a2Count', offset: at('a2Count') });
}

const OFFSETS = { version: 6, expires: 14, a2Count: 18 } as const;

export const manifestRecord = signedRecordCodec<ManifestFields, ManifestRecord>({
  structure: 'manifestRecord',
  tag: MANIFEST_RECORD_TAG,
  signedLength: MANIFEST_SIGNED_LENGTH,
  signatureField: 'rootSignature',
  write(w: FieldWriter, value) {
    writeRootKeyIndex(w, value.rootKeyIndex);
    w.uint('clearingCenterId', value.clearingCenterId, 4).uint('version', value.version, 4);
    w.uint('publicationTime', value.publicationTime, 4).uint('expires', value.expires, 4);
    w.uint('a2Count', value.a2Count, 2).uint('a3Count', value.a3Count, 2);
    w.uint('revocationSequenceNumber', value.revocationSequenceNumber, 4);
    checkFields(value, (field) => OFFSETS[field]);
    w.bytes('bodyDigest', value.bodyDigest, 32);
  },
  read(r: FieldReader) {
    const rootKeyIndex = readRootKeyIndex(r);
    const fields = {
      rootKeyIndex,
      clearingCenterId: r.uint(4),
      version: r.uint(4),
      publicationTime: r.uint(4),
      expires: r.uint(4),
      a2Count: r.uint(2),
      a3Count: r.uint(2),
      revocationSequenceNumber: r.uint(4),
      bodyDigest: r.raw(32),
    };
    checkFields(fields, (field) => OFFSETS[field]);
    return fields;
  },
  withSignature: (fields, rootSignature) => ({ ...fields, rootSignature }),
  signatureOf: (record) => record.rootSignature,
});
