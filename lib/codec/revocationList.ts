/**
 * Revocation list A4 (variable length, TQ-CERT-1 §9): the full list each time, entries
 * sorted by certificate number, under the root signature over everything before it.
 *
 *   0 A4 | 1 root-key index | 2 sequence number | 6 this update | 10 next update | 14 N
 *   16 N × (certificate number 4 ‖ issuer id 4 ‖ serial 3 ‖ reason 1) | 16+12N root signature
 */
import { Code, err, type Result } from '../errors';
import { readCertificateNumber, readRootKeyIndex, readSerial, writeCertificateNumber, writeRootKeyIndex, writeSerial } from './sharedFields';
import { decodeStructure, encodeStructure, fail, FieldWriter, hexByte, parseInput, type FieldReader } from './structure';
import { verifyRootSignature, type TrustedRoot } from './trustedRoot';

export const REVOCATION_LIST_TAG = 0xa4;
export const REVOCATION_HEADER_LENGTH = 16;
export const REVOCATION_ENTRY_LENGTH = 12;

/** Reason codes `01`, `02`, `03`, in that order. */
export const REVOCATION_REASONS = ['keyCompromise', 'superseded', 'issuerWithdrawn'] as const;
export type RevocationReason = (typeof REVOCATION_REASONS)[number];

export interface RevocationEntry {
  readonly certificateNumber: number;
  readonly issuerId: number;
  readonly serial: number;
  readonly reason: RevocationReason;
}

export interface RevocationListFields {
  readonly rootKeyIndex: number;
  /** Must exceed the sequence number the terminal holds. */
  readonly sequenceNumber: number;
  /** Unix seconds. */
  readonly thisUpdate: number;
  /** Unix seconds, not before `thisUpdate`. */
  readonly nextUpdate: number;
  /** Sorted by certificate number, each number once. */
  readonly entries: readonly RevocationEntry[];
}

export interface RevocationList extends RevocationListFields {
  /** r‖s by the root key over bytes 0 … 15+12N. */
  readonly rootSignature: Uint8Array;
}

export const revocationListLength = (entries: number): number =>
  REVOCATION_HEADER_LENGTH + REVOCATION_ENTRY_LENGTH * entries + 64;

const entryField = (i: number, name: string) => `entries[${i}].${name}`;

/** Numbers strictly increasing; `at(i)` is entry i's offset, for the error. */
function checkOrder(numbers: readonly number[], at: (i: number) => number): void {
  for (let i = 1; i < numbers.length; i++) {
    if (numbers[i] === numbers[i - 1]) {
      fail('ENTRY_DUPLICATE', `certificate ${numbers[i]} is listed twice`, { field: entryField(i, 'certificateNumber'), offset: at(i) });
    }
    if (numbers[i] < numbers[i - 1]) {
      fail('ENTRIES_UNSORTED', `entry ${i} (certificate ${numbers[i]}) comes after ${numbers[i - 1]}`, {
        field: entryField(i, 'certificateNumber'),
        offset: at(i),
      });
    }
  }
}

function checkUpdateOrder(thisUpdate: number, nextUpdate: number, offset: number): void {
  if (nextUpdate < thisUpdate) {
    fail('UPDATE_ORDER', 'next update is before this update', { field: 'nextUpdate', offset, details: { thisUpdate, nextUpdate } });
  }
}

function writeFields(w: FieldWriter, value: RevocationListFields): FieldWriter {
  w.byte(REVOCATION_LIST_TAG);
  writeRootKeyIndex(w, value.rootKeyIndex);
  w.uint('sequenceNumber', value.sequenceNumber, 4).uint('thisUpdate', value.thisUpdate, 4);
  checkUpdateOrder(value.thisUpdate, value.nextUpdate, w.offset);
  w.uint('nextUpdate', value.nextUpdate, 4).uint('entryCount', value.entries.length, 2);
  const entriesStart = w.offset;
  checkOrder(
    value.entries.map((e) => e.certificateNumber),
    (i) => entriesStart + REVOCATION_ENTRY_LENGTH * i,
  );
  value.entries.forEach((entry, i) => {
    writeCertificateNumber(w, entry.certificateNumber, entryField(i, 'certificateNumber'));
    w.uint(entryField(i, 'issuerId'), entry.issuerId, 4);
    writeSerial(w, entry.serial, entryField(i, 'serial'));
    const reason = REVOCATION_REASONS.indexOf(entry.reason) + 1;
    if (reason === 0) fail('REASON_CODE', `unknown revocation reason ${String(entry.reason)}`, { field: entryField(i, 'reason'), offset: w.offset });
    w.uint(entryField(i, 'reason'), reason, 1);
  });
  return w;
}

function readEntry(r: FieldReader, i: number): RevocationEntry {
  const certificateNumber = readCertificateNumber(r, entryField(i, 'certificateNumber'));
  const issuerId = r.uint(4);
  const serial = readSerial(r, entryField(i, 'serial'));
  const offset = r.offset;
  const code = r.uint(1);
  const reason = REVOCATION_REASONS[code - 1];
  if (reason === undefined) {
    fail('REASON_CODE', `reason ${hexByte(code)} is not 01, 02 or 03`, { field: entryField(i, 'reason'), offset, details: { reason: hexByte(code) } });
  }
  return { certificateNumber, issuerId, serial, reason };
}

export const revocationList = {
  tag: REVOCATION_LIST_TAG,

  /** Bytes 0 … 15+12N: what the root key signs. Throws TqException for unsorted entries and bad values. */
  toBeSigned(value: RevocationListFields): Uint8Array {
    return encodeStructure(() => writeFields(new FieldWriter('revocationList'), value).finish(revocationListLength(value.entries.length) - 64));
  },

  encode(value: RevocationList): Uint8Array {
    return encodeStructure(() => {
      const w = writeFields(new FieldWriter('revocationList'), value);
      return w.bytes('rootSignature', value.rootSignature, 64, Code.SIGNATURE_LENGTH).finish(revocationListLength(value.entries.length));
    });
  },

  decode(bytes: Uint8Array): Result<RevocationList> {
    return decodeStructure('revocationList', bytes, null, (r) => {
      const minimum = revocationListLength(0);
      if (bytes.length < minimum) {
        fail('LENGTH_INVALID', `revocationList must be at least ${minimum} bytes, got ${bytes.length}`, {
          field: 'revocationList',
          offset: bytes.length,
          details: { minimum, actual: bytes.length },
        });
      }
      r.constant('tag', REVOCATION_LIST_TAG, 'RECORD_TYPE', 'revocation list tag');
      const rootKeyIndex = readRootKeyIndex(r);
      const sequenceNumber = r.uint(4);
      const thisUpdate = r.uint(4);
      const nextUpdateOffset = r.offset;
      const nextUpdate = r.uint(4);
      checkUpdateOrder(thisUpdate, nextUpdate, nextUpdateOffset);
      const countOffset = r.offset;
      const count = r.uint(2);
      const expected = revocationListLength(count);
      if (bytes.length !== expected) {
        fail('LENGTH_INVALID', `${count} entries make ${expected} bytes, got ${bytes.length}`, {
          field: 'entryCount',
          offset: countOffset,
          details: { expected, actual: bytes.length, entryCount: count },
        });
      }
      const entries = Array.from({ length: count }, (_, i) => readEntry(r, i));
      checkOrder(
        entries.map((e) => e.certificateNumber),
        (i) => REVOCATION_HEADER_LENGTH + REVOCATION_ENTRY_LENGTH * i,
      );
      return { rootKeyIndex, sequenceNumber, thisUpdate, nextUpdate, entries, rootSignature: r.raw(64) };
    });
  },
};

export interface RevocationListCheck {
  /** The sequence number of the list the terminal holds, when it holds one. */
  readonly heldSequenceNumber?: number;
}

/** Root signature, then freshness against the held list (a replayed older list is refused). */
export function verifyRevocationList(
  list: Uint8Array | RevocationList,
  root: TrustedRoot,
  check: RevocationListCheck = {},
): Result<RevocationList> {
  const decoded = parseInput(list, revocationList);
  if (!decoded.ok) return decoded;
  const value = decoded.value;
  const signed = verifyRootSignature(value, revocationList.toBeSigned(value), root);
  if (!signed.ok) return signed;
  if (check.heldSequenceNumber !== undefined && value.sequenceNumber <= check.heldSequenceNumber) {
    return err('REVOCATION_SEQUENCE', `sequence number ${value.sequenceNumber} does not exceed the held ${check.heldSequenceNumber}`, {
      field: 'sequenceNumber',
      offset: 2,
      details: { held: check.heldSequenceNumber },
    });
  }
  return signed;
}
