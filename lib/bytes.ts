/** Byte helpers shared by codecs and crypto. Strict: malformed hex is an error, never guessed. */
import { err, ok, type Result } from './errors';

const HEX = /^(?:[0-9a-fA-F]{2})*$/;

export function parseHex(text: string, field = 'input'): Result<Uint8Array> {
  const clean = text.trim();
  if (!HEX.test(clean)) {
    const bad = clean.search(/[^0-9a-fA-F]/);
    return bad >= 0
      ? err('HEX_INVALID', `not hexadecimal at character ${bad}`, { field, details: { character: bad } })
      : err('HEX_INVALID', 'odd number of hex digits', { field, details: { length: clean.length } });
  }
  return ok(Uint8Array.from(Buffer.from(clean, 'hex')));
}

export const toHex = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Equality of public bytes at memcmp speed (not constant-time: never for secrets or MACs). */
export const samePublicBytes = (a: Uint8Array, b: Uint8Array): boolean =>
  Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

export function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

export function bigintToBytes(value: bigint, length: number): Uint8Array {
  if (value < 0n || value >= 1n << BigInt(8 * length)) throw new RangeError(`value does not fit ${length} bytes`);
  return Uint8Array.from(Buffer.from(value.toString(16).padStart(2 * length, '0'), 'hex'));
}

export const bytesToBigint = (bytes: Uint8Array): bigint => (bytes.length === 0 ? 0n : BigInt('0x' + toHex(bytes)));

export function uintToBytes(value: number, length: 1 | 2 | 3 | 4): Uint8Array {
  if (!Number.isInteger(value) || value < 0 || value >= 2 ** (8 * length)) {
    throw new RangeError(`value ${value} does not fit ${length} bytes`);
  }
  const out = new Uint8Array(length);
  for (let i = length - 1, v = value; i >= 0; i--, v = Math.floor(v / 256)) out[i] = v % 256;
  return out;
}

export function bytesToUint(bytes: Uint8Array): number {
  let v = 0;
  for (const b of bytes) v = v * 256 + b;
  return v;
}
