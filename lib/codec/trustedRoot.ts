/**
 * Verification of records signed by a root key (A3, A4): the record must name the index of
 * the root key supplied (WRONG_ROOT), and the root signature over the bytes before it must
 * verify (SIGNATURE_INVALID). A decoded A2 record is a TrustedRoot.
 */
import { err, ok, type Result } from '../errors';
import { hexByte } from './structure';
import { verifySignature, type VerificationKey } from './verificationKey';

export interface TrustedRoot {
  readonly rootKeyIndex: number;
  readonly publicKey: VerificationKey;
}

export interface RootSignedRecord {
  readonly rootKeyIndex: number;
  readonly rootSignature: Uint8Array;
}

/** Offsets are the record's: the index is byte 1 in A3 and A4; the signature ends the record. */
export function verifyRootSignature<T extends RootSignedRecord>(record: T, signedBytes: Uint8Array, root: TrustedRoot): Result<T> {
  if (record.rootKeyIndex !== root.rootKeyIndex) {
    return err('WRONG_ROOT', `the record names root key ${hexByte(record.rootKeyIndex)}, not ${hexByte(root.rootKeyIndex)}`, {
      field: 'rootKeyIndex',
      offset: 1,
      details: { record: record.rootKeyIndex, supplied: root.rootKeyIndex },
    });
  }
  if (!verifySignature(root.publicKey, signedBytes, record.rootSignature)) {
    return err('SIGNATURE_INVALID', 'the root signature does not verify with this root key', {
      field: 'rootSignature',
      offset: signedBytes.length,
    });
  }
  return ok(record);
}
