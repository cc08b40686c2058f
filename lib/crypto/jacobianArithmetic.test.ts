/**
 * The variable-time verification arithmetic against @noble/curves' (independent formulas) on
 * random and edge-case scalars, on the SM2 curve (a = −3) and the GB/T 32918.2 test curve (general a).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import standard from '../../test/support/vectors/sm2-sm3-standard.json';
import { bigintToBytes } from '../bytes';
import { createJacobianArithmetic } from './jacobianArithmetic';
import { createSm2, sm2, SM2P256V1, type CurveParams, type Sm2 } from './sm2';

const t = standard.sm2_sign_v2_test_curve;
const big = (h: string) => BigInt('0x' + h);
const TEST_CURVE: CurveParams = { name: 'GB/T 32918.2 test curve', p: big(t.p), a: big(t.a), b: big(t.b), n: big(t.n), Gx: big(t.gx), Gy: big(t.gy) };

const curves: [CurveParams, Sm2][] = [
  [SM2P256V1, sm2],
  [TEST_CURVE, createSm2(TEST_CURVE)],
];

describe.each(curves)('Jacobian arithmetic on $name', (params, curve) => {
  const { n } = params;
  const jacobian = createJacobianArithmetic(params);
  const G = curve.publicKeyFromPrivate(bigintToBytes(1n, 32));
  const P = curve.publicKeyFromPrivate(curve.generatePrivateKey());
  const gTable = jacobian.fixedBaseTable(G, 6);
  const pTable = jacobian.fixedBaseTable(P, 4);
  const reference = (k: bigint, key = P) => (k % n === 0n ? null : key.point.multiplyUnsafe(k % n).toAffine());
  const scalar = fc.oneof(
    fc.bigInt({ min: 0n, max: n - 1n }),
    fc.constantFrom(0n, 1n, 2n, n - 1n, n - 2n, (n + 1n) / 2n, 1n << 255n),
    fc.bigInt({ min: 0n, max: n - 1n }).map((k) => k & ~((1n << 128n) - 1n)), // long runs of zero digits
  );

  it('multiplies like noble: wNAF, fixed-base tables of two window sizes', () => {
    fc.assert(
      fc.property(scalar, (k) => {
        const expected = reference(k);
        expect(jacobian.toAffine(jacobian.multiply(P, k))).toEqual(expected);
        expect(jacobian.toAffine(jacobian.multiplyFixedBase(pTable, k))).toEqual(expected);
        expect(jacobian.toAffine(jacobian.multiplyFixedBase(gTable, k))).toEqual(reference(k, G));
      }),
      { numRuns: 40 },
    );
  });

  it('adds equal points by doubling and opposite points to infinity', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: n - 1n }), (k) => {
        const kP = jacobian.multiply(P, k);
        const kPFromTable = jacobian.multiplyFixedBase(pTable, k); // same point, other Z
        expect(jacobian.toAffine(jacobian.add(kP, kPFromTable))).toEqual(reference(2n * k));
        expect(jacobian.toAffine(jacobian.add(kP, jacobian.multiply(P, n - k)))).toBeNull();
      }),
      { numRuns: 20 },
    );
  });

  it('compares affine x without inverting Z', () => {
    const point = jacobian.multiply(P, 12345n);
    const { x } = jacobian.toAffine(point)!;
    expect(jacobian.hasAffineX(point, x)).toBe(true);
    expect(jacobian.hasAffineX(point, (x + 1n) % params.p)).toBe(false);
    expect(jacobian.hasAffineX(jacobian.multiply(P, 0n), 0n)).toBe(false);
  });
});
