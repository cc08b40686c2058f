/**
 * Certificate request record A1 (161 bytes, TQ-CERT-1 §8), with the proof of possession:
 * the requested key's SM2 signature (default ID) over bytes 0–96.
 *
 *   0 A1 | 1 issuer id | 5 serial | 8 expiry MMYY | 10 04 11 40 | 13 X‖Y (Y even)
 *   77 challenge (16) | 93 request time | 97 proof of possession r‖s
 */
import type { Sm2PublicKey } from '../crypto/sm2';
import { err, type Result } from '../errors';
import type { CalendarMonth } from './expiry';
import { readAlgorithmFields, readEvenKey, writeAlgorithmFields, writeEvenKey } from './keyFields';
import { readExpiryMonth, readSerial, writeExpiryMonth, writeSerial } from './sharedFields';
import { signedRecordCodec } from './signedRecord';
import { parseInput } from './structure';
import { verifySignature } from './verificationKey';

export const REQUEST_RECORD_TAG = 0xa1;
export const REQUEST_SIGNED_LENGTH = 97;
export const CHALLENGE_LENGTH = 16;

export interface RequestRecordFields {
  readonly issuerId: number;
  readonly serial: number;
  readonly expiry: CalendarMonth;
  /** The key to certify; Y is even. */
  readonly publicKey: Sm2PublicKey;
  /** Issued by the console: single use, 24 h. */
  readonly challenge: Uint8Array;
  /** Unix seconds. */
  readonly requestTime: number;
}

export interface RequestRecord extends RequestRecordFields {
  /** r‖s by `publicKey` over bytes 0–96. */
  readonly proofOfPossession: Uint8Array;
}

export const requestRecord = signedRecordCodec<RequestRecordFields, RequestRecord>({
  structure: 'requestRecord',
  tag: REQUEST_RECORD_TAG,
  signedLength: REQUEST_SIGNED_LENGTH,
  signatureField: 'proofOfPossession',
  write(w, value) {
    w.uint('issuerId', value.issuerId, 4);
    writeSerial(w, value.serial);
    writeExpiryMonth(w, value.expiry);
    writeAlgorithmFields(w, false);
    writeEvenKey(w, 'publicKey', value.publicKey);
    w.bytes('challenge', value.challenge, CHALLENGE_LENGTH).uint('requestTime', value.requestTime, 4);
  },
  read(r) {
    const issuerId = r.uint(4);
    const serial = readSerial(r);
    const expiry = readExpiryMonth(r);
    readAlgorithmFields(r, false);
    const publicKey = readEvenKey(r, 'publicKey');
    return { issuerId, serial, expiry, publicKey, challenge: r.raw(CHALLENGE_LENGTH), requestTime: r.uint(4) };
  },
  withSignature: (fields, proofOfPossession) => ({ ...fields, proofOfPossession }),
  signatureOf: (record) => record.proofOfPossession,
});

/** The proof of possession verifies with the requested key: the requester holds its private key. */
export function verifyProofOfPossession(record: Uint8Array | RequestRecord): Result<RequestRecord> {
  const decoded = parseInput(record, requestRecord);
  if (!decoded.ok) return decoded;
  const value = decoded.value;
  if (!verifySignature(value.publicKey, requestRecord.toBeSigned(value), value.proofOfPossession)) {
    return err('SIGNATURE_INVALID', 'the proof of possession does not verify with the requested key', {
      field: 'proofOfPossession',
      offset: REQUEST_SIGNED_LENGTH,
    });
  }
  return decoded;
}
