/** The TQ-CERT-1 worked example (§6, §7, §9), decoded field by field and verified. */
import { describe, expect, it } from 'vitest';
import { concat, toHex } from '../bytes';
import { sm2 } from '../crypto/sm2';
import { unwrap } from '../errors';
import { issuerCertificate } from './issuerCertificate';
import { issuerKeyData } from './issuerKeyData';
import { qrCode } from './qrCode';
import { rootKeyRecord } from './rootKeyRecord';
import { evenKeyPair, example, hex, rootKeys } from './testSupport';
import { verifyIssuerCertificate } from './verifyIssuerCertificate';
import { verifyQrCode, type QrVerificationInput } from './verifyQrCode';

const certificateBytes = hex(example.certificate);
const qrBytes = hex(example.qr);
const generatedAt = new Date(example.qr_generated_at);
const p = sm2.params.p;

const qrContext = (overrides: Partial<QrVerificationInput> = {}): QrVerificationInput => ({
  rootKey: rootKeys.publicKey,
  certificate: certificateBytes,
  issuerId: parseInt(example.issuer.issuer_id, 16),
  certificateNumber: parseInt(example.issuer.certificate_number, 16),
  at: generatedAt,
  ...overrides,
});

describe('worked example: issuer certificate (§6)', () => {
  const certificate = unwrap(issuerCertificate.decode(certificateBytes));

  it('decodes every field', () => {
    expect(certificate.expiry).toEqual({ year: 2027, month: 12 });
    expect(certificate.serial).toBe(1);
    expect(toHex(certificate.publicKey.bytes)).toBe(example.issuer.x + example.issuer.y);
    expect(toHex(certificate.rootSignature)).toBe(
      '333902c5e48151076297a3cf3cfb501d76c319b304165c8d046827e35169c741' +
        '6b00aed6b2ad6817f14a3851dcd3d9bd3a8045f6e18c2a5780540e1c73f8c925',
    );
    expect(toHex(certificateBytes.subarray(0, 10))).toBe('14122700000104001140');
  });

  it('rebuilds M_cert with the even Y and re-encodes byte for byte', () => {
    expect(toHex(issuerCertificate.signedData(certificate))).toBe(example.m_cert);
    expect(toHex(sm2.digest(hex(example.m_cert), rootKeys.publicKey))).toBe('a4e2ab1608756e2f53a4408f13277d34ee5f47d9f02d480efc3a5fa8a03424dd');
    expect(toHex(issuerCertificate.encode(certificate))).toBe(example.certificate);
    expect(toHex(issuerCertificate.assemble(unwrap(issuerKeyData.decode(hex(example.m_cert))), certificate.rootSignature))).toBe(example.certificate);
  });

  it('verifies against the root, with a plain key and with a prepared verifier', () => {
    for (const rootKey of [rootKeys.publicKey, sm2.prepareVerifier(rootKeys.publicKey)]) {
      const verified = unwrap(verifyIssuerCertificate(certificateBytes, rootKey, generatedAt));
      expect(toHex(verified.issuerKey.bytes)).toBe(example.issuer.x + example.issuer.y);
    }
  });

  it('is valid through 23:59:59 CST on 31 December 2027 and expired one second later', () => {
    expect(verifyIssuerCertificate(certificateBytes, rootKeys.publicKey, new Date('2027-12-31T23:59:59+08:00')).ok).toBe(true);
    const late = verifyIssuerCertificate(certificateBytes, rootKeys.publicKey, new Date('2028-01-01T00:00:00+08:00'));
    expect(late.ok || late.error).toMatchObject({ code: 'CERT_EXPIRED', field: 'expiry', offset: 1 });
  });

  it('fails with p − Y: the odd root is not what the root signed', () => {
    const oddY = p - BigInt('0x' + example.issuer.y);
    const oddKey = unwrap(sm2.publicKeyFromBytes(concat(hex(example.issuer.x), hex(oddY.toString(16).padStart(64, '0')))));
    const oddMCert = concat(certificateBytes.subarray(0, 42), oddKey.bytes.subarray(32));
    expect(sm2.verify(oddMCert, certificate.rootSignature, rootKeys.publicKey)).toBe(false);
    expect(sm2.verify(hex(example.m_cert), certificate.rootSignature, rootKeys.publicKey)).toBe(true);
    // The codec never builds the odd M_cert: encoding it is refused.
    expect(() => issuerKeyData.encode({ ...certificate, publicKey: oddKey })).toThrow(/KEY_Y_ODD/);
  });

  it('fails against another root', () => {
    const other = evenKeyPair();
    const result = verifyIssuerCertificate(certificateBytes, other.publicKey, generatedAt);
    expect(result.ok || result.error).toMatchObject({ code: 'SIGNATURE_INVALID', field: 'rootSignature', offset: 42 });
  });
});

describe('worked example: QR code (§7)', () => {
  const qr = unwrap(qrCode.decode(qrBytes));

  it('decodes all 19 fields', () => {
    expect(qrBytes[0]).toBe(0x80);
    expect(qr.type).toBe('metro');
    expect(qr.mode).toBe('online');
    expect(qr.certificateNumber).toBe(1);
    expect(toHex(qrBytes.subarray(8, 10))).toBe('0091');
    expect(qr.paymentAccount).toBe('PA00000000000001');
    expect(qr.issuerId).toBe(0x00001001);
    expect(qr.platformId).toBe(0x00002001);
    expect(qr.cardNumber).toBe('31040000000000000001');
    expect(qr.cardType).toBe(1);
    expect(qr.transactionLimit).toBe(2000);
    expect(qr.batch).toBe(1);
    expect(toHex(sm2.publicKeyFromPrivate(hex(example.user.d)).bytes)).toBe(toHex(qr.userKey.bytes));
    expect(qrBytes[51]).toBe(0x03);
    expect(qr.authorizationExpiry).toBe(Date.parse(example.qr_authorized_until) / 1000);
    expect(qr.validitySeconds).toBe(example.qr_valid_seconds);
    expect(toHex(qr.issuerSignature)).toBe(
      '4c6ebb55e5b88402fdb1b37d6f67765955c5dcb2558ddf54790d036651398f18' +
        '2162c72e1945822a05993e55812eaa8b0cfb4b3ed6e5da9374af4922db751725',
    );
    expect(toHex(qrBytes.subarray(155, 157))).toBe('0045');
    expect(qr.generationTime).toBe(generatedAt.getTime() / 1000);
    expect(toHex(qr.userSignature)).toBe(
      '8ccaa75b38cd55c49c4e1d1b141485aeb7a96cf8f3f80270c2d7c908a54806e8' +
        '02bad3d86e3d33588c3fb26c794b19640d39c71a740b19e59d4c656686704fe8',
    );
  });

  it('rebuilds the signature inputs from the typed value (bytes 8–89 and 0–160)', () => {
    expect(toHex(qrCode.issuerSignatureInput(qr))).toBe(toHex(qrBytes.subarray(8, 90)));
    expect(toHex(qrCode.userSignatureInput(qr))).toBe(toHex(qrBytes.subarray(0, 161)));
    expect(toHex(qrCode.encode(qr))).toBe(example.qr);
  });

  it('verifies at its generation time with certificate 00000001 and issuer 00001001', () => {
    const verified = unwrap(verifyQrCode(qrBytes, qrContext()));
    expect(verified.qr.cardNumber).toBe('31040000000000000001');
    expect(toHex(verified.issuerKey.bytes)).toBe(example.issuer.x + example.issuer.y);
  });

  it('is accepted up to validity + skew and refused one second later', () => {
    const edge = new Date(generatedAt.getTime() + (60 + 30) * 1000);
    expect(verifyQrCode(qrBytes, qrContext({ at: edge })).ok).toBe(true);
    const late = verifyQrCode(qrBytes, qrContext({ at: new Date(edge.getTime() + 1000) }));
    expect(late.ok || late.error).toMatchObject({ code: 'QR_EXPIRED', field: 'generationTime', offset: 157 });
  });

  it('fails against another root', () => {
    const result = verifyQrCode(qrBytes, qrContext({ rootKey: evenKeyPair().publicKey }));
    expect(result.ok || result.error).toMatchObject({ code: 'SIGNATURE_INVALID', field: 'certificate.rootSignature', offset: 42 });
  });
});

describe('worked example: root-key record A2 (§9)', () => {
  it('has check value 52978c92… and decodes back', () => {
    const a2 = example.root_record_a2;
    const bytes = rootKeyRecord.encode({
      clearingCenterId: parseInt(a2.center_id, 16),
      rootKeyIndex: parseInt(a2.index, 16),
      publicKey: rootKeys.publicKey,
      expiry: { year: 2030, month: 12, day: 31 },
    });
    expect(bytes.length).toBe(109);
    expect(toHex(bytes.subarray(73, 77))).toBe(a2.expiry_yymmdd + '07');
    const record = unwrap(rootKeyRecord.decode(bytes));
    expect(toHex(record.checkValue)).toBe(a2.check_value);
    expect(record).toMatchObject({ clearingCenterId: 1, rootKeyIndex: 1, expiry: { year: 2030, month: 12, day: 31 } });
    expect(toHex(record.publicKey.bytes)).toBe(example.root.x + example.root.y);
  });
});
