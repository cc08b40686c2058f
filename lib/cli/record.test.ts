/**
 * `tqca record decode` through the real binary: one record of each kind A1–A4, built with the
 * codec's encoders and signed with the worked example's keys, and the faults decoding refuses.
 */
import { describe, expect, it } from 'vitest';
import { concat, toHex } from '../bytes';
import {
  certificateRecord,
  issuerCertificate,
  requestRecord,
  revocationList,
  rootKeyRecord,
  type RevocationListFields,
} from '../codec';
import { example, hex, issuerKeys, rootKeys } from '../codec/testSupport';
import { sm2 } from '../crypto/sm2';
import { unwrap } from '../errors';
import { runTqca } from './testSupport';

const unix = (iso: string) => Date.parse(iso) / 1000;
const challenge = hex('000102030405060708090a0b0c0d0e0f');

const requestFields = {
  issuerId: 0x1001,
  serial: 1,
  expiry: { year: 2027, month: 12 },
  publicKey: issuerKeys.publicKey,
  challenge,
  requestTime: unix('2026-05-20T02:00:00Z'),
};
const a1 = requestRecord.encode({ ...requestFields, proofOfPossession: sm2.sign(requestRecord.toBeSigned(requestFields), issuerKeys.d) });

const a2 = rootKeyRecord.encode({
  clearingCenterId: parseInt(example.root_record_a2.center_id, 16),
  rootKeyIndex: parseInt(example.root_record_a2.index, 16),
  publicKey: rootKeys.publicKey,
  expiry: { year: 2030, month: 12, day: 31 },
});

const certificateFields = {
  rootKeyIndex: 1,
  certificateNumber: 1,
  issuerId: 0x1001,
  certificate: unwrap(issuerCertificate.decode(hex(example.certificate))),
  issueTime: unix('2026-05-21T00:00:00Z'),
};
const a3 = certificateRecord.encode({
  ...certificateFields,
  rootSignature: sm2.sign(certificateRecord.toBeSigned(certificateFields), rootKeys.d),
});

const revocationFields: RevocationListFields = {
  rootKeyIndex: 1,
  sequenceNumber: 7,
  thisUpdate: unix('2026-06-01T00:00:00Z'),
  nextUpdate: unix('2026-06-02T00:00:00Z'),
  entries: [
    { certificateNumber: 1, issuerId: 0x1001, serial: 1, reason: 'keyCompromise' },
    { certificateNumber: 5, issuerId: 0x1002, serial: 9, reason: 'superseded' },
  ],
};
const a4 = revocationList.encode({ ...revocationFields, rootSignature: sm2.sign(revocationList.toBeSigned(revocationFields), rootKeys.d) });

const decode = (bytes: Uint8Array) => runTqca(['record', 'decode', toHex(bytes)]);
const patched = (bytes: Uint8Array, offset: number, ...values: number[]) => {
  const copy = bytes.slice();
  copy.set(values, offset);
  return copy;
};

describe.concurrent('tqca record decode: one record of each kind', () => {
  it('A1 certificate request', async () => {
    const run = await decode(a1);
    expect(run.exitCode).toBe(0);
    expect(run.json).toEqual({
      valid: true,
      record: {
        tag: 'a1',
        kind: 'request',
        issuerId: '00001001',
        serial: '000001',
        expiry: { year: 2027, month: 12, validThrough: '2027-12-31T15:59:59.999Z' },
        publicKey: { x: example.issuer.x, y: example.issuer.y },
        challenge: '000102030405060708090a0b0c0d0e0f',
        requestTime: '2026-05-20T02:00:00.000Z',
        proofOfPossession: { r: toHex(a1.subarray(97, 129)), s: toHex(a1.subarray(129)) },
      },
    });
  });

  it('A2 root public key, with the check value of the worked example', async () => {
    const run = await decode(a2);
    expect(run.exitCode).toBe(0);
    expect(run.json.record).toEqual({
      tag: 'a2',
      kind: 'rootKey',
      clearingCenterId: '00000001',
      rootKeyIndex: '01',
      publicKey: { x: example.root.x, y: example.root.y },
      expiry: { year: 2030, month: 12, day: 31, validThrough: '2030-12-31T15:59:59.999Z' },
      hashAlgorithm: '07',
      checkValue: example.root_record_a2.check_value,
    });
  });

  it('A3 certificate distribution, with the certificate decoded inside it', async () => {
    const run = await decode(a3);
    expect(run.exitCode).toBe(0);
    expect(run.json.record).toMatchObject({
      tag: 'a3',
      kind: 'certificate',
      rootKeyIndex: '01',
      certificateNumber: '00000001',
      issuerId: '00001001',
      certificate: { serial: '000001', issuerKey: { x: example.issuer.x, y: example.issuer.y }, signedData: example.m_cert },
      issueTime: '2026-05-21T00:00:00.000Z',
      rootSignature: { r: toHex(a3.subarray(120, 152)), s: toHex(a3.subarray(152)) },
    });
  });

  it('A4 revocation list', async () => {
    const run = await decode(a4);
    expect(run.exitCode).toBe(0);
    expect(run.json.record).toMatchObject({
      tag: 'a4',
      kind: 'revocationList',
      rootKeyIndex: '01',
      sequenceNumber: 7,
      thisUpdate: '2026-06-01T00:00:00.000Z',
      nextUpdate: '2026-06-02T00:00:00.000Z',
      entries: [
        { certificateNumber: '00000001', issuerId: '00001001', serial: '000001', reason: 'keyCompromise' },
        { certificateNumber: '00000005', issuerId: '00001002', serial: '000009', reason: 'superseded' },
      ],
    });
  });
});

describe.concurrent('tqca record decode: records decoding refuses', () => {
  const swappedEntries = concat(a4.subarray(0, 16), a4.subarray(28, 40), a4.subarray(16, 28), a4.subarray(40));
  it.each([
    ['tag A5', 'RECORD_TYPE', 'tag', 0, patched(a1, 0, 0xa5)],
    ['tag 14 (a bare certificate is not a record)', 'RECORD_TYPE', 'tag', 0, hex(example.certificate)],
    ['A1 of 160 bytes', 'LENGTH_INVALID', 'requestRecord', 160, a1.subarray(0, 160)],
    ['A1 with curve 01', 'CURVE_UNSUPPORTED', 'curve', 11, patched(a1, 11, 0x01)],
    ['A2 with a wrong check value', 'CHECK_VALUE_MISMATCH', 'checkValue', 77, patched(a2, 108, a2[108] ^ 1)],
    ['A2 with hash id 06', 'HASH_ALGORITHM', 'hashAlgorithm', 76, patched(a2, 76, 0x06)],
    ['A3 whose certificate has format 15', 'CERT_FORMAT', 'certificate.format', 10, patched(a3, 10, 0x15)],
    ['A3 with certificate number 00000000', 'CERT_NUMBER_RANGE', 'certificateNumber', 2, patched(a3, 2, 0, 0, 0, 0)],
    ['A4 with entries out of order', 'ENTRIES_UNSORTED', undefined, undefined, swappedEntries],
    ['A4 with reason 04', 'REASON_CODE', 'entries[0].reason', 27, patched(a4, 27, 0x04)],
    ['A4 with one entry too many counted', 'LENGTH_INVALID', 'entryCount', 14, patched(a4, 15, 3)],
  ] as const)('%s → %s', async (_, code, field, offset, bytes) => {
    const run = await decode(bytes);
    expect(run.exitCode).toBe(1);
    expect(run.json).toMatchObject({ valid: false, error: { code, ...(field && { field }), ...(offset !== undefined && { offset }) } });
  });
});
