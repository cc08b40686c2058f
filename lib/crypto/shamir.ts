/**
 * Shamir secret sharing over GF(2^8) (the AES field, reduction polynomial x^8+x^4+x^3+x+1 = 0x11B,
 * as in most implementations): each secret byte is the constant term of its own random polynomial
 * of degree K−1, and share x (1..N) holds the polynomial values at x. Any K shares give the secret
 * back by Lagrange interpolation at 0; K−1 shares are consistent with every secret equally.
 *
 * Arithmetic is table-free and branch-free on secret values (shift-and-add multiply with masks,
 * inversion as a^254): no secret-indexed table look-ups for a cache to reveal. The secret is an
 * HSM PIN, split once and combined once per activation, so speed does not matter.
 *
 * Shares are written for humans to transcribe: `tqs1-<K>-<x>-` then Crockford base32 (no I L O U,
 * case-insensitive, O→0 and I/L→1 on input) of the share bytes followed by a 4-byte checksum,
 * SM3("tqs1" ‖ K ‖ x ‖ y) truncated, in groups of 4 characters. A typing error fails the checksum
 * (undetected with probability 2^-32) before the share is used.
 */
import { err, ok, type Result } from '../errors';
import { sm3 } from './sm3';

export interface Share {
  /** Shares needed to reconstruct (the threshold). */
  readonly k: number;
  /** The x-coordinate, 1..N. */
  readonly x: number;
  /** The polynomial values at x, one byte per secret byte. */
  readonly y: Uint8Array;
}

export type RandomBytes = (length: number) => Uint8Array;

const systemRandom: RandomBytes = (length) => crypto.getRandomValues(new Uint8Array(length));

/** a·b in GF(2^8) mod 0x11B, without branches or tables. */
export function gfMul(a: number, b: number): number {
  let product = 0;
  for (let i = 0; i < 8; i++) {
    product ^= -(b & 1) & a;
    a = ((a << 1) ^ (-((a >> 7) & 1) & 0x1b)) & 0xff;
    b >>= 1;
  }
  return product & 0xff;
}

/** a^-1 = a^254 (Fermat); fixed sequence of squarings and multiplications. Only called with a ≠ 0. */
function gfInverse(a: number): number {
  let result = 1;
  let power = a;
  for (let bit = 0; bit < 8; bit++) {
    // 254 = 0b11111110: every bit but the lowest.
    result = bit === 0 ? result : gfMul(result, power);
    power = gfMul(power, power);
  }
  return result;
}

/** Splits `secret` into N shares of which any K reconstruct it. 2 ≤ K ≤ N ≤ 255. */
export function splitSecret(secret: Uint8Array, k: number, n: number, random: RandomBytes = systemRandom): Result<Share[]> {
  const bounds = checkThreshold(k, n);
  if (!bounds.ok) return bounds;
  if (secret.length === 0) return err('SHARE_FORMAT', 'the secret is empty', { field: 'secret' });
  // coefficients[b * (k − 1) + j] is the x^(j+1) coefficient of byte b's polynomial.
  const coefficients = random(secret.length * (k - 1));
  const shares: Share[] = [];
  for (let x = 1; x <= n; x++) {
    const y = new Uint8Array(secret.length);
    for (let b = 0; b < secret.length; b++) {
      // Horner from the highest coefficient down to the secret byte.
      let value = 0;
      for (let j = k - 2; j >= 0; j--) value = gfMul(value ^ coefficients[b * (k - 1) + j], x);
      y[b] = value ^ secret[b];
    }
    shares.push({ k, x, y });
  }
  coefficients.fill(0);
  return ok(shares);
}

/** Combines at least K shares of one split (same K, same length, distinct x) into the secret. */
export function combineShares(shares: readonly Share[]): Result<Uint8Array> {
  if (shares.length === 0) return err('SHARES_TOO_FEW', 'no shares', { field: 'shares' });
  const { k, y: first } = shares[0];
  if (shares.some((s) => s.k !== k || s.y.length !== first.length)) {
    return err('SHARES_MISMATCHED', 'the shares do not come from one split (threshold or length differ)', { field: 'shares' });
  }
  if (new Set(shares.map((s) => s.x)).size !== shares.length) {
    return err('SHARES_MISMATCHED', 'two shares have the same x-coordinate', { field: 'shares' });
  }
  if (shares.length < k) {
    return err('SHARES_TOO_FEW', `${shares.length} of the ${k} shares needed`, { field: 'shares', details: { have: shares.length, need: k } });
  }
  const secret = new Uint8Array(first.length);
  for (const [i, share] of shares.entries()) {
    // Lagrange basis at 0: Π x_j / (x_j − x_i); subtraction is XOR in GF(2^8).
    let basis = 1;
    for (const [j, other] of shares.entries()) {
      if (j !== i) basis = gfMul(basis, gfMul(other.x, gfInverse(other.x ^ share.x)));
    }
    for (let b = 0; b < secret.length; b++) secret[b] ^= gfMul(share.y[b], basis);
  }
  return ok(secret);
}

function checkThreshold(k: number, n: number): Result<void> {
  if (!Number.isInteger(k) || !Number.isInteger(n) || k < 2 || n < k || n > 255) {
    return err('SHARE_THRESHOLD', `a K-of-N split needs integers 2 ≤ K ≤ N ≤ 255, got ${k}-of-${n}`, { field: 'threshold', details: { k, n } });
  }
  return ok(undefined);
}

// ---- the written form ----

const PREFIX = 'tqs1';
const CHECKSUM_BYTES = 4;
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const SHARE_TEXT = /^tqs1-([0-9]{1,3})-([0-9]{1,3})-([0-9a-z-]+)$/;

function checksum(k: number, x: number, y: Uint8Array): Uint8Array {
  return sm3(new TextEncoder().encode(PREFIX), Uint8Array.of(k, x), y).subarray(0, CHECKSUM_BYTES);
}

/** `tqs1-<K>-<x>-XXXX-XXXX-…`: the share and its checksum, in base32 groups of 4. */
export function encodeShare(share: Share): string {
  const body = base32([...share.y, ...checksum(share.k, share.x, share.y)]);
  return `${PREFIX}-${share.k}-${share.x}-${body.match(/.{1,4}/g)!.join('-')}`;
}

/** Parses a typed share: spaces and case are forgiven, a typing error fails the checksum. */
export function decodeShare(text: string): Result<Share> {
  const m = SHARE_TEXT.exec(text.trim().toLowerCase().replace(/\s+/g, ''));
  if (!m) return err('SHARE_FORMAT', 'a share reads tqs1-<K>-<x>-<base32 groups>', { field: 'share' });
  const k = Number(m[1]);
  const x = Number(m[2]);
  if (k < 2 || k > 255 || x < 1 || x > 255) return err('SHARE_FORMAT', `K ${k} or x ${x} is outside 2–255 / 1–255`, { field: 'share' });
  const bytes = unbase32(m[3].replace(/-/g, '').toUpperCase());
  if (!bytes || bytes.length <= CHECKSUM_BYTES) return err('SHARE_FORMAT', 'the share body is not base32 of a share and its checksum', { field: 'share' });
  const y = bytes.slice(0, bytes.length - CHECKSUM_BYTES);
  const expected = checksum(k, x, y);
  if (expected.some((byte, i) => byte !== bytes[y.length + i])) {
    return err('SHARE_CHECKSUM', `share ${x} fails its checksum: a character was mistyped`, { field: 'share', details: { x } });
  }
  return ok({ k, x, y });
}

function base32(bytes: readonly number[]): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += ALPHABET[(buffer >> bits) & 31];
    }
  }
  if (bits > 0) out += ALPHABET[(buffer << (5 - bits)) & 31];
  return out;
}

function unbase32(text: string): Uint8Array | null {
  const bytes: number[] = [];
  let buffer = 0;
  let bits = 0;
  for (const ch of text.replace(/O/g, '0').replace(/[IL]/g, '1')) {
    const value = ALPHABET.indexOf(ch);
    if (value < 0) return null;
    buffer = ((buffer << 5) | value) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      bytes.push((buffer >> bits) & 0xff);
    }
  }
  // The padding bits of the last character must be zero, so each share has one spelling.
  if (bits >= 5 || (buffer & ((1 << bits) - 1)) !== 0) return null;
  return Uint8Array.from(bytes);
}
