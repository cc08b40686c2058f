/** One test per rejection the profile lists: each asserts the code, the field and its offset. */
import { describe, expect, it } from 'vitest';
import { bigintToBytes, concat, toHex } from '../bytes';
import { sm2 } from '../crypto/sm2';
import { unwrap, type Result } from '../errors';
import { certificateRecord, verifyCertificateRecord } from './certificateRecord';
import { decodeRecord } from './distributionRecord';
import { issuerCertificate } from './issuerCertificate';
import { issuerKeyData } from './issuerKeyData';
import { qrCode, type QrMode, type QrType } from './qrCode';
import { requestRecord, verifyProofOfPossession } from './requestRecord';
import { revocationList, verifyRevocationList } from './revocationList';
import { rootKeyRecord } from './rootKeyRecord';
import {
  evenKeyPair,
  example,
  exampleCertificateRecordFields,
  exampleQrFields,
  exampleRequestFields,
  exampleRevocationFields,
  exampleRoot,
  expectEncodeError,
  expectError,
  hex,
  issuerKeys,
  keyPair,
  patch,
  rootKeys,
  signCertificate,
  signCertificateRecord,
  signRequest,
  signRevocationList,
} from './testSupport';
import { verifyIssuerCertificate } from './verifyIssuerCertificate';
import { verifyQrCode } from './verifyQrCode';

const p = sm2.params.p;
const cert = hex(example.certificate);
const mCert = hex(example.m_cert);
const qr = hex(example.qr);
const inValidity = new Date('2026-06-01T00:00:00Z');
const u256 = (v: bigint) => toHex(bigintToBytes(v, 32));

/** The smallest X with no curve point (t is not a square). */
const xOffCurve = (() => {
  for (let x = 0n; ; x++) if (!sm2.publicKeyFromX(bigintToBytes(x, 32)).ok) return x;
})();

/** [name, offset to patch, bytes written there, code, field, offset reported]. */
type RejectionCase = [string, number, string, string, string, number];

function rejects(decode: (bytes: Uint8Array) => Result<unknown>, base: Uint8Array, cases: RejectionCase[]): void {
  it.each(cases)('%s', (_name, offset, bytes, code, field, at) => {
    expectError(decode(patch(base, offset, bytes)), code, field, at);
  });
}

describe('issuer certificate (Table 4) rejections', () => {
  rejects(issuerCertificate.decode, cert, [
    ['format byte 12 (T-Union)', 0, '12', 'CERT_FORMAT', 'format', 0],
    ['non-BCD month nibble', 1, '1a', 'BCD_INVALID', 'expiry', 1],
    ['non-BCD year nibble', 2, 'f7', 'BCD_INVALID', 'expiry', 2],
    ['month 13', 1, '13', 'MONTH_INVALID', 'expiry', 1],
    ['month 00', 1, '00', 'MONTH_INVALID', 'expiry', 1],
    ['serial 000000', 3, '000000', 'SERIAL_ZERO', 'serial', 3],
    ['signature algorithm 80 (EMV SM2)', 6, '80', 'SIGNATURE_ALGORITHM', 'signatureAlgorithm', 6],
    ['encryption algorithm 04 (T-Union)', 7, '04', 'ENCRYPTION_ALGORITHM', 'encryptionAlgorithm', 7],
    ['curve 01 (P-256, reserved)', 8, '01', 'CURVE_UNSUPPORTED', 'curve', 8],
    ['curve 02 (P-521, reserved)', 8, '02', 'CURVE_UNSUPPORTED', 'curve', 8],
    ['curve 12 (unknown)', 8, '12', 'CURVE_UNSUPPORTED', 'curve', 8],
    ['key length byte 20 (field length)', 9, '20', 'KEY_LENGTH_BYTE', 'keyLength', 9],
    ['key length byte 21 (T-Union)', 9, '21', 'KEY_LENGTH_BYTE', 'keyLength', 9],
    ['X = p', 10, u256(p), 'KEY_COORDINATE_RANGE', 'issuerKeyX', 10],
    ['X = 2²⁵⁶ − 1', 10, 'ff'.repeat(32), 'KEY_COORDINATE_RANGE', 'issuerKeyX', 10],
    ['X with no curve point', 10, u256(xOffCurve), 'KEY_NOT_ON_CURVE', 'issuerKeyX', 10],
  ]);

  it('wrong total length (105, 107, 0 bytes)', () => {
    expectError(issuerCertificate.decode(cert.subarray(0, 105)), 'LENGTH_INVALID', 'issuerCertificate', 105);
    expectError(issuerCertificate.decode(concat(cert, Uint8Array.of(0))), 'LENGTH_INVALID', 'issuerCertificate', 106);
    expectError(issuerCertificate.decode(new Uint8Array(0)), 'LENGTH_INVALID', 'issuerCertificate', 0);
  });

  it('input that is not bytes', () => {
    expectError(issuerCertificate.decode('14' as unknown as Uint8Array), 'INPUT_TYPE', 'issuerCertificate', 0);
  });

  it('signature under a signer ID other than 1234567812345678', () => {
    const keyData = unwrap(issuerKeyData.decode(mCert));
    const signature = sm2.sign(mCert, rootKeys.d, { id: new TextEncoder().encode('ALICE123@YAHOO.COM') });
    const forged = issuerCertificate.assemble(keyData, signature);
    expectError(verifyIssuerCertificate(forged, rootKeys.publicKey, inValidity), 'SIGNATURE_INVALID', 'rootSignature', 42);
  });

  it('signature by another root', () => {
    const other = signCertificate(unwrap(issuerKeyData.decode(mCert)), evenKeyPair());
    expectError(verifyIssuerCertificate(other, rootKeys.publicKey, inValidity), 'SIGNATURE_INVALID', 'rootSignature', 42);
  });

  it('signature out of range (r = 0, s = n)', () => {
    expectError(verifyIssuerCertificate(patch(cert, 42, '00'.repeat(32)), rootKeys.publicKey, inValidity), 'SIGNATURE_INVALID', 'rootSignature', 42);
    expectError(verifyIssuerCertificate(patch(cert, 74, u256(sm2.params.n)), rootKeys.publicKey, inValidity), 'SIGNATURE_INVALID', 'rootSignature', 42);
  });

  it('expired: after 23:59:59 CST on the last day of the expiry month', () => {
    expectError(verifyIssuerCertificate(cert, rootKeys.publicKey, new Date('2027-12-31T16:00:00Z')), 'CERT_EXPIRED', 'expiry', 1);
  });

  it('an invalid verification time', () => {
    const result = verifyIssuerCertificate(cert, rootKeys.publicKey, new Date('not a date'));
    expect(result.ok || [result.error.code, result.error.field]).toEqual(['TIME_INVALID', 'at']);
  });

  it('YY ≥ 50 (EMV would read 19YY)', () => {
    expectError(issuerCertificate.decode(patch(cert, 1, '0150')), 'EXPIRY_RANGE', 'expiry', 2);
    expect(unwrap(issuerCertificate.decode(patch(cert, 1, '1249'))).expiry).toEqual({ year: 2049, month: 12 });
  });

  it('encoding refuses what Table 4 cannot hold', () => {
    const base = unwrap(issuerCertificate.decode(cert));
    expectEncodeError(() => issuerCertificate.encode({ ...base, expiry: { year: 2050, month: 1 } }), 'EXPIRY_RANGE', 'expiry', 2);
    expectEncodeError(() => issuerCertificate.encode({ ...base, expiry: { year: 2027, month: 13 } }), 'MONTH_INVALID', 'expiry', 1);
    expectEncodeError(() => issuerCertificate.encode({ ...base, serial: 0 }), 'SERIAL_ZERO', 'serial', 3);
    expectEncodeError(() => issuerCertificate.encode({ ...base, serial: 0x1000000 }), 'VALUE_RANGE', 'serial', 3);
    expectEncodeError(() => issuerCertificate.encode({ ...base, rootSignature: new Uint8Array(63) }), 'SIGNATURE_LENGTH', 'rootSignature', 42);
  });
});

describe('issuer key data (Table 3) rejections', () => {
  const oddY = u256(p - BigInt('0x' + example.issuer.y));
  it('odd Y', () => expectError(issuerKeyData.decode(patch(mCert, 42, oddY)), 'KEY_Y_ODD', 'issuerKey', 42));
  it('Y ≥ p', () => expectError(issuerKeyData.decode(patch(mCert, 42, u256(p))), 'KEY_COORDINATE_RANGE', 'issuerKey', 42));
  it('point not on the curve', () => {
    const y = u256(BigInt('0x' + example.issuer.y) + 2n);
    expectError(issuerKeyData.decode(patch(mCert, 42, y)), 'KEY_NOT_ON_CURVE', 'issuerKey', 10);
  });
  it('wrong length', () => expectError(issuerKeyData.decode(mCert.subarray(1)), 'LENGTH_INVALID', 'issuerKeyData', 73));
  it('encoding an odd-Y key', () => {
    const odd = unwrap(sm2.publicKeyFromBytes(hex(example.issuer.x + oddY)));
    expectEncodeError(() => issuerKeyData.encode({ expiry: { year: 2027, month: 12 }, serial: 1, publicKey: odd }), 'KEY_Y_ODD', 'issuerKey', 42);
  });
});

describe('QR code (Table 1) rejections', () => {
  rejects(qrCode.decode, qr, [
    ['version 81 (T-Union)', 0, '81', 'QR_VERSION', 'version', 0],
    ['type 0004 (JT04, reserved)', 1, '0004', 'QR_TYPE', 'type', 1],
    ['type not BCD', 1, '000a', 'BCD_INVALID', 'type', 2],
    ['mode 02', 3, '02', 'QR_MODE', 'mode', 3],
    ['certificate number 00000000', 4, '00000000', 'CERT_NUMBER_RANGE', 'certificateNumber', 4],
    ['certificate number FFFFFFFF', 4, 'ffffffff', 'CERT_NUMBER_RANGE', 'certificateNumber', 4],
    ['field 5 not 0091', 8, '0092', 'AUTH_LENGTH', 'issuerAuthLength', 8],
    ['payment account with a control byte', 12, '00', 'ANS_INVALID', 'paymentAccount', 12],
    ['card number with a hex digit', 40, '0a', 'BCD_INVALID', 'cardNumber', 40],
    ['card number with a digit after F padding', 42, 'f1', 'BCD_INVALID', 'cardNumber', 42],
    ['card number all padding', 34, 'ff'.repeat(10), 'BCD_INVALID', 'cardNumber', 34],
    ['limit in binary, not BCD', 45, '0007d0', 'BCD_INVALID', 'transactionLimit', 47],
    ['user key prefix 04', 51, '04', 'KEY_PREFIX', 'userKey', 51],
    ['user key X ≥ p', 52, u256(p), 'KEY_COORDINATE_RANGE', 'userKey', 52],
    ['user key X with no curve point', 52, u256(xOffCurve), 'KEY_NOT_ON_CURVE', 'userKey', 51],
    ['field 16 format byte 16', 90, '16', 'SIGNATURE_FORMAT', 'issuerSignature', 90],
    ['field 17 not 0045', 155, '0044', 'AUTH_LENGTH', 'userAuthLength', 155],
    ['field 19 format byte 00', 161, '00', 'SIGNATURE_FORMAT', 'userSignature', 161],
  ]);

  it('a binary limit (as public code writes it) is reported with its binary reading', () => {
    const result = qrCode.decode(patch(qr, 45, '0007d0'));
    expect(result.ok || result.error.details).toEqual({ binaryReading: 2000 });
  });

  it('wrong total length', () => {
    expectError(qrCode.decode(qr.subarray(0, 225)), 'LENGTH_INVALID', 'qrCode', 225);
    expectError(qrCode.decode(new Uint8Array(259)), 'LENGTH_INVALID', 'qrCode', 226);
  });

  it('encoding refuses what Table 1 cannot hold', () => {
    const base = { ...exampleQrFields(), issuerSignature: new Uint8Array(64), userSignature: new Uint8Array(64) };
    expectEncodeError(() => qrCode.encode({ ...base, type: 'tram' as QrType }), 'QR_TYPE', 'type', 1);
    expectEncodeError(() => qrCode.encode({ ...base, mode: 'batch' as QrMode }), 'QR_MODE', 'mode', 3);
    expectEncodeError(() => qrCode.encode({ ...base, transactionLimit: 1_000_000 }), 'VALUE_RANGE', 'transactionLimit', 45);
    expectEncodeError(() => qrCode.encode({ ...base, paymentAccount: 'x'.repeat(17) }), 'ANS_INVALID', 'paymentAccount', 10);
    expectEncodeError(() => qrCode.encode({ ...base, cardNumber: '123456789012345678901' }), 'VALUE_RANGE', 'cardNumber', 34);
    expectEncodeError(() => qrCode.encode({ ...base, validitySeconds: 65_536 }), 'VALUE_RANGE', 'validitySeconds', 88);
    expectEncodeError(() => qrCode.encode({ ...base, userSignature: new Uint8Array(65) }), 'SIGNATURE_LENGTH', 'userSignature', 162);
  });
});

describe('request record A1 rejections', () => {
  const a1 = signRequest(exampleRequestFields(), issuerKeys);
  rejects(requestRecord.decode, a1, [
    ['tag A2', 0, 'a2', 'RECORD_TYPE', 'tag', 0],
    ['serial 000000', 5, '000000', 'SERIAL_ZERO', 'serial', 5],
    ['expiry month 13', 8, '13', 'MONTH_INVALID', 'expiry', 8],
    ['expiry not BCD', 9, '2b', 'BCD_INVALID', 'expiry', 9],
    ['signature algorithm 80', 10, '80', 'SIGNATURE_ALGORITHM', 'signatureAlgorithm', 10],
    ['curve 01', 11, '01', 'CURVE_UNSUPPORTED', 'curve', 11],
    ['key length 21', 12, '21', 'KEY_LENGTH_BYTE', 'keyLength', 12],
    ['odd Y', 45, u256(p - BigInt('0x' + example.issuer.y)), 'KEY_Y_ODD', 'publicKey', 45],
  ]);

  it('proof of possession verifies only for the requested key and the default ID', () => {
    expect(verifyProofOfPossession(a1).ok).toBe(true);
    const byOther = requestRecord.encode({ ...unwrap(requestRecord.decode(a1)), proofOfPossession: sm2.sign(a1.subarray(0, 97), evenKeyPair().d) });
    expectError(verifyProofOfPossession(byOther), 'SIGNATURE_INVALID', 'proofOfPossession', 97);
    const otherId = signRequest(exampleRequestFields(), issuerKeys, new TextEncoder().encode('issuer'));
    expectError(verifyProofOfPossession(otherId), 'SIGNATURE_INVALID', 'proofOfPossession', 97);
  });

  it('wrong length', () => expectError(requestRecord.decode(a1.subarray(0, 160)), 'LENGTH_INVALID', 'requestRecord', 160));
});

describe('root-key record A2 rejections', () => {
  const a2 = rootKeyRecord.encode({ clearingCenterId: 1, rootKeyIndex: 1, publicKey: rootKeys.publicKey, expiry: { year: 2030, month: 12, day: 31 } });
  rejects(rootKeyRecord.decode, a2, [
    ['tag A3', 0, 'a3', 'RECORD_TYPE', 'tag', 0],
    ['index 00', 5, '00', 'ROOT_KEY_INDEX', 'rootKeyIndex', 5],
    ['index FF', 5, 'ff', 'ROOT_KEY_INDEX', 'rootKeyIndex', 5],
    ['curve 02', 7, '02', 'CURVE_UNSUPPORTED', 'curve', 7],
    ['key not on the curve', 9, '00', 'KEY_NOT_ON_CURVE', 'publicKey', 9],
    ['expiry month 13', 74, '13', 'MONTH_INVALID', 'expiry', 74],
    ['expiry 31 November', 74, '1131', 'DAY_INVALID', 'expiry', 75],
    ['expiry 29 February 2027', 73, '270229', 'DAY_INVALID', 'expiry', 75],
    ['expiry not BCD', 75, '3f', 'BCD_INVALID', 'expiry', 75],
    ['expiry YY 99', 73, '99', 'EXPIRY_RANGE', 'expiry', 73],
    ['hash id 01 (SHA-1)', 76, '01', 'HASH_ALGORITHM', 'hashAlgorithm', 76],
    ['check value altered', 100, 'ff', 'CHECK_VALUE_MISMATCH', 'checkValue', 77],
    ['clearing-center id altered (check value no longer matches)', 1, '00000002', 'CHECK_VALUE_MISMATCH', 'checkValue', 77],
  ]);

  it('29 February 2028 is a day', () => expect(rootKeyRecord.decode(patch(a2, 73, '280229')).ok).toBe(true));
});

describe('certificate record A3 rejections', () => {
  const a3 = signCertificateRecord(exampleCertificateRecordFields());
  rejects(certificateRecord.decode, a3, [
    ['tag A4', 0, 'a4', 'RECORD_TYPE', 'tag', 0],
    ['root-key index 00', 1, '00', 'ROOT_KEY_INDEX', 'rootKeyIndex', 1],
    ['certificate number 00000000', 2, '00000000', 'CERT_NUMBER_RANGE', 'certificateNumber', 2],
    ['certificate format 12', 10, '12', 'CERT_FORMAT', 'certificate.format', 10],
    ['certificate month 00', 11, '00', 'MONTH_INVALID', 'certificate.expiry', 11],
    ['certificate curve 01', 18, '01', 'CURVE_UNSUPPORTED', 'certificate.curve', 18],
  ]);

  it('verifies under its root; wrong root index, wrong root key and a foreign inner certificate fail', () => {
    expect(verifyCertificateRecord(a3, exampleRoot).ok).toBe(true);
    expectError(verifyCertificateRecord(a3, { ...exampleRoot, rootKeyIndex: 2 }), 'WRONG_ROOT', 'rootKeyIndex', 1);
    expectError(verifyCertificateRecord(a3, { ...exampleRoot, publicKey: evenKeyPair().publicKey }), 'SIGNATURE_INVALID', 'rootSignature', 120);
    const foreignCertificate = unwrap(issuerCertificate.decode(signCertificate(unwrap(issuerKeyData.decode(mCert)), evenKeyPair())));
    const foreign = signCertificateRecord({ ...exampleCertificateRecordFields(), certificate: foreignCertificate });
    expectError(verifyCertificateRecord(foreign, exampleRoot), 'SIGNATURE_INVALID', 'certificate.rootSignature', 52);
  });
});

describe('revocation list A4 rejections', () => {
  const a4 = signRevocationList(exampleRevocationFields());
  rejects(revocationList.decode, a4, [
    ['tag A1', 0, 'a1', 'RECORD_TYPE', 'tag', 0],
    ['root-key index FF', 1, 'ff', 'ROOT_KEY_INDEX', 'rootKeyIndex', 1],
    ['next update before this update', 10, '00000000', 'UPDATE_ORDER', 'nextUpdate', 10],
    ['entry count larger than the list', 14, '0003', 'LENGTH_INVALID', 'entryCount', 14],
    ['entry count smaller than the list', 14, '0001', 'LENGTH_INVALID', 'entryCount', 14],
    ['certificate number 0', 16, '00000000', 'CERT_NUMBER_RANGE', 'entries[0].certificateNumber', 16],
    ['serial 000000', 24, '000000', 'SERIAL_ZERO', 'entries[0].serial', 24],
    ['reason 00', 27, '00', 'REASON_CODE', 'entries[0].reason', 27],
    ['reason 04', 39, '04', 'REASON_CODE', 'entries[1].reason', 39],
    ['entries not sorted', 28, '00000001', 'ENTRIES_UNSORTED', 'entries[1].certificateNumber', 28],
    ['duplicate entry', 28, '00000002', 'ENTRY_DUPLICATE', 'entries[1].certificateNumber', 28],
  ]);

  it('shorter than header + signature', () => expectError(revocationList.decode(a4.subarray(0, 79)), 'LENGTH_INVALID', 'revocationList', 79));

  it('verifies under its root; wrong root, bad signature and a stale sequence number fail', () => {
    expect(unwrap(verifyRevocationList(a4, exampleRoot, { heldSequenceNumber: 6 })).entries.length).toBe(2);
    expectError(verifyRevocationList(a4, { ...exampleRoot, rootKeyIndex: 0x80 }), 'WRONG_ROOT', 'rootKeyIndex', 1);
    expectError(verifyRevocationList(patch(a4, 50, (a4[50] ^ 0xff).toString(16).padStart(2, '0')), exampleRoot), 'SIGNATURE_INVALID', 'rootSignature', 40);
    expectError(verifyRevocationList(a4, exampleRoot, { heldSequenceNumber: 7 }), 'REVOCATION_SEQUENCE', 'sequenceNumber', 2);
  });

  it('encoding refuses unsorted or duplicate entries', () => {
    const fields = exampleRevocationFields();
    const sig = { rootSignature: new Uint8Array(64) };
    expectEncodeError(() => revocationList.encode({ ...fields, ...sig, entries: [...fields.entries].reverse() }), 'ENTRIES_UNSORTED', 'entries[1].certificateNumber', 28);
    expectEncodeError(() => revocationList.encode({ ...fields, ...sig, entries: [fields.entries[0], fields.entries[0]] }), 'ENTRY_DUPLICATE', 'entries[1].certificateNumber', 28);
  });
});

describe('decodeRecord', () => {
  it('refuses an unknown tag and empty input', () => {
    expectError(decodeRecord(cert), 'RECORD_TYPE', 'tag', 0);
    expectError(decodeRecord(new Uint8Array(0)), 'LENGTH_INVALID', 'record', 0);
  });

  it('reports the record decoder’s own errors', () => {
    const a1 = signRequest(exampleRequestFields(keyPair(issuerKeys.d)), issuerKeys);
    expectError(decodeRecord(patch(a1, 11, '01')), 'CURVE_UNSUPPORTED', 'curve', 11);
  });
});

describe('typed input to verifiers is parsed like its encoding (typed errors, never a throw)', () => {
  it('certificate, QR, A1, A3 and A4 values a caller built wrongly', () => {
    const certificate = unwrap(issuerCertificate.decode(cert));
    expectError(verifyIssuerCertificate({ ...certificate, serial: 0 }, rootKeys.publicKey, inValidity), 'SERIAL_ZERO', 'serial', 3);
    expectError(verifyIssuerCertificate({ ...certificate, expiry: { year: 2060, month: 1 } }, rootKeys.publicKey, inValidity), 'EXPIRY_RANGE', 'expiry', 2);
    const qrValue = unwrap(qrCode.decode(qr));
    const ctx = { rootKey: rootKeys.publicKey, certificate: cert, issuerId: 0x1001, certificateNumber: 1, at: inValidity };
    expectError(verifyQrCode({ ...qrValue, transactionLimit: 10_000_000 }, ctx), 'VALUE_RANGE', 'transactionLimit', 45);
    const a1 = unwrap(requestRecord.decode(signRequest(exampleRequestFields(), issuerKeys)));
    expectError(verifyProofOfPossession({ ...a1, challenge: new Uint8Array(15) }), 'VALUE_RANGE', 'challenge', 77);
    const a3 = unwrap(certificateRecord.decode(signCertificateRecord(exampleCertificateRecordFields())));
    expectError(verifyCertificateRecord({ ...a3, certificateNumber: 0 }, exampleRoot), 'CERT_NUMBER_RANGE', 'certificateNumber', 2);
    expectError(verifyCertificateRecord({ ...a3, rootKeyIndex: 0xff }, exampleRoot), 'ROOT_KEY_INDEX', 'rootKeyIndex', 1);
    expectError(verifyCertificateRecord({ ...a3, certificate: { ...a3.certificate, serial: 0 } }, exampleRoot), 'SERIAL_ZERO', 'certificate.serial', 13);
    expectError(
      verifyCertificateRecord({ ...a3, certificate: { ...a3.certificate, rootSignature: new Uint8Array(0) } }, exampleRoot),
      'SIGNATURE_LENGTH',
      'certificate.rootSignature',
      52,
    );
    const a4 = unwrap(revocationList.decode(signRevocationList(exampleRevocationFields())));
    expectError(verifyRevocationList({ ...a4, entries: [...a4.entries].reverse() }, exampleRoot), 'ENTRIES_UNSORTED', 'entries[1].certificateNumber', 28);
  });
});
