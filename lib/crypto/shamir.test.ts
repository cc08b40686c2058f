import { describe, expect, it } from 'vitest';
import { combineShares, decodeShare, encodeShare, gfMul, splitSecret, type Share } from './shamir';

const fixed = (bytes: number[]) => (length: number) => {
  expect(length).toBe(bytes.length);
  return Uint8Array.from(bytes);
};
const value = <T>(r: { ok: true; value: T } | { ok: false; error: unknown }): T => {
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  return r.value;
};

/** Reference field by log/exp tables over the generator 3 (a different construction from gfMul's). */
function tableMul(): (a: number, b: number) => number {
  const exp = new Array<number>(510);
  const log = new Array<number>(256);
  let v = 1;
  for (let i = 0; i < 255; i++) {
    exp[i] = exp[i + 255] = v;
    log[v] = i;
    v ^= (v << 1) ^ (v & 0x80 ? 0x11b : 0); // v · 3
    v &= 0xff;
  }
  return (a, b) => (a === 0 || b === 0 ? 0 : exp[log[a] + log[b]]);
}

function* subsets<T>(items: readonly T[], size: number, start = 0): Generator<T[]> {
  if (size === 0) return yield [];
  for (let i = start; i <= items.length - size; i++) for (const rest of subsets(items, size - 1, i + 1)) yield [items[i], ...rest];
}

describe('GF(2^8) mod 0x11B', () => {
  it('multiplies as the log/exp-table field does, for every pair', () => {
    const mul = tableMul();
    for (let a = 0; a < 256; a++) for (let b = 0; b < 256; b++) if (gfMul(a, b) !== mul(a, b)) expect([a, b, gfMul(a, b)]).toEqual([a, b, mul(a, b)]);
    expect(gfMul(0x53, 0xca)).toBe(0x01); // FIPS 197 §4.2 inverse pair
  });
});

describe('splitSecret / combineShares', () => {
  it('known answer: f(x) = 53 + CA·x gives 99, DC, 16 at x = 1, 2, 3', () => {
    const shares = value(splitSecret(Uint8Array.of(0x53), 2, 3, fixed([0xca])));
    expect(shares.map((s) => [s.x, s.y[0]])).toEqual([[1, 0x99], [2, 0xdc], [3, 0x16]]);
    expect(value(combineShares([shares[2], shares[0]]))).toEqual(Uint8Array.of(0x53));
  });

  it('every K-subset reconstructs (3-of-5 and 2-of-3, 32-byte secret); K−1 shares are refused', () => {
    const secret = crypto.getRandomValues(new Uint8Array(32));
    for (const [k, n] of [[3, 5], [2, 3], [5, 5]]) {
      const shares = value(splitSecret(secret, k, n));
      for (const subset of subsets(shares, k)) expect(value(combineShares(subset))).toEqual(secret);
      for (const subset of subsets(shares, k - 1)) expect(combineShares(subset)).toMatchObject({ ok: false, error: { code: 'SHARES_TOO_FEW' } });
    }
  });

  it('K−1 shares are equally consistent with every secret (exhaustive over the coefficients, K = 2 and K = 3)', () => {
    // K = 2: for share x = 7, each of the 256 secrets is explained by exactly one coefficient per share value.
    for (const secret of [0x00, 0x53, 0xff]) {
      const counts = new Array<number>(256).fill(0);
      for (let a = 0; a < 256; a++) counts[value(splitSecret(Uint8Array.of(secret), 2, 7, fixed([a])))[6].y[0]]++;
      expect(new Set(counts)).toEqual(new Set([1]));
    }
    // K = 3: shares 1 and 2 take each of the 65 536 value pairs exactly once over all coefficient pairs.
    for (const secret of [0x00, 0xa5]) {
      const seen = new Uint8Array(65536);
      for (let a = 0; a < 256; a++) {
        for (let b = 0; b < 256; b++) {
          const [s1, s2] = value(splitSecret(Uint8Array.of(secret), 3, 3, fixed([a, b])));
          seen[(s1.y[0] << 8) | s2.y[0]]++;
        }
      }
      expect(seen.every((c) => c === 1)).toBe(true);
    }
  });

  it('refuses thresholds outside 2 ≤ K ≤ N ≤ 255 and mixed shares', () => {
    for (const [k, n] of [[1, 3], [4, 3], [2, 256], [2.5, 3]]) expect(splitSecret(Uint8Array.of(1), k, n)).toMatchObject({ ok: false, error: { code: 'SHARE_THRESHOLD' } });
    const a = value(splitSecret(Uint8Array.of(1, 2), 2, 3));
    const b = value(splitSecret(Uint8Array.of(1, 2), 3, 3));
    expect(combineShares([a[0], b[1]])).toMatchObject({ ok: false, error: { code: 'SHARES_MISMATCHED' } });
    expect(combineShares([a[0], a[0]])).toMatchObject({ ok: false, error: { code: 'SHARES_MISMATCHED' } });
  });
});

describe('encodeShare / decodeShare', () => {
  const share: Share = value(splitSecret(crypto.getRandomValues(new Uint8Array(32)), 3, 5))[3];
  const text = encodeShare(share);

  it('round-trips, forgiving case, spaces and the look-alike letters O, I, L', () => {
    expect(text).toMatch(/^tqs1-3-4-([0-9A-HJKMNP-TV-Z]{4}-){14}[0-9A-HJKMNP-TV-Z]{2}$/);
    expect(value(decodeShare(text))).toEqual(share);
    const [head, body] = [text.slice(0, 9), text.slice(9)];
    expect(value(decodeShare(` ${head}${body.toLowerCase().replace(/0/g, 'o').replace(/1/g, 'l').replace(/-/g, ' - ')} `))).toEqual(share);
  });

  it('fails the checksum on any single mistyped character and on a changed x or K', () => {
    const body = text.indexOf('-', 9) + 1;
    for (let i = body; i < text.length; i++) {
      if (text[i] === '-') continue;
      const typo = text.slice(0, i) + (text[i] === 'Z' ? 'Y' : 'Z') + text.slice(i + 1);
      expect(decodeShare(typo).ok).toBe(false);
    }
    expect(decodeShare(text.replace('tqs1-3-4-', 'tqs1-3-5-'))).toMatchObject({ ok: false, error: { code: 'SHARE_CHECKSUM' } });
    expect(decodeShare(text.replace('tqs1-3-4-', 'tqs1-2-4-'))).toMatchObject({ ok: false, error: { code: 'SHARE_CHECKSUM' } });
    expect(decodeShare('tqs1-3-4-ABCU')).toMatchObject({ ok: false, error: { code: 'SHARE_FORMAT' } });
    expect(decodeShare('share please')).toMatchObject({ ok: false, error: { code: 'SHARE_FORMAT' } });
  });
});
