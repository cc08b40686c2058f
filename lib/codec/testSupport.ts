/**
 * Test material shared by the codec tests: the TQ-CERT-1 worked example (§6, §7, §9) and
 * helpers that sign fresh structures with real SM2 keys. Not used by production code.
 */
import { bigintToBytes, bytesToBigint, parseHex } from '../bytes';
import { sm2, type Sm2PublicKey } from '../crypto/sm2';
import { expect } from 'vitest';
import example from '../../test/support/vectors/tq-cert-1-example.json';
import { TqException, unwrap, type Result } from '../errors';
import { certificateRecord, type CertificateRecordFields } from './certificateRecord';
import { requestRecord, type RequestRecordFields } from './requestRecord';
import { revocationList, type RevocationListFields } from './revocationList';
import { issuerCertificate } from './issuerCertificate';
import { issuerKeyData, type IssuerKeyData } from './issuerKeyData';
import { qrCode, type QrCode, type QrCodeFields } from './qrCode';

export { example };

export const hex = (text: string): Uint8Array => unwrap(parseHex(text));

export interface KeyPair {
  readonly d: Uint8Array;
  readonly publicKey: Sm2PublicKey;
}

export const keyPair = (d: Uint8Array): KeyPair => ({ d, publicKey: sm2.publicKeyFromPrivate(d) });

export const rootKeys = keyPair(hex(example.root.d));
export const issuerKeys = keyPair(hex(example.issuer.d));
export const userKeys = keyPair(hex(example.user.d));

/** A fresh key pair whose public key has even Y (negating d when needed, as §2 advises issuers). */
export function evenKeyPair(): KeyPair {
  const pair = keyPair(sm2.generatePrivateKey());
  if ((pair.publicKey.y & 1n) === 0n) return pair;
  return keyPair(bigintToBytes(sm2.params.n - bytesToBigint(pair.d), 32));
}

export function signCertificate(keyData: IssuerKeyData, root: KeyPair = rootKeys): Uint8Array {
  return issuerCertificate.assemble(keyData, sm2.sign(issuerKeyData.encode(keyData), root.d));
}

/** Signs fields as an issuer and a user would, returning the typed code. */
export function signQrCode(fields: QrCodeFields, issuer: KeyPair, user: KeyPair): QrCode {
  const issuerSignature = sm2.sign(qrCode.issuerSignatureInput(fields), issuer.d);
  const userSignature = sm2.sign(qrCode.userSignatureInput({ ...fields, issuerSignature }), user.d);
  return { ...fields, issuerSignature, userSignature };
}

/** A copy of `bytes` with `hexBytes` written at `offset`. */
export function patch(bytes: Uint8Array, offset: number, hexBytes: string): Uint8Array {
  const out = bytes.slice();
  out.set(hex(hexBytes), offset);
  return out;
}

/** The example QR's fields, to re-sign with changes. */
export const exampleQrFields = (): QrCodeFields => unwrap(qrCode.decode(hex(example.qr)));

export const EXAMPLE_ISSUER_ID = 0x00001001;
export const EXAMPLE_CERTIFICATE_NUMBER = 0x00000001;
export const EXAMPLE_ROOT_INDEX = 0x01;

export function signRequest(fields: RequestRecordFields, key: KeyPair, id?: Uint8Array): Uint8Array {
  return requestRecord.encode({ ...fields, proofOfPossession: sm2.sign(requestRecord.toBeSigned(fields), key.d, { id }) });
}

export const exampleRequestFields = (key: KeyPair = issuerKeys): RequestRecordFields => ({
  issuerId: EXAMPLE_ISSUER_ID,
  serial: 1,
  expiry: { year: 2027, month: 12 },
  publicKey: key.publicKey,
  challenge: hex('000102030405060708090a0b0c0d0e0f'),
  requestTime: 1_780_272_000,
});

export function signCertificateRecord(fields: CertificateRecordFields, root: KeyPair = rootKeys): Uint8Array {
  return certificateRecord.encode({ ...fields, rootSignature: sm2.sign(certificateRecord.toBeSigned(fields), root.d) });
}

export const exampleCertificateRecordFields = (): CertificateRecordFields => ({
  rootKeyIndex: EXAMPLE_ROOT_INDEX,
  certificateNumber: EXAMPLE_CERTIFICATE_NUMBER,
  issuerId: EXAMPLE_ISSUER_ID,
  certificate: unwrap(issuerCertificate.decode(hex(example.certificate))),
  issueTime: 1_780_272_000,
});

export function signRevocationList(fields: RevocationListFields, root: KeyPair = rootKeys): Uint8Array {
  return revocationList.encode({ ...fields, rootSignature: sm2.sign(revocationList.toBeSigned(fields), root.d) });
}

export const exampleRevocationFields = (): RevocationListFields => ({
  rootKeyIndex: EXAMPLE_ROOT_INDEX,
  sequenceNumber: 7,
  thisUpdate: 1_780_272_000,
  nextUpdate: 1_780_358_400,
  entries: [
    { certificateNumber: 2, issuerId: EXAMPLE_ISSUER_ID, serial: 2, reason: 'superseded' },
    { certificateNumber: 9, issuerId: 0x00001002, serial: 5, reason: 'keyCompromise' },
  ],
});

export const exampleRoot = { rootKeyIndex: EXAMPLE_ROOT_INDEX, publicKey: rootKeys.publicKey };

/** Asserts a failed Result with this code, field and offset. */
export function expectError(result: Result<unknown>, code: string, field: string, offset: number): void {
  expect(result.ok ? 'ok' : { code: result.error.code, field: result.error.field, offset: result.error.offset }).toEqual({ code, field, offset });
}

/** Asserts that `encode` throws a TqException carrying this code (and field/offset when given). */
export function expectEncodeError(encode: () => unknown, code: string, field?: string, offset?: number): void {
  try {
    encode();
  } catch (e) {
    expect(e).toBeInstanceOf(TqException);
    const error = (e as TqException).error;
    expect({ code: error.code, ...(field === undefined ? {} : { field: error.field, offset: error.offset }) }).toEqual({
      code,
      ...(field === undefined ? {} : { field, offset }),
    });
    return;
  }
  throw new Error(`expected ${code}, but encoding succeeded`);
}
