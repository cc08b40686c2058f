/**
 * Requests through the service, on PGlite: every byte-level §8 rejection of an A1 record arrives
 * as the decoder's typed error and stores nothing; the database-backed checks answer their own
 * codes; review, approval, rejection and issuance refuse out-of-order steps.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bigintToBytes, bytesToBigint, bytesToUint, uintToBytes } from '../bytes';
import { SM2P256V1 } from '../crypto/sm2';
import { unwrap, type Result } from '../errors';
import { activeRootKey, buildRequest, issuerKeyPair, startHarness, type Harness } from '../../test/e2e/harness';
import { revokeCertificate } from './certificates';
import { createInstitution } from './institutions';
import { issueCertificate } from './issuance';
import { approveRequest, issueChallenge, listRequests, rejectRequest, reviewRequest, submitRequest } from './requests';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
  await activeRootKey(h, 0x89);
  unwrap(await createInstitution(h.ca, h.admin, { kind: 'ISSUER', code: uintToBytes(h.issuerId + 1, 4), nameZh: '第二发卡机构' }));
});
afterAll(() => h?.close());

const code = (r: Result<unknown>) => (r.ok ? 'ok' : r.error.code);
const EXPIRY = { year: 2028, month: 6 };

async function freshA1(serial: number, issuerId = h.issuerId, key = issuerKeyPair()) {
  const challenge = unwrap(await issueChallenge(h.ca, h.alice, issuerId));
  return buildRequest({ issuerId, challenge: challenge.challenge, serial, expiry: EXPIRY, key }).a1;
}

function patched(a1: Uint8Array, offset: number, bytes: number[] | Uint8Array): Uint8Array {
  const copy = a1.slice();
  copy.set(bytes, offset);
  return copy;
}

describe('submission: the A1 record is decoded at the edge', () => {
  const Y = 45;
  const cases: Array<[string, string, (a1: Uint8Array) => Uint8Array]> = [
    ['wrong record tag', 'RECORD_TYPE', (a1) => patched(a1, 0, [0xa3])],
    ['short record', 'LENGTH_INVALID', (a1) => a1.subarray(0, 160)],
    ['signature algorithm not 04', 'SIGNATURE_ALGORITHM', (a1) => patched(a1, 10, [0x80])],
    ['curve 01 (P-256)', 'CURVE_UNSUPPORTED', (a1) => patched(a1, 11, [0x01])],
    ['key length byte not 40', 'KEY_LENGTH_BYTE', (a1) => patched(a1, 12, [0x21])],
    ['X not below p', 'KEY_COORDINATE_RANGE', (a1) => patched(a1, 13, new Uint8Array(32).fill(0xff))],
    ['point off the curve', 'KEY_NOT_ON_CURVE', (a1) => patched(a1, Y + 31, [a1[Y + 31] ^ 1])],
    ['odd Y (p − Y of the requested key)', 'KEY_Y_ODD', (a1) => patched(a1, Y, bigintToBytes(SM2P256V1.p - bytesToBigint(a1.subarray(Y, Y + 32)), 32))],
    ['serial 000000', 'SERIAL_ZERO', (a1) => patched(a1, 5, [0, 0, 0])],
    ['expiry YY ≥ 50', 'EXPIRY_RANGE', (a1) => patched(a1, 8, [0x06, 0x50])],
    ['expiry month 13', 'MONTH_INVALID', (a1) => patched(a1, 8, [0x13, 0x28])],
    ['expiry not BCD', 'BCD_INVALID', (a1) => patched(a1, 8, [0x0a, 0x28])],
    // Request time one second later: every field still valid, but not what the key signed.
    ['proof of possession over other bytes', 'POP_INVALID', (a1) => patched(a1, 93, uintToBytes(bytesToUint(a1.subarray(93, 97)) + 1, 4))],
    ['proof of possession not by the key', 'POP_INVALID', (a1) => patched(a1, 97, [a1[97] ^ 0x80])],
  ];

  it.each(cases)('%s → %s, nothing stored, challenge still unused', async (_name, expected, corrupt) => {
    const a1 = await freshA1(100);
    const before = await h.db.prisma.certificateRequest.count();
    expect(code(await submitRequest(h.ca, h.alice, corrupt(a1)))).toBe(expected);
    expect(await h.db.prisma.certificateRequest.count()).toBe(before);
    // The untouched record still goes through: the refusal consumed nothing.
    const accepted = unwrap(await submitRequest(h.ca, h.alice, a1));
    unwrap(await rejectRequest(h.ca, h.alice, accepted.id, 'test cleanup'));
  });
});

describe('submission: checks against the CA state', () => {
  it('refuses a serial or a key already used, another issuer’s key or challenge, and a revoked key', async () => {
    const key = issuerKeyPair();
    const first = unwrap(await submitRequest(h.ca, h.alice, await freshA1(7, h.issuerId, key)));
    expect(code(await submitRequest(h.ca, h.alice, await freshA1(7)))).toBe('SERIAL_USED');
    expect(code(await submitRequest(h.ca, h.alice, await freshA1(8, h.issuerId, key)))).toBe('KEY_ALREADY_REQUESTED');
    expect(code(await submitRequest(h.ca, h.alice, await freshA1(8, h.issuerId + 1, key)))).toBe('KEY_HELD_BY_OTHER_ISSUER');

    const otherChallenge = unwrap(await issueChallenge(h.ca, h.alice, h.issuerId + 1));
    const misdirected = buildRequest({ issuerId: h.issuerId, challenge: otherChallenge.challenge, serial: 8, expiry: EXPIRY }).a1;
    expect(code(await submitRequest(h.ca, h.alice, misdirected))).toBe('CHALLENGE_ISSUER_MISMATCH');
    expect(code(await submitRequest(h.ca, h.alice, buildRequest({ issuerId: h.issuerId, challenge: '00'.repeat(16), serial: 8, expiry: EXPIRY }).a1))).toBe(
      'CHALLENGE_UNKNOWN',
    );
    expect(code(await submitRequest(h.ca, h.alice, buildRequest({ issuerId: 0x0badf00d, challenge: otherChallenge.challenge, serial: 8, expiry: EXPIRY }).a1))).toBe(
      'ISSUER_UNKNOWN',
    );

    unwrap(await reviewRequest(h.ca, h.alice, first.id, first.fingerprint));
    unwrap(await approveRequest(h.ca, h.bob, first.id, 0x89));
    const certificate = unwrap(await issueCertificate(h.ca, h.bob, first.id));
    expect(code(await submitRequest(h.ca, h.alice, await freshA1(9, h.issuerId, key)))).toBe('KEY_ALREADY_CERTIFIED');
    unwrap(await revokeCertificate(h.ca, h.alice, Number.parseInt(certificate.number, 16), 'keyCompromise'));
    expect(code(await submitRequest(h.ca, h.alice, await freshA1(9, h.issuerId, key)))).toBe('KEY_REVOKED');
    // Serials stay used for life, even after revocation.
    expect(code(await submitRequest(h.ca, h.alice, await freshA1(7)))).toBe('SERIAL_USED');
  });
});

describe('review, approval, rejection and issuance in order only', () => {
  it('refuses steps out of order and after rejection', async () => {
    const request = unwrap(await submitRequest(h.ca, h.alice, await freshA1(20)));
    expect(code(await approveRequest(h.ca, h.bob, request.id, 0x89))).toBe('REQUEST_NOT_REVIEWED');
    expect(code(await issueCertificate(h.ca, h.bob, request.id))).toBe('REQUEST_STATE');
    unwrap(await reviewRequest(h.ca, h.alice, request.id, request.fingerprint));
    expect(code(await reviewRequest(h.ca, h.bob, request.id, request.fingerprint))).toBe('REQUEST_ALREADY_REVIEWED');
    expect(code(await approveRequest(h.ca, h.bob, request.id, 0x7e))).toBe('ROOT_KEY_NOT_USABLE');

    expect(code(await rejectRequest(h.ca, h.bob, request.id, ' \n'))).toBe('REASON_REQUIRED');
    const rejected = unwrap(await rejectRequest(h.ca, h.bob, request.id, 'the issuer withdrew the request'));
    expect(rejected).toMatchObject({ state: 'REJECTED', rejection: { code: 'REJECTED_BY_OFFICER', reason: 'the issuer withdrew the request' } });
    expect(code(await approveRequest(h.ca, h.bob, request.id, 0x89))).toBe('REQUEST_STATE');
    expect(code(await rejectRequest(h.ca, h.bob, request.id, 'twice'))).toBe('REQUEST_STATE');
    expect((await listRequests(h.ca, { state: 'REJECTED' })).map((r) => r.id)).toContain(request.id);
    // A rejected request's serial is free again: it never became a certificate.
    expect(code(await submitRequest(h.ca, h.alice, await freshA1(20)))).toBe('ok');
  });
});
