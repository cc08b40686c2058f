/**
 * Known answers: GM/T 0003.5 Annex A (recommended curve), GB/T 32918.2 Annex A (test curve),
 * SM3 Annex A, and the TQ-CERT-1 §6/§7 worked example at the level of SM2 primitives.
 * Vectors are the published ones, copied into test/support/vectors.
 */
import { describe, expect, it } from 'vitest';
import standard from '../../test/support/vectors/sm2-sm3-standard.json';
import example from '../../test/support/vectors/tq-cert-1-example.json';
import { bigintToBytes, bytesToBigint, concat, parseHex, toHex } from '../bytes';
import { unwrap } from '../errors';
import { createSm2, sm2, SM2P256V1, type Sm2 } from './sm2';
import { sm3 } from './sm3';

const hex = (text: string) => unwrap(parseHex(text));
const ascii = (text: string) => new TextEncoder().encode(text);

interface SignatureVector {
  id: string;
  msg_ascii: string;
  d: string;
  x: string;
  y: string;
  za: string;
  e: string;
  k: string;
  r: string;
  s: string;
}

function checkSignatureVector(curve: Sm2, v: SignatureVector) {
  const id = ascii(v.id);
  const message = ascii(v.msg_ascii);
  const d = hex(v.d);
  const publicKey = curve.publicKeyFromPrivate(d);
  const expected = hex(v.r + v.s);

  it('derives the public key from d', () => expect(toHex(publicKey.bytes)).toBe(v.x.toLowerCase() + v.y.toLowerCase()));
  it('computes Z and e', () => {
    expect(toHex(curve.z(publicKey, id))).toBe(v.za.toLowerCase());
    expect(toHex(curve.digest(message, publicKey, id))).toBe(v.e.toLowerCase());
  });
  it('signs to r ‖ s with the vector nonce', () => {
    expect(toHex(curve.sign(message, d, { id, knownAnswerTestK: BigInt('0x' + v.k) }))).toBe(toHex(expected));
    expect(toHex(curve.signDigest(hex(v.e), d, BigInt('0x' + v.k)))).toBe(toHex(expected));
  });
  it('verifies r ‖ s, plain and prepared, and nothing else', () => {
    const fromVector = unwrap(curve.publicKeyFromBytes(hex(v.x + v.y)));
    const prepared = curve.prepareVerifier(fromVector);
    expect(curve.verify(message, expected, fromVector, id)).toBe(true);
    expect(curve.verifyDigest(hex(v.e), expected, fromVector)).toBe(true);
    expect(prepared.verify(message, expected, id)).toBe(true);
    expect(curve.verify(message, expected, fromVector, ascii(v.id.slice(0, -1)))).toBe(false); // another signer ID
    expect(curve.verify(ascii(v.msg_ascii + '.'), expected, fromVector, id)).toBe(false);
    expect(prepared.verify(message, concat(expected.subarray(0, 32), hex(v.r)), id)).toBe(false);
  });
}

describe('GM/T 0003.5 Annex A, recommended curve', () => {
  checkSignatureVector(sm2, standard.sm2_sign_v1);
});

describe('GB/T 32918.2 Annex A, 256-bit test curve via createSm2', () => {
  const t = standard.sm2_sign_v2_test_curve;
  const big = (h: string) => BigInt('0x' + h);
  const testCurve = createSm2({ name: 'GB/T 32918.2 test curve', p: big(t.p), a: big(t.a), b: big(t.b), n: big(t.n), Gx: big(t.gx), Gy: big(t.gy) });
  checkSignatureVector(testCurve, t);
});

describe('SM3, GM/T 0004 Annex A', () => {
  for (const v of standard.sm3) {
    it(`hashes ${v.msg_hex.length / 2} bytes`, () => expect(toHex(sm3(hex(v.msg_hex)))).toBe(v.digest));
  }
  it('hashes parts as their concatenation', () => {
    const whole = hex(standard.sm3[1].msg_hex);
    expect(toHex(sm3(whole.subarray(0, 3), new Uint8Array(0), whole.subarray(3)))).toBe(standard.sm3[1].digest);
  });
});

describe('TQ-CERT-1 worked example (§6, §7), SM2 level', () => {
  const certificate = hex(example.certificate);
  const mCert = hex(example.m_cert);
  const rootKey = unwrap(sm2.publicKeyFromBytes(hex(example.root.x + example.root.y)));
  const issuerX = certificate.subarray(10, 42);
  const rootSignature = certificate.subarray(42, 106);

  it('has key pairs that match their private keys', () => {
    expect(toHex(sm2.publicKeyFromPrivate(hex(example.root.d)).bytes)).toBe(example.root.x + example.root.y);
    expect(toHex(sm2.publicKeyFromPrivate(hex(example.issuer.d)).bytes)).toBe(example.issuer.x + example.issuer.y);
  });

  it('computes the Z and e the profile prints', () => {
    expect(toHex(sm2.z(rootKey))).toBe('cb9f0147a9d870e3cbb43188c9a9b2548a89d08a639ec5e76f9501db8c0d7bb0');
    expect(toHex(sm2.digest(mCert, rootKey))).toBe('a4e2ab1608756e2f53a4408f13277d34ee5f47d9f02d480efc3a5fa8a03424dd');
  });

  it('recovers the even Y from the certificate X', () => {
    const issuerKey = unwrap(sm2.publicKeyFromX(issuerX));
    expect(toHex(issuerKey.bytes)).toBe(example.issuer.x + example.issuer.y);
    expect(issuerKey.y % 2n).toBe(0n);
    expect(toHex(concat(certificate.subarray(0, 10), issuerKey.bytes))).toBe(example.m_cert);
  });

  it('verifies the root signature over M_cert with the even Y, and not with p − Y', () => {
    expect(sm2.verify(mCert, rootSignature, rootKey)).toBe(true);
    expect(sm2.prepareVerifier(rootKey).verify(mCert, rootSignature)).toBe(true);
    const oddY = bigintToBytes(SM2P256V1.p - bytesToBigint(mCert.subarray(42)), 32);
    expect(oddY[31] % 2).toBe(1);
    expect(sm2.verify(concat(mCert.subarray(0, 42), oddY), rootSignature, rootKey)).toBe(false);
  });

  it('verifies both QR signatures: issuer over bytes 8–89, user over bytes 0–160', () => {
    const qr = hex(example.qr);
    expect(qr.length).toBe(226);
    const issuerKey = unwrap(sm2.publicKeyFromX(issuerX));
    const userKey = unwrap(sm2.publicKeyFromBytes(qr.subarray(51, 84)));
    expect(toHex(userKey.bytes)).toBe(toHex(sm2.publicKeyFromPrivate(hex(example.user.d)).bytes));
    expect([qr[90], qr[161]]).toEqual([0x15, 0x15]);
    expect(sm2.verify(qr.subarray(8, 90), qr.subarray(91, 155), issuerKey)).toBe(true);
    expect(sm2.verify(qr.subarray(0, 161), qr.subarray(162, 226), userKey)).toBe(true);
    expect(sm2.verify(qr.subarray(8, 161), qr.subarray(162, 226), userKey)).toBe(false); // the narrower reading (§10)
  });
});
