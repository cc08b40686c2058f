/**
 * Variable-time point arithmetic for signature VERIFICATION on y² = x³ + ax + b over F_p:
 * public scalars and public points only; signing stays on @noble/curves' constant-time code.
 *
 * Why not noble's own verify path: its complete projective formulas cost about twice the field
 * operations of Jacobian ones, its fixed-base multiplication scans every table slot (constant time
 * that verification does not need), and converting the result to affine costs an inversion that
 * the final check can avoid (x = X/Z² is compared as X = x·Z²).
 *
 * Jacobian (X, Y, Z) stands for (X/Z², Y/Z³); Z = 0 is the point at infinity. Every coordinate is
 * kept reduced to [0, p).
 */

export interface AffinePoint {
  readonly x: bigint;
  readonly y: bigint;
}

export interface JacobianPoint {
  readonly X: bigint;
  readonly Y: bigint;
  readonly Z: bigint;
}

/**
 * k·Q for one point Q from precomputed multiples, without doublings: in window w of W bits,
 * d·2^(wW)·Q for d = 1 … 2^(W−1), affine. Signed digits halve the table.
 */
export interface FixedBaseTable {
  readonly windowBits: number;
  /** windows × 2^(W−1) affine points, window-major. */
  readonly points: readonly JacobianPoint[];
}

const INFINITY: JacobianPoint = { X: 1n, Y: 1n, Z: 0n };

/** Width of the sliding window for a point that has no table: 8 odd multiples. */
const WNAF_WIDTH = 5;

export function createJacobianArithmetic(params: { readonly p: bigint; readonly a: bigint; readonly n: bigint }) {
  const { p, a, n } = params;
  const scalarBits = n.toString(2).length;
  const aIsMinus3 = a === p - 3n;
  const mod = (v: bigint) => {
    const r = v % p;
    return r < 0n ? r + p : r;
  };

  function double(P: JacobianPoint): JacobianPoint {
    const { X, Y, Z } = P;
    if (Z === 0n || Y === 0n) return INFINITY;
    const delta = mod(Z * Z);
    const gamma = mod(Y * Y);
    const beta = mod(X * gamma);
    // a = −3 (the SM2 curve): 3X² + aZ⁴ = 3(X − Z²)(X + Z²), two multiplications fewer.
    const alpha = aIsMinus3 ? mod(3n * (X - delta) * (X + delta)) : mod(3n * X * X + a * mod(delta * delta));
    const X3 = mod(alpha * alpha - 8n * beta);
    const Z3 = mod(2n * Y * Z);
    const Y3 = mod(alpha * (4n * beta - X3) - 8n * mod(gamma * gamma));
    return { X: X3, Y: Y3, Z: Z3 };
  }

  /** P + Q; Q with Z = 1 (table points) takes the cheaper mixed formula. */
  function add(P: JacobianPoint, Q: JacobianPoint): JacobianPoint {
    if (P.Z === 0n) return Q;
    if (Q.Z === 0n) return P;
    const Z1Z1 = mod(P.Z * P.Z);
    const mixed = Q.Z === 1n;
    const Z2Z2 = mixed ? 1n : mod(Q.Z * Q.Z);
    const U1 = mixed ? P.X : mod(P.X * Z2Z2);
    const S1 = mixed ? P.Y : mod(P.Y * Q.Z * Z2Z2);
    const U2 = mod(Q.X * Z1Z1);
    const S2 = mod(Q.Y * P.Z * Z1Z1);
    const H = mod(U2 - U1);
    const R = mod(S2 - S1);
    if (H === 0n) return R === 0n ? double(P) : INFINITY;
    const HH = mod(H * H);
    const HHH = mod(H * HH);
    const V = mod(U1 * HH);
    const X3 = mod(R * R - HHH - 2n * V);
    const Y3 = mod(R * (V - X3) - S1 * HHH);
    const Z3 = mixed ? mod(P.Z * H) : mod(P.Z * Q.Z * H);
    return { X: X3, Y: Y3, Z: Z3 };
  }

  const negate = (P: JacobianPoint): JacobianPoint => ({ X: P.X, Y: P.Y === 0n ? 0n : p - P.Y, Z: P.Z });

  function invert(v: bigint): bigint {
    // Extended Euclid: v ≠ 0 and p prime, so the inverse exists.
    let [r0, r1, s0, s1] = [p, v, 0n, 1n];
    while (r1 !== 0n) {
      const q = r0 / r1;
      [r0, r1] = [r1, r0 - q * r1];
      [s0, s1] = [s1, s0 - q * s1];
    }
    return mod(s0);
  }

  /** Many points to Z = 1 with one inversion (Montgomery's trick). None may be infinity. */
  function normalize(points: readonly JacobianPoint[]): JacobianPoint[] {
    const prefix: bigint[] = [];
    let acc = 1n;
    for (const P of points) {
      prefix.push(acc);
      acc = mod(acc * P.Z);
    }
    let inv = invert(acc);
    const out = new Array<JacobianPoint>(points.length);
    for (let i = points.length - 1; i >= 0; i--) {
      const zInv = mod(inv * prefix[i]);
      inv = mod(inv * points[i].Z);
      const zInv2 = mod(zInv * zInv);
      out[i] = { X: mod(points[i].X * zInv2), Y: mod(points[i].Y * zInv2 * zInv), Z: 1n };
    }
    return out;
  }

  const fromAffine = (Q: AffinePoint): JacobianPoint => ({ X: Q.x, Y: Q.y, Z: 1n });

  /** Signed base-2^W digits of k, least significant first, each in (−2^(W−1), 2^(W−1)]. */
  function signedDigits(k: bigint, windowBits: number, windows: number): number[] {
    const size = 1 << windowBits;
    const mask = BigInt(size - 1);
    const shift = BigInt(windowBits);
    const digits = new Array<number>(windows);
    for (let w = 0; w < windows; w++) {
      let d = Number(k & mask);
      k >>= shift;
      if (d > size / 2) {
        d -= size;
        k += 1n;
      }
      digits[w] = d;
    }
    return digits;
  }

  const windowsFor = (windowBits: number) => Math.ceil(scalarBits / windowBits) + 1;

  function fixedBaseTable(Q: AffinePoint, windowBits = 8): FixedBaseTable {
    const half = 1 << (windowBits - 1);
    const points: JacobianPoint[] = [];
    let base = fromAffine(Q);
    for (let w = 0; w < windowsFor(windowBits); w++) {
      let multiple = base;
      for (let d = 1; d <= half; d++) {
        points.push(multiple);
        multiple = add(multiple, base);
      }
      base = double(points[points.length - 1]);
    }
    return { windowBits, points: normalize(points) };
  }

  /** k·Q from Q's table: one mixed addition per non-zero digit. */
  function multiplyFixedBase(table: FixedBaseTable, k: bigint): JacobianPoint {
    const half = 1 << (table.windowBits - 1);
    const digits = signedDigits(k, table.windowBits, windowsFor(table.windowBits));
    let acc = INFINITY;
    for (let w = 0; w < digits.length; w++) {
      const d = digits[w];
      if (d > 0) acc = add(acc, table.points[w * half + d - 1]);
      else if (d < 0) acc = add(acc, negate(table.points[w * half - d - 1]));
    }
    return acc;
  }

  /** k·Q for a point without a table: width-5 wNAF over the odd multiples Q, 3Q, …, 15Q. */
  function multiply(Q: AffinePoint, k: bigint): JacobianPoint {
    const q = fromAffine(Q);
    const twice = double(q);
    const odd: JacobianPoint[] = [q];
    for (let i = 1; i < 1 << (WNAF_WIDTH - 2); i++) odd.push(add(odd[i - 1], twice));
    const digits: number[] = [];
    const size = 1n << BigInt(WNAF_WIDTH);
    for (; k > 0n; k >>= 1n) {
      let d = 0;
      if (k & 1n) {
        d = Number(k % size);
        if (d > Number(size) / 2) d -= Number(size);
        k -= BigInt(d);
      }
      digits.push(d);
    }
    let acc = INFINITY;
    for (let i = digits.length - 1; i >= 0; i--) {
      acc = double(acc);
      const d = digits[i];
      if (d > 0) acc = add(acc, odd[(d - 1) >> 1]);
      else if (d < 0) acc = add(acc, negate(odd[(-d - 1) >> 1]));
    }
    return acc;
  }

  /** Whether P is finite with affine x equal to `x` (< p), without an inversion. */
  function hasAffineX(P: JacobianPoint, x: bigint): boolean {
    return P.Z !== 0n && mod(x * mod(P.Z * P.Z)) === P.X;
  }

  return {
    add,
    fixedBaseTable,
    multiplyFixedBase,
    multiply,
    hasAffineX,
    /** Affine form of a finite point (tests and diagnostics; verification never needs it). */
    toAffine(P: JacobianPoint): AffinePoint | null {
      if (P.Z === 0n) return null;
      const [{ X, Y }] = normalize([P]);
      return { x: X, y: Y };
    },
  };
}
