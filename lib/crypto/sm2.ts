/**
 * SM2 digital signatures (GM/T 0003.2, GB/T 32918.2) on @noble/curves' short-Weierstrass
 * arithmetic, with SM3 from node:crypto.
 *
 *   Z = SM3(ENTL ‖ ID ‖ a ‖ b ‖ xG ‖ yG ‖ xA ‖ yA),  e = SM3(Z ‖ M)
 *   sign:   (x1, _) = k·G;  r = (e + x1) mod n;  s = (1 + d)⁻¹ · (k − r·d) mod n
 *   verify: t = (r + s) mod n ≠ 0;  (x1, _) = s·G + t·P;  accept iff (e + x1) mod n = r
 *
 * Signatures are r ‖ s, 32 bytes each (TQ-CERT-1 §5). Verification never throws: malformed
 * keys or signatures answer `false`; parsing answers a typed error saying what is wrong.
 * Signing uses noble's constant-time multiplication; verification, whose inputs are all public,
 * the faster variable-time Jacobian arithmetic of ./jacobianArithmetic.
 */
import { randomBytes } from 'node:crypto';
import { weierstrass, type WeierstrassPoint, type WeierstrassPointCons } from '@noble/curves/abstract/weierstrass.js';
import { bigintToBytes, bytesToBigint, concat } from '../bytes';
import { err, ok, TqException, type Result } from '../errors';
import { createJacobianArithmetic, type FixedBaseTable, type JacobianPoint } from './jacobianArithmetic';
import { sm3 } from './sm3';

export interface CurveParams {
  readonly name: string;
  readonly p: bigint;
  readonly a: bigint;
  readonly b: bigint;
  readonly n: bigint;
  readonly Gx: bigint;
  readonly Gy: bigint;
}

/** The recommended curve sm2p256v1 (GM/T 0003.5), the only one certificates use (curve id `11`). */
export const SM2P256V1: CurveParams = {
  name: 'sm2p256v1',
  p: 0xfffffffeffffffffffffffffffffffffffffffff00000000ffffffffffffffffn,
  a: 0xfffffffeffffffffffffffffffffffffffffffff00000000fffffffffffffffcn,
  b: 0x28e9fa9e9d9f5e344d5a9e4bcf6509a7f39789f515ab8f92ddbcbd414d940e93n,
  n: 0xfffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54123n,
  Gx: 0x32c4ae2c1f1981195f9904466a39c9948fe30bbff2660be1715a4589334c74c7n,
  Gy: 0xbc3736a2f4f6779c59bdcee36b692153d0a9877cc62a474002df32e52139f0a0n,
};

/** GM/T 0009 default signer ID, used for every signature in TQ-CERT-1 (§5). */
export const DEFAULT_SIGNER_ID: Uint8Array = new TextEncoder().encode('1234567812345678');

type Point = WeierstrassPoint<bigint>;

/** A validated SM2 public key: on the curve, not the identity. Only this module constructs one. */
export interface Sm2PublicKey {
  readonly x: bigint;
  readonly y: bigint;
  /** Uncompressed X ‖ Y, 64 bytes. */
  readonly bytes: Uint8Array;
  /** @internal curve point */
  readonly point: Point;
}

export interface SignOptions {
  /** Signer ID for Z; default `1234567812345678`. */
  readonly id?: Uint8Array;
  /** Fixed nonce, ONLY for known-answer tests. Production signing always draws k at random. */
  readonly knownAnswerTestK?: bigint;
}

/**
 * A verifier bound to one key that is seen often (root or issuer key): precomputed tables and Z.
 * The tables take about 0.6 MB and a few tens of milliseconds to build; prepare only keys that
 * verify many signatures.
 */
export interface PreparedVerifier {
  readonly publicKey: Sm2PublicKey;
  /** Z for the given signer ID (default ID cached). */
  z(id?: Uint8Array): Uint8Array;
  verify(message: Uint8Array, signature: Uint8Array, id?: Uint8Array): boolean;
  verifyDigest(e: Uint8Array, signature: Uint8Array): boolean;
}

export type Sm2 = ReturnType<typeof createSm2>;

export function createSm2(params: CurveParams) {
  const { p, n } = params;
  // Y recovery below uses t^((p+1)/4); it is only a square root when p ≡ 3 (mod 4).
  if (p % 4n !== 3n) throw new Error(`${params.name}: p ≢ 3 (mod 4) is not supported`);
  const Point: WeierstrassPointCons<bigint> = weierstrass({
    p,
    n,
    h: 1n,
    a: params.a,
    b: params.b,
    Gx: params.Gx,
    Gy: params.Gy,
  });
  // 8-bit windows for k·G (signing, key derivation): about a quarter faster than noble's default 6
  // for 0.7 MB more table, built on first use.
  Point.BASE.precompute(8);
  const Fp = Point.Fp;
  const Fn = Point.Fn;
  const curveBytes = concat(...[params.a, params.b, params.Gx, params.Gy].map((v) => bigintToBytes(v, 32)));
  const modN = (v: bigint) => ((v % n) + n) % n;
  const jacobian = createJacobianArithmetic(params);
  let generatorTable: FixedBaseTable | undefined;
  // Built on first verification, not at import: signing-only processes never pay for it.
  const baseTable = () => (generatorTable ??= jacobian.fixedBaseTable({ x: params.Gx, y: params.Gy }));

  function keyFromPoint(point: Point): Sm2PublicKey {
    const { x, y } = point.toAffine();
    return { x, y, bytes: concat(bigintToBytes(x, 32), bigintToBytes(y, 32)), point };
  }

  /** `xOffset`: where X starts in the caller's encoding, so an error names the bytes at fault. */
  function keyFromCoordinates(x: bigint, y: bigint, field: string, xOffset: number): Result<Sm2PublicKey> {
    if (x >= p) return err('KEY_COORDINATE_RANGE', 'X is not less than p', { field, offset: xOffset });
    if (y >= p) return err('KEY_COORDINATE_RANGE', 'Y is not less than p', { field, offset: xOffset + 32 });
    if (Fp.sqr(y) !== curveRhs(x)) return err('KEY_NOT_ON_CURVE', 'the point is not on the SM2 curve', { field });
    // Cofactor 1: every affine point on the curve is in the prime-order group; (x, y) is never the identity.
    return ok(keyFromPoint(Point.fromAffine({ x, y })));
  }

  function curveRhs(x: bigint): bigint {
    return Fp.add(Fp.add(Fp.mul(Fp.sqr(x), x), Fp.mul(params.a, x)), params.b);
  }

  /** Y with the requested parity for an X, or a typed error (X ≥ p, no point with this X). */
  function recoverY(x: bigint, odd: boolean, field: string, xOffset: number): Result<bigint> {
    if (x >= p) return err('KEY_COORDINATE_RANGE', 'X is not less than p', { field, offset: xOffset });
    const t = curveRhs(x);
    let y = Fp.pow(t, (p + 1n) / 4n);
    if (Fp.sqr(y) !== t) return err('KEY_NOT_ON_CURVE', 'no curve point has this X', { field });
    if ((y & 1n) === 1n !== odd) y = Fp.neg(y);
    return ok(y);
  }

  /**
   * Parses a public key: 64 bytes X‖Y, 65 bytes 04‖X‖Y, or 33 bytes 02/03‖X (GM/T 0003.1 A.5).
   */
  function publicKeyFromBytes(bytes: Uint8Array, field = 'publicKey'): Result<Sm2PublicKey> {
    if (bytes.length === 64 || (bytes.length === 65 && bytes[0] === 0x04)) {
      const xOffset = bytes.length - 64;
      const xy = bytes.subarray(xOffset);
      return keyFromCoordinates(bytesToBigint(xy.subarray(0, 32)), bytesToBigint(xy.subarray(32)), field, xOffset);
    }
    if (bytes.length === 33) {
      if (bytes[0] !== 0x02 && bytes[0] !== 0x03) {
        return err('KEY_PREFIX', `compressed key prefix must be 02 or 03, got ${bytes[0].toString(16).padStart(2, '0')}`, {
          field,
          offset: 0,
        });
      }
      const x = bytesToBigint(bytes.subarray(1));
      const y = recoverY(x, bytes[0] === 0x03, field, 1);
      return y.ok ? ok(keyFromPoint(Point.fromAffine({ x, y: y.value }))) : y;
    }
    if (bytes.length === 65) return err('KEY_PREFIX', 'uncompressed key prefix must be 04', { field, offset: 0 });
    return err('KEY_LENGTH', `public key must be 33, 64 or 65 bytes, got ${bytes.length}`, {
      field,
      details: { length: bytes.length },
    });
  }

  /** X-only key as certificates carry it: Y is the even root (TQ-CERT-1 §2). */
  function publicKeyFromX(x: Uint8Array, field = 'publicKeyX'): Result<Sm2PublicKey> {
    if (x.length !== 32) return err('KEY_LENGTH', `X must be 32 bytes, got ${x.length}`, { field });
    const xv = bytesToBigint(x);
    const y = recoverY(xv, false, field, 0);
    return y.ok ? ok(keyFromPoint(Point.fromAffine({ x: xv, y: y.value }))) : y;
  }

  function privateScalar(d: Uint8Array): bigint {
    const v = d.length === 32 ? bytesToBigint(d) : 0n;
    // d = n − 1 is excluded: 1 + d must be invertible mod n.
    if (v < 1n || v > n - 2n) {
      throw new TqException({ code: 'SM2_PRIVATE_KEY_RANGE', message: 'private key must be 32 bytes in [1, n − 2]', field: 'privateKey' });
    }
    return v;
  }

  function randomScalar(max: bigint): bigint {
    for (;;) {
      const v = bytesToBigint(randomBytes(32));
      if (v >= 1n && v <= max) return v;
    }
  }

  function generatePrivateKey(): Uint8Array {
    return bigintToBytes(randomScalar(n - 2n), 32);
  }

  function publicKeyFromPrivate(d: Uint8Array): Sm2PublicKey {
    return keyFromPoint(Point.BASE.multiply(privateScalar(d)));
  }

  function toIdBytes(id: Uint8Array | undefined): Uint8Array {
    const v = id ?? DEFAULT_SIGNER_ID;
    if (v.length > 8191) throw new TqException({ code: 'SM2_ID_LENGTH', message: 'signer ID longer than 8191 bytes', field: 'id' });
    return v;
  }

  /** Z_A = SM3(ENTL ‖ ID ‖ a ‖ b ‖ xG ‖ yG ‖ xA ‖ yA). */
  function z(publicKey: Sm2PublicKey, id?: Uint8Array): Uint8Array {
    const idBytes = toIdBytes(id);
    const entl = idBytes.length * 8;
    return sm3(Uint8Array.of(entl >> 8, entl & 0xff), idBytes, curveBytes, publicKey.bytes);
  }

  /** e = SM3(Z ‖ M), the value an HSM's "precomputed e" mechanism signs. */
  function digest(message: Uint8Array, publicKey: Sm2PublicKey, id?: Uint8Array): Uint8Array {
    return sm3(z(publicKey, id), message);
  }

  function signDigest(e: Uint8Array, privateKey: Uint8Array, knownAnswerTestK?: bigint): Uint8Array {
    if (e.length !== 32) throw new TqException({ code: 'SM2_DIGEST_LENGTH', message: 'e must be 32 bytes', field: 'e' });
    const d = privateScalar(privateKey);
    const ev = bytesToBigint(e);
    const dInv = Fn.inv(1n + d);
    for (;;) {
      const k = knownAnswerTestK ?? randomScalar(n - 1n);
      const x1 = Point.BASE.multiply(k).toAffine().x;
      const r = modN(ev + x1);
      if (r === 0n || r + k === n) {
        if (knownAnswerTestK !== undefined) throw new Error('known-answer k yields r = 0 or r + k = n');
        continue;
      }
      const s = modN(dInv * (k - r * d));
      if (s === 0n) {
        if (knownAnswerTestK !== undefined) throw new Error('known-answer k yields s = 0');
        continue;
      }
      return concat(bigintToBytes(r, 32), bigintToBytes(s, 32));
    }
  }

  function sign(message: Uint8Array, privateKey: Uint8Array, options: SignOptions = {}): Uint8Array {
    const e = digest(message, publicKeyFromPrivate(privateKey), options.id);
    return signDigest(e, privateKey, options.knownAnswerTestK);
  }

  /** r, s and t = (r + s) mod n, or null when the signature is structurally invalid. */
  function signatureScalars(signature: Uint8Array): { r: bigint; s: bigint; t: bigint } | null {
    if (!(signature instanceof Uint8Array) || signature.length !== 64) return null;
    const r = bytesToBigint(signature.subarray(0, 32));
    const s = bytesToBigint(signature.subarray(32));
    if (r < 1n || r >= n || s < 1n || s >= n) return null;
    const t = modN(r + s);
    return t === 0n ? null : { r, s, t };
  }

  /** (e + x1) mod n = r, with x1 the affine x of the point: x1 is one of r − e + kn below p. */
  function checkR(e: Uint8Array, r: bigint, point: JacobianPoint): boolean {
    for (let x1 = modN(r - bytesToBigint(e)); x1 < p; x1 += n) if (jacobian.hasAffineX(point, x1)) return true;
    return false;
  }

  /** s·G + t·P for a public key P, with P's own table when it has one. */
  function verificationPoint(s: bigint, t: bigint, publicKey: Sm2PublicKey | FixedBaseTable): JacobianPoint {
    const tP = 'points' in publicKey ? jacobian.multiplyFixedBase(publicKey, t) : jacobian.multiply(publicKey, t);
    return jacobian.add(jacobian.multiplyFixedBase(baseTable(), s), tP);
  }

  function verifyDigestWith(e: Uint8Array, signature: Uint8Array, publicKey: Sm2PublicKey | FixedBaseTable): boolean {
    const sc = signatureScalars(signature);
    if (!sc || !(e instanceof Uint8Array) || e.length !== 32) return false;
    return checkR(e, sc.r, verificationPoint(sc.s, sc.t, publicKey));
  }

  function verifyDigest(e: Uint8Array, signature: Uint8Array, publicKey: Sm2PublicKey): boolean {
    return verifyDigestWith(e, signature, publicKey);
  }

  function verify(message: Uint8Array, signature: Uint8Array, publicKey: Sm2PublicKey, id?: Uint8Array): boolean {
    if (!(message instanceof Uint8Array)) return false;
    let e: Uint8Array;
    try {
      e = digest(message, publicKey, id);
    } catch {
      return false;
    }
    return verifyDigest(e, signature, publicKey);
  }

  function prepareVerifier(publicKey: Sm2PublicKey): PreparedVerifier {
    const table = jacobian.fixedBaseTable(publicKey);
    const defaultZ = z(publicKey);
    const zFor = (id?: Uint8Array) => (id === undefined ? defaultZ : z(publicKey, id));
    const verifyDigestPrepared = (e: Uint8Array, signature: Uint8Array) => verifyDigestWith(e, signature, table);
    return {
      publicKey,
      z: zFor,
      verifyDigest: verifyDigestPrepared,
      verify(message, signature, id) {
        if (!(message instanceof Uint8Array)) return false;
        try {
          return verifyDigestPrepared(sm3(zFor(id), message), signature);
        } catch {
          return false;
        }
      },
    };
  }

  return {
    params,
    publicKeyFromBytes,
    publicKeyFromX,
    publicKeyFromPrivate,
    generatePrivateKey,
    z,
    digest,
    sign,
    signDigest,
    verify,
    verifyDigest,
    prepareVerifier,
  };
}

/** SM2 on the recommended curve: the one instance the product uses. */
export const sm2 = createSm2(SM2P256V1);

/** Encodes r ‖ s as DER SEQUENCE { INTEGER r, INTEGER s } (what some HSMs and OpenSSL speak). */
export function signatureToDer(signature: Uint8Array): Uint8Array {
  if (signature.length !== 64) throw new TqException({ code: 'SIGNATURE_LENGTH', message: 'r‖s must be 64 bytes', field: 'signature' });
  const int = (v: Uint8Array) => {
    let i = 0;
    while (i < v.length - 1 && v[i] === 0) i++;
    const body = v[i] & 0x80 ? concat(Uint8Array.of(0), v.subarray(i)) : v.subarray(i);
    return concat(Uint8Array.of(0x02, body.length), body);
  };
  const seq = concat(int(signature.subarray(0, 32)), int(signature.subarray(32)));
  return concat(Uint8Array.of(0x30, seq.length), seq);
}

/** Strict DER → r ‖ s: canonical lengths and minimal, non-negative integers of at most 32 bytes. */
export function signatureFromDer(der: Uint8Array): Result<Uint8Array> {
  const field = 'signature';
  const fail = (offset: number, message: string) => err('DER_INVALID', message, { field, offset });
  if (der.length < 8 || der[0] !== 0x30) return fail(0, 'expected a DER SEQUENCE');
  if (der[1] & 0x80) return fail(1, 'SEQUENCE length must use the short form');
  if (der[1] !== der.length - 2) return fail(1, 'SEQUENCE length does not match the input');
  const out = new Uint8Array(64);
  let at = 2;
  for (const half of [0, 32]) {
    if (der[at] !== 0x02) return fail(at, 'expected an INTEGER');
    const len = der[at + 1];
    if (len === undefined || len === 0 || len & 0x80 || at + 2 + len > der.length) return fail(at + 1, 'bad INTEGER length');
    let v = der.subarray(at + 2, at + 2 + len);
    if (v[0] & 0x80) return fail(at + 2, 'INTEGER is negative');
    if (v.length > 1 && v[0] === 0 && !(v[1] & 0x80)) return fail(at + 2, 'INTEGER is not minimally encoded');
    if (v[0] === 0 && v.length > 1) v = v.subarray(1);
    if (v.length > 32) return fail(at + 2, 'INTEGER longer than 32 bytes');
    out.set(v, half + 32 - v.length);
    at += 2 + len;
  }
  if (at !== der.length) return fail(at, 'trailing bytes after the SEQUENCE');
  return ok(out);
}
