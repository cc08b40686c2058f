/**
 * Properties of the SM2 module on arbitrary input: verification only ever answers true or false,
 * key and DER parsers only ever answer a value or a typed error, and the range rules of GM/T 0003.2
 * (1 ≤ r, s ≤ n − 1, (r + s) mod n ≠ 0) hold even where skipping them would make a forgery verify.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bigintToBytes, bytesToBigint, concat, toHex } from '../bytes';
import { TqException, unwrap } from '../errors';
import { signatureFromDer, signatureToDer, sm2, SM2P256V1, type Sm2PublicKey } from './sm2';

const { n, p } = SM2P256V1;
const TWO_256 = 1n << 256n;
const mod = (v: bigint, m: bigint) => ((v % m) + m) % m;
const be32 = (v: bigint) => bigintToBytes(v, 32);
const signatureOf = (r: bigint, s: bigint) => concat(be32(r), be32(s));

// A few keys, generated once: preparing a verifier builds tables, too slow to do per run.
const keys = Array.from({ length: 4 }, () => {
  const privateKey = sm2.generatePrivateKey();
  const publicKey = sm2.publicKeyFromPrivate(privateKey);
  return { privateKey, publicKey, prepared: sm2.prepareVerifier(publicKey) };
});
const anyKey = fc.constantFrom(...keys);
const G = sm2.publicKeyFromPrivate(be32(1n)).point;

const bytes = (maxLength = 300) => fc.uint8Array({ maxLength });
const scalar = fc.bigInt({ min: 1n, max: n - 1n });
/** Below 2^256 − n, so v + n still fits 32 bytes. */
const smallScalar = fc.bigInt({ min: 1n, max: TWO_256 - n - 1n });

/** Every verification entry point's answer for one key, message and signature. */
function verdicts(key: (typeof keys)[number], message: Uint8Array, signature: Uint8Array, id?: Uint8Array): boolean[] {
  const e = sm2.digest(message, key.publicKey, id);
  return [
    sm2.verify(message, signature, key.publicKey, id),
    key.prepared.verify(message, signature, id),
    sm2.verifyDigest(e, signature, key.publicKey),
    key.prepared.verifyDigest(e, signature),
  ];
}

/**
 * The e for which (r, s) passes the verification equation when r and s are only used mod n:
 * x1 = ((s mod n)·G + ((r + s) mod n)·P).x, e = r − x1 mod n. A verifier that skips a range
 * check accepts (r, s) with this e; null when the point is the identity.
 */
function acceptingDigest(r: bigint, s: bigint, publicKey: Sm2PublicKey): Uint8Array | null {
  const point = G.multiplyUnsafe(mod(s, n)).add(publicKey.point.multiplyUnsafe(mod(r + s, n)));
  return point.is0() ? null : be32(mod(r - point.toAffine().x, n));
}

describe('sm2.verify on arbitrary input', () => {
  it('answers false, never throws, for arbitrary signatures, messages and IDs', () => {
    fc.assert(
      fc.property(anyKey, bytes(), fc.uint8Array({ maxLength: 80 }), fc.option(bytes(40), { nil: undefined }), (key, message, signature, id) => {
        expect(verdicts(key, message, signature, id)).toEqual([false, false, false, false]);
      }),
    );
  });

  it('answers false for inputs that are not byte arrays', () => {
    const key = keys[0];
    const junk = [null, undefined, 'abc', [1, 2, 3], 42, {}] as unknown as Uint8Array[];
    const valid = sm2.sign(Uint8Array.of(1), key.privateKey);
    for (const value of junk) {
      expect(sm2.verify(value, valid, key.publicKey)).toBe(false);
      expect(sm2.verify(Uint8Array.of(1), value, key.publicKey)).toBe(false);
      expect(sm2.verifyDigest(value, valid, key.publicKey)).toBe(false);
      expect(key.prepared.verify(value, valid)).toBe(false);
      expect(key.prepared.verifyDigest(value, valid)).toBe(false);
    }
  });

  it('answers false for a signer ID longer than 8191 bytes instead of throwing', () => {
    const key = keys[0];
    const valid = sm2.sign(Uint8Array.of(1), key.privateKey);
    expect(verdicts(key, Uint8Array.of(1), valid, new Uint8Array(8191))).toEqual([false, false, false, false]);
    expect(sm2.verify(Uint8Array.of(1), valid, key.publicKey, new Uint8Array(8192))).toBe(false);
    expect(key.prepared.verify(Uint8Array.of(1), valid, new Uint8Array(8192))).toBe(false);
  });
});

describe('signature range rules, where skipping them would let a forgery through', () => {
  const verifyBoth = (key: (typeof keys)[number], e: Uint8Array, signature: Uint8Array) => [
    sm2.verifyDigest(e, signature, key.publicKey),
    key.prepared.verifyDigest(e, signature),
  ];

  it('the forging construction works for in-range r, s (control)', () => {
    fc.assert(
      fc.property(anyKey, scalar, scalar, (key, r, s) => {
        fc.pre(mod(r + s, n) !== 0n);
        const e = acceptingDigest(r, s, key.publicKey);
        fc.pre(e !== null);
        expect(verifyBoth(key, e, signatureOf(r, s))).toEqual([true, true]);
      }),
    );
  });

  it('rejects s + n and r + n (the same values mod n)', () => {
    fc.assert(
      fc.property(anyKey, scalar, smallScalar, (key, big, small) => {
        const sHigh = acceptingDigest(big, small, key.publicKey);
        if (sHigh) expect(verifyBoth(key, sHigh, signatureOf(big, small + n))).toEqual([false, false]);
        const rHigh = acceptingDigest(small, big, key.publicKey);
        if (rHigh) expect(verifyBoth(key, rHigh, signatureOf(small + n, big))).toEqual([false, false]);
      }),
    );
  });

  it('rejects r = 0, s = 0, r = n, s = n and (r + s) mod n = 0', () => {
    fc.assert(
      fc.property(anyKey, scalar, (key, v) => {
        for (const [r, s] of [
          [0n, v],
          [v, 0n],
          [n, v],
          [v, n],
          [v, n - v],
        ]) {
          const e = acceptingDigest(r, s, key.publicKey);
          if (e) expect(verifyBoth(key, e, signatureOf(r, s))).toEqual([false, false]);
        }
      }),
    );
  });

  it('rejects r or s outside [1, n − 1] on real messages', () => {
    const outOfRange = fc.oneof(fc.constant(0n), fc.constant(n), fc.bigInt({ min: n, max: TWO_256 - 1n }));
    fc.assert(
      fc.property(anyKey, bytes(), scalar, outOfRange, fc.boolean(), (key, message, inRange, bad, badIsR) => {
        const signature = badIsR ? signatureOf(bad, inRange) : signatureOf(inRange, bad);
        expect(verdicts(key, message, signature)).toEqual([false, false, false, false]);
      }),
    );
  });
});

describe('the r check', () => {
  it('accepts when x1 is at least n: (e + x1) mod n = r has the candidate x1 = r − e + n below p', () => {
    let x = n;
    while (!sm2.publicKeyFromX(be32(x)).ok) x++;
    const Q = unwrap(sm2.publicKeyFromX(be32(x))).point;
    // t = (r + s) mod n = 1, so s·G + t·P = Q for P = Q − s·G: a valid signature whose x1 = x ≥ n.
    const [r, s] = [n - 1n, 2n];
    const publicKey = unwrap(sm2.publicKeyFromBytes(Q.subtract(G.multiply(s)).toBytes(false)));
    const e = be32(mod(r - x, n));
    expect(sm2.verifyDigest(e, signatureOf(r, s), publicKey)).toBe(true);
    expect(sm2.prepareVerifier(publicKey).verifyDigest(e, signatureOf(r, s))).toBe(true);
    expect(sm2.verifyDigest(be32(mod(r - x, n) ^ 1n), signatureOf(r, s), publicKey)).toBe(false);
  });
});

describe('sign and verify', () => {
  it('round-trips random messages and signer IDs, and fails for another ID or message', () => {
    fc.assert(
      fc.property(anyKey, bytes(), bytes(64), fc.uint8Array({ minLength: 1, maxLength: 8 }), (key, message, id, extra) => {
        const signature = sm2.sign(message, key.privateKey, { id });
        expect(verdicts(key, message, signature, id)).toEqual([true, true, true, true]);
        const otherId = concat(id, extra);
        expect(sm2.verify(message, signature, key.publicKey, otherId)).toBe(false);
        expect(key.prepared.verify(message, signature, otherId)).toBe(false);
        expect(sm2.verify(concat(message, extra), signature, key.publicKey, id)).toBe(false);
      }),
      { numRuns: 60 },
    );
  });

  it('draws a fresh nonce for every signature', () => {
    const key = keys[0];
    expect(toHex(sm2.sign(Uint8Array.of(7), key.privateKey))).not.toBe(toHex(sm2.sign(Uint8Array.of(7), key.privateKey)));
  });

  it('refuses out-of-range private keys and over-long IDs with typed errors', () => {
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return e instanceof TqException ? e.error.code : String(e);
      }
      return 'no error';
    };
    for (const d of [be32(0n), be32(n - 1n), be32(n), new Uint8Array(31), new Uint8Array(33).fill(1)]) {
      expect(code(() => sm2.sign(Uint8Array.of(1), d))).toBe('SM2_PRIVATE_KEY_RANGE');
    }
    expect(code(() => sm2.sign(Uint8Array.of(1), keys[0].privateKey, { id: new Uint8Array(8192) }))).toBe('SM2_ID_LENGTH');
    expect(code(() => sm2.signDigest(new Uint8Array(31), keys[0].privateKey))).toBe('SM2_DIGEST_LENGTH');
  });
});

describe('prepared verifier', () => {
  it('agrees with plain verify on genuine, altered and foreign signatures', () => {
    fc.assert(
      fc.property(anyKey, anyKey, bytes(), fc.nat(511), fc.boolean(), (key, signer, message, bit, alter) => {
        const signature = sm2.sign(message, signer.privateKey);
        if (alter) signature[bit >> 3] ^= 1 << (bit & 7);
        const plain = sm2.verify(message, signature, key.publicKey);
        expect(key.prepared.verify(message, signature)).toBe(plain);
        expect(plain).toBe(key === signer && !alter);
      }),
      { numRuns: 60 },
    );
  });
});

describe('public key parsing', () => {
  const knownCodes = ['KEY_LENGTH', 'KEY_PREFIX', 'KEY_COORDINATE_RANGE', 'KEY_NOT_ON_CURVE'];
  const coordinate = fc.bigInt({ min: 0n, max: p - 1n });
  const tooLarge = fc.bigInt({ min: p, max: TWO_256 - 1n });
  const errorCode = (r: { ok: boolean; error?: { code: string } }) => (r.ok ? 'ok' : r.error!.code);

  it('answers a key or a typed error for arbitrary bytes, never throws', () => {
    const lengths = fc.oneof(fc.constantFrom(32, 33, 64, 65), fc.nat(70));
    fc.assert(
      fc.property(lengths.chain((length) => fc.uint8Array({ minLength: length, maxLength: length })), (input) => {
        for (const result of [sm2.publicKeyFromBytes(input), sm2.publicKeyFromX(input)]) {
          if (!result.ok) expect(knownCodes).toContain(result.error.code);
        }
        if (![33, 64, 65].includes(input.length)) expect(errorCode(sm2.publicKeyFromBytes(input))).toBe('KEY_LENGTH');
        if (input.length !== 32) expect(errorCode(sm2.publicKeyFromX(input))).toBe('KEY_LENGTH');
      }),
      { numRuns: 300 },
    );
  });

  it('says KEY_PREFIX for a wrong first byte of 33- and 65-byte keys', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 255 }), fc.uint8Array({ minLength: 64, maxLength: 64 }), (prefix, body) => {
        const compressed = sm2.publicKeyFromBytes(concat(Uint8Array.of(prefix), body.subarray(0, 32)));
        const uncompressed = sm2.publicKeyFromBytes(concat(Uint8Array.of(prefix), body));
        if (prefix !== 2 && prefix !== 3) expect(compressed).toMatchObject({ ok: false, error: { code: 'KEY_PREFIX', offset: 0 } });
        if (prefix !== 4) expect(uncompressed).toMatchObject({ ok: false, error: { code: 'KEY_PREFIX', offset: 0 } });
      }),
    );
  });

  it('says KEY_COORDINATE_RANGE at the offset of the coordinate in its encoding, for X or Y ≥ p', () => {
    const rangeError = (offset: number) => ({ ok: false, error: { code: 'KEY_COORDINATE_RANGE', offset } });
    fc.assert(
      fc.property(tooLarge, coordinate, (big, small) => {
        expect(sm2.publicKeyFromBytes(concat(be32(big), be32(small)))).toMatchObject(rangeError(0));
        expect(sm2.publicKeyFromBytes(concat(be32(small), be32(big)))).toMatchObject(rangeError(32));
        expect(sm2.publicKeyFromBytes(concat(Uint8Array.of(4), be32(big), be32(small)))).toMatchObject(rangeError(1));
        expect(sm2.publicKeyFromBytes(concat(Uint8Array.of(4), be32(small), be32(big)))).toMatchObject(rangeError(33));
        expect(sm2.publicKeyFromBytes(concat(Uint8Array.of(2), be32(big)))).toMatchObject(rangeError(1));
        expect(sm2.publicKeyFromX(be32(big))).toMatchObject(rangeError(0));
      }),
    );
  });

  it('says KEY_NOT_ON_CURVE for coordinates off the curve', () => {
    fc.assert(
      fc.property(coordinate, coordinate, (x, y) => {
        expect(errorCode(sm2.publicKeyFromBytes(concat(be32(x), be32(y))))).toBe('KEY_NOT_ON_CURVE');
      }),
    );
    // The identity has no affine encoding; all-zero X ‖ Y is not a point of the curve (b ≠ 0).
    expect(errorCode(sm2.publicKeyFromBytes(new Uint8Array(64)))).toBe('KEY_NOT_ON_CURVE');
  });

  it('parses every encoding of a real key to the same point; X-only gives the even Y', () => {
    fc.assert(
      fc.property(scalar.filter((d) => d <= n - 2n), (d) => {
        const key = sm2.publicKeyFromPrivate(be32(d));
        const x = key.bytes.subarray(0, 32);
        const odd = key.y & 1n;
        const forms = [key.bytes, concat(Uint8Array.of(4), key.bytes), concat(Uint8Array.of(2 + Number(odd)), x)];
        for (const form of forms) expect(sm2.publicKeyFromBytes(form)).toMatchObject({ ok: true, value: { x: key.x, y: key.y } });
        const wrongParity = sm2.publicKeyFromBytes(concat(Uint8Array.of(3 - Number(odd)), x));
        expect(wrongParity).toMatchObject({ ok: true, value: { x: key.x, y: p - key.y } });
        expect(sm2.publicKeyFromX(x)).toMatchObject({ ok: true, value: { x: key.x, y: odd ? p - key.y : key.y } });
      }),
      { numRuns: 50 },
    );
  });

  it('recovers an even Y on the curve for every X that has one', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (x) => {
        const result = sm2.publicKeyFromX(x);
        if (!result.ok) {
          expect(['KEY_NOT_ON_CURVE', 'KEY_COORDINATE_RANGE']).toContain(result.error.code);
        } else {
          expect(result.value.y % 2n).toBe(0n);
          expect(sm2.publicKeyFromBytes(result.value.bytes).ok).toBe(true);
          expect(toHex(result.value.bytes.subarray(0, 32))).toBe(toHex(x));
        }
      }),
    );
  });
});

describe('DER signatures', () => {
  const rs = fc.uint8Array({ minLength: 64, maxLength: 64 });

  it('round-trips r ‖ s through signatureToDer', () => {
    fc.assert(
      fc.property(rs, (signature) => {
        expect(signatureFromDer(signatureToDer(signature))).toEqual({ ok: true, value: signature });
      }),
    );
  });

  it('accepts only the canonical encoding: whatever parses re-encodes to the same bytes', () => {
    const mutated = fc
      .tuple(rs, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('set', 'insert', 'delete')), { minLength: 1, maxLength: 3 }))
      .map(([signature, edits]) => {
        const der = Array.from(signatureToDer(signature));
        for (const [at, value, op] of edits) {
          const i = at % (der.length + 1);
          if (op === 'set') der[i % der.length] = value;
          else if (op === 'insert') der.splice(i, 0, value);
          else der.splice(i % der.length, 1);
        }
        return Uint8Array.from(der);
      });
    fc.assert(
      fc.property(fc.oneof(mutated, fc.uint8Array({ maxLength: 80 })), (der) => {
        const result = signatureFromDer(der);
        if (result.ok) expect(toHex(signatureToDer(result.value))).toBe(toHex(der));
        else expect(result.error).toMatchObject({ code: 'DER_INVALID', field: 'signature' });
      }),
      { numRuns: 1000 },
    );
  });

  it('rejects each non-canonical form with DER_INVALID at the offending offset', () => {
    const int = (hex: string) => `02${(hex.length / 2).toString(16).padStart(2, '0')}${hex}`;
    const seq = (body: string) => `30${(body.length / 2).toString(16).padStart(2, '0')}${body}`;
    const one = int('01');
    const cases: [string, string, number][] = [
      ['padded INTEGER', seq(int('0001') + one), 4],
      ['negative INTEGER', seq(one + int('80')), 7],
      ['long-form SEQUENCE length', '308106' + one + one, 1],
      ['SEQUENCE length too long', '3007' + one + one, 1],
      ['trailing bytes', seq(one + one) + '00', 1],
      ['trailing bytes inside the SEQUENCE', seq(one + one + '00'), 8],
      ['zero-length INTEGER', seq('0200' + one + one), 3],
      ['33-byte INTEGER', seq(int('01' + '00'.repeat(32)) + one), 4],
      ['wrong INTEGER tag', seq('0301' + '01' + one), 2],
      ['wrong outer tag', '3106' + one + one, 0],
      ['too short', '3000', 0],
    ];
    for (const [name, hex, offset] of cases) {
      const result = signatureFromDer(Uint8Array.from(Buffer.from(hex, 'hex')));
      expect(result, name).toMatchObject({ ok: false, error: { code: 'DER_INVALID', offset } });
    }
    // 33 bytes with the sign-padding zero is canonical for a high bit; keeps the 32-byte value.
    const high = 'ff'.repeat(32);
    expect(signatureFromDer(Uint8Array.from(Buffer.from(seq(int('00' + high) + one), 'hex')))).toMatchObject({ ok: true });
    expect(bytesToBigint(signatureToDer(signatureOf(TWO_256 - 1n, 1n)).subarray(4, 5))).toBe(0n);
  });
});
