/**
 * Certificate distribution record A3 (184 bytes, TQ-CERT-1 §9): binds a certificate number
 * and an issuer id to a certificate, under the root signature over bytes 0–119.
 *
 *   0 A3 | 1 root-key index | 2 certificate number | 6 issuer id | 10 certificate (106)
 *   116 issue time | 120 root signature r‖s
 */
import type { Result } from '../errors';
import { issuerCertificate, type IssuerCertificate } from './issuerCertificate';
import { readCertificateNumber, readRootKeyIndex, writeCertificateNumber, writeRootKeyIndex } from './sharedFields';
import { signedRecordCodec } from './signedRecord';
import { parseInput, rebase } from './structure';
import { verifyRootSignature, type TrustedRoot } from './trustedRoot';
import { verifyCertificateSignature } from './verifyIssuerCertificate';

export const CERTIFICATE_RECORD_TAG = 0xa3;
export const CERTIFICATE_RECORD_SIGNED_LENGTH = 120;
/** Where the fields lie in the record (the layout above), for readers that take them from a bundle's bytes. */
export const A3_CERTIFICATE_NUMBER_OFFSET = 2;
export const A3_ISSUER_ID_OFFSET = 6;
export const A3_CERTIFICATE_OFFSET = 10;

export interface CertificateRecordFields {
  readonly rootKeyIndex: number;
  readonly certificateNumber: number;
  readonly issuerId: number;
  readonly certificate: IssuerCertificate;
  /** Unix seconds. */
  readonly issueTime: number;
}

export interface CertificateRecord extends CertificateRecordFields {
  /** r‖s by the root key over bytes 0–119. */
  readonly rootSignature: Uint8Array;
}

export const certificateRecord = signedRecordCodec<CertificateRecordFields, CertificateRecord>({
  structure: 'certificateRecord',
  tag: CERTIFICATE_RECORD_TAG,
  signedLength: CERTIFICATE_RECORD_SIGNED_LENGTH,
  signatureField: 'rootSignature',
  write(w, value) {
    writeRootKeyIndex(w, value.rootKeyIndex);
    writeCertificateNumber(w, value.certificateNumber);
    w.uint('issuerId', value.issuerId, 4);
    w.encoded('certificate', () => issuerCertificate.encode(value.certificate));
    w.uint('issueTime', value.issueTime, 4);
  },
  read(r) {
    const rootKeyIndex = readRootKeyIndex(r);
    const certificateNumber = readCertificateNumber(r);
    const issuerId = r.uint(4);
    const certificate = r.parse(issuerCertificate.length, issuerCertificate.decode, 'certificate');
    return { rootKeyIndex, certificateNumber, issuerId, certificate, issueTime: r.uint(4) };
  },
  withSignature: (fields, rootSignature) => ({ ...fields, rootSignature }),
  signatureOf: (record) => record.rootSignature,
});

/** Both signatures (§9): the record's, then the certificate's own, under the same root. */
export function verifyCertificateRecord(record: Uint8Array | CertificateRecord, root: TrustedRoot): Result<CertificateRecord> {
  const decoded = parseInput(record, certificateRecord);
  if (!decoded.ok) return decoded;
  const value = decoded.value;
  const signed = verifyRootSignature(value, certificateRecord.toBeSigned(value), root);
  if (!signed.ok) return signed;
  const inner = verifyCertificateSignature(value.certificate, root.publicKey);
  return inner.ok ? signed : { ok: false, error: rebase(inner.error, A3_CERTIFICATE_OFFSET, 'certificate') };
}
