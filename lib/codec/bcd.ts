/**
 * BCD, two digits per byte (specification §5: `n` right-justified with leading zeros, `cn`
 * left-justified with trailing F padding). Decoders name the byte that holds a bad nibble.
 */
import { err, ok, type Result } from '../errors';
import { encodeStructure, fail, hexByte } from './structure';

function nibbles(bytes: Uint8Array): number[] {
  const out: number[] = [];
  for (const b of bytes) out.push(b >> 4, b & 0x0f);
  return out;
}

function fromNibbles(values: number[]): Uint8Array {
  const out = new Uint8Array(values.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = (values[2 * i] << 4) | values[2 * i + 1];
  return out;
}

const badNibble = (field: string, index: number, bytes: Uint8Array) =>
  err('BCD_INVALID', `${field}: byte ${hexByte(bytes[index >> 1])} is not BCD`, {
    field,
    offset: index >> 1,
  });

/** `n` format: an unsigned integer in 2·length decimal digits. */
export function encodeNumeric(value: number, length: number, field: string): Uint8Array {
  const digits = 2 * length;
  return encodeStructure(() => {
    if (!Number.isSafeInteger(value) || value < 0 || value >= 10 ** digits) {
      fail('VALUE_RANGE', `${field} must be an integer of at most ${digits} digits, got ${value}`, {
        field,
        offset: 0,
        details: { value },
      });
    }
    return fromNibbles([...value.toString().padStart(digits, '0')].map(Number));
  });
}

export function decodeNumeric(bytes: Uint8Array, field: string): Result<number> {
  let value = 0;
  const all = nibbles(bytes);
  for (let i = 0; i < all.length; i++) {
    if (all[i] > 9) return badNibble(field, i, bytes);
    value = value * 10 + all[i];
  }
  return ok(value);
}

/** `cn` format: 1 to 2·length decimal digits, left-justified, padded with F. */
export function encodeCompressedNumeric(digits: string, length: number, field: string): Uint8Array {
  return encodeStructure(() => {
    if (typeof digits !== 'string' || !/^[0-9]+$/.test(digits) || digits.length > 2 * length) {
      fail('VALUE_RANGE', `${field} must be 1–${2 * length} decimal digits`, { field, offset: 0, details: { digits } });
    }
    return fromNibbles([...digits.padEnd(2 * length, 'F')].map((c) => parseInt(c, 16)));
  });
}

export function decodeCompressedNumeric(bytes: Uint8Array, field: string): Result<string> {
  const all = nibbles(bytes);
  let end = all.indexOf(0x0f);
  if (end === -1) end = all.length;
  if (end === 0) return badNibble(field, 0, bytes);
  for (let i = 0; i < all.length; i++) {
    if (i < end ? all[i] > 9 : all[i] !== 0x0f) return badNibble(field, i, bytes);
  }
  return ok(all.slice(0, end).join(''));
}
