/**
 * Issuer public-key certificate, Table 4 (106 bytes, TQ-CERT-1 §1). The certificate carries
 * X only; Y is the even root (§2), and the root signature covers M_cert = Table 3 (74 bytes).
 *
 *   0 format 14 | 1 expiry MMYY | 3 serial | 6 04 | 7 00 | 8 11 | 9 40 | 10 X | 42 r‖s
 */
import { sm2, type Sm2PublicKey } from '../crypto/sm2';
import { Code, type Result } from '../errors';
import { issuerKeyData, readCertificateHeader, writeCertificateHeader, type CertificateHeader, type IssuerKeyData } from './issuerKeyData';
import { refuseOddY } from './keyFields';
import { decodeStructure, encodeStructure, FieldWriter } from './structure';

export const ISSUER_CERTIFICATE_LENGTH = 106;
export const ISSUER_KEY_X_OFFSET = 10;
export const ROOT_SIGNATURE_OFFSET = 42;

export interface IssuerCertificate extends CertificateHeader {
  /** The certified key, Y recovered by the even-Y rule. */
  readonly publicKey: Sm2PublicKey;
  /** r‖s by the root key over M_cert. */
  readonly rootSignature: Uint8Array;
}

export const issuerCertificate = {
  length: ISSUER_CERTIFICATE_LENGTH,

  /** Throws TqException for values Table 4 cannot hold (odd Y, YY ≥ 50, serial 0, signature not 64 bytes). */
  encode(value: IssuerCertificate): Uint8Array {
    return encodeStructure(() => {
      const w = new FieldWriter('issuerCertificate');
      writeCertificateHeader(w, value);
      refuseOddY(value.publicKey, 'issuerKeyX', ISSUER_KEY_X_OFFSET);
      w.bytes('issuerKeyX', value.publicKey.bytes.subarray(0, 32), 32, Code.KEY_LENGTH);
      w.bytes('rootSignature', value.rootSignature, 64, Code.SIGNATURE_LENGTH);
      return w.finish(ISSUER_CERTIFICATE_LENGTH);
    });
  },

  /** Strict: constants, BCD expiry, serial ≠ 0, X < p with a curve point (even Y recovered). */
  decode(bytes: Uint8Array): Result<IssuerCertificate> {
    return decodeStructure('issuerCertificate', bytes, ISSUER_CERTIFICATE_LENGTH, (r) => {
      const header = readCertificateHeader(r);
      const publicKey = r.parse(32, (x) => sm2.publicKeyFromX(x, 'issuerKeyX'));
      return { ...header, publicKey, rootSignature: r.raw(64) };
    });
  },

  /** M_cert: Table 3 rebuilt from the certificate with the recovered even Y (§2). */
  signedData(certificate: IssuerCertificate): Uint8Array {
    return issuerKeyData.encode(certificate);
  },

  /** The certificate for key data the root signed: `rootSignature` is r‖s over issuerKeyData.encode(keyData). */
  assemble(keyData: IssuerKeyData, rootSignature: Uint8Array): Uint8Array {
    return issuerCertificate.encode({ ...keyData, rootSignature });
  },
};
