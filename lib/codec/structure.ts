/**
 * Sequential field readers and writers for fixed-layout structures. Each field is read or
 * written at the cursor, so every error names the field and its offset in the structure
 * without a hand-kept offset table. Inside one decode or encode a failure travels as a
 * FieldFailure; `decodeStructure` turns it into a Result and `encodeStructure` into the
 * TqException encoders document. Anything else thrown is a bug and escapes.
 */
import { bytesToUint, concat, toHex, uintToBytes } from '../bytes';
import { ok, TqException, type ErrorCode, type Result, type TqError } from '../errors';

export interface Where {
  readonly field: string;
  readonly offset: number;
  readonly details?: Record<string, unknown>;
}

/**
 * Not an Error: rejecting bad input is routine (a terminal scans whatever is shown to it), and
 * capturing a stack trace per rejection costs more than the decode itself.
 */
class FieldFailure {
  constructor(readonly error: TqError) {}
}

export function fail(code: ErrorCode, message: string, where: Where): never {
  throw new FieldFailure({ code, message, ...where });
}

/** The TqError a nested encoder or field encoder failed with, if that is what `e` is. */
const failureOf = (e: unknown): TqError | null =>
  e instanceof FieldFailure || e instanceof TqException ? e.error : null;

/** Runs a public encoder: field failures leave as TqException, as encode() documents. */
export function encodeStructure<T>(encode: () => T): T {
  try {
    return encode();
  } catch (e) {
    if (e instanceof FieldFailure) throw new TqException(e.error);
    throw e;
  }
}

export interface Codec<T> {
  encode(value: T): Uint8Array;
  decode(bytes: Uint8Array): Result<T>;
}

/**
 * Bytes, or a typed value a caller built, as a value the decoder accepted: verifiers take
 * either, and a typed value passes the same parser its encoding would (never a throw).
 */
export function parseInput<T>(input: Uint8Array | T, codec: Codec<T>): Result<T> {
  if (input instanceof Uint8Array) return codec.decode(input);
  try {
    return codec.decode(codec.encode(input));
  } catch (e) {
    const error = failureOf(e);
    if (error) return { ok: false, error };
    throw e;
  }
}

/** Re-anchors an error from a nested structure or key parse at `offset` within the outer one. */
export function rebase(error: TqError, offset: number, fieldPrefix?: string): TqError {
  const field = fieldPrefix && error.field ? `${fieldPrefix}.${error.field}` : (error.field ?? fieldPrefix);
  return { ...error, field, offset: offset + (error.offset ?? 0) };
}

export const hexByte = (value: number): string => value.toString(16).padStart(2, '0');

/** Runs checks written with `fail`: their value, or the TqError the first failing one raised. */
export function attempt<T>(run: () => T): Result<T> {
  try {
    return ok(run());
  } catch (e) {
    if (e instanceof FieldFailure) return { ok: false, error: e.error };
    throw e;
  }
}

/** Raises a TqError from a Result-returning check inside `attempt`, re-anchored like FieldReader.parse. */
export function expectOk<T>(result: Result<T>, offset = 0, fieldPrefix?: string): T {
  if (!result.ok) throw new FieldFailure(rebase(result.error, offset, fieldPrefix));
  return result.value;
}

/** Runs a throwing decoder over `bytes` after the length check; returns its value or the TqError. */
export function decodeStructure<T>(
  structure: string,
  bytes: unknown,
  length: number | null,
  decode: (reader: FieldReader) => T,
): Result<T> {
  return attempt(() => {
    if (!(bytes instanceof Uint8Array)) fail('INPUT_TYPE', `${structure}: input must be a Uint8Array`, { field: structure, offset: 0 });
    if (length !== null && bytes.length !== length) {
      fail('LENGTH_INVALID', `${structure} must be ${length} bytes, got ${bytes.length}`, {
        field: structure,
        offset: Math.min(bytes.length, length),
        details: { expected: length, actual: bytes.length },
      });
    }
    return decode(new FieldReader(bytes));
  });
}

export class FieldReader {
  private at = 0;

  constructor(readonly bytes: Uint8Array) {}

  /** Offset of the next field. */
  get offset(): number {
    return this.at;
  }

  /** The next `length` bytes, as a copy (decoded values never alias the input). */
  raw(length: number): Uint8Array {
    const out = this.bytes.slice(this.at, this.at + length);
    this.at += length;
    return out;
  }

  /** Steps over `length` bytes the caller has read otherwise. */
  skip(length: number): void {
    this.at += length;
  }

  /** A fixed byte: anything else is `code` at this field. */
  constant(field: string, expected: number, code: ErrorCode, what: string): void {
    const offset = this.at;
    const actual = this.bytes[this.at++];
    if (actual !== expected) {
      fail(code, `${what} must be ${hexByte(expected)}, got ${hexByte(actual)}`, {
        field,
        offset,
        details: { expected: hexByte(expected), actual: hexByte(actual) },
      });
    }
  }

  /** Unsigned big-endian integer of 1–4 bytes. */
  uint(length: 1 | 2 | 3 | 4): number {
    return bytesToUint(this.raw(length));
  }

  /** Reads `length` bytes and parses them; errors are re-anchored at the field's offset. */
  parse<T>(length: number, parse: (bytes: Uint8Array) => Result<T>, fieldPrefix?: string): T {
    const offset = this.at;
    return expectOk(parse(this.raw(length)), offset, fieldPrefix);
  }
}

/** Appends fields in layout order; `finish` checks the total against the profile's length. */
export class FieldWriter {
  private readonly parts: Uint8Array[] = [];
  private at = 0;

  constructor(private readonly structure: string) {}

  get offset(): number {
    return this.at;
  }

  bytes(field: string, value: Uint8Array, length: number, code: ErrorCode = 'VALUE_RANGE'): this {
    if (!(value instanceof Uint8Array) || value.length !== length) {
      fail(code, `${field} must be ${length} bytes`, { field, offset: this.at, details: { expected: length } });
    }
    this.parts.push(value);
    this.at += length;
    return this;
  }

  byte(value: number): this {
    return this.bytes('constant', Uint8Array.of(value), 1);
  }

  /** Unsigned big-endian integer of 1–4 bytes. */
  uint(field: string, value: number, length: 1 | 2 | 3 | 4): this {
    const min = 0;
    const max = 2 ** (8 * length) - 1;
    if (!Number.isInteger(value) || value < min || value > max) {
      fail('VALUE_RANGE', `${field} must be an integer in [${min}, ${max}], got ${value}`, {
        field,
        offset: this.at,
        details: { value, min, max },
      });
    }
    return this.bytes(field, uintToBytes(value, length), length);
  }

  /**
   * Bytes produced by a field encoder or a nested structure's encoder, errors re-anchored at
   * this offset. A field encoder names `field` itself; a nested structure's fields are named
   * under it (`certificate.serial`), as FieldReader.parse names them when decoding.
   */
  encoded(field: string, encode: () => Uint8Array): this {
    const offset = this.at;
    try {
      const value = encode();
      this.parts.push(value);
      this.at += value.length;
      return this;
    } catch (e) {
      const error = failureOf(e);
      if (error) throw new FieldFailure(rebase(error, offset, error.field === field ? undefined : field));
      throw e;
    }
  }

  finish(length?: number): Uint8Array {
    const out = concat(...this.parts);
    if (length !== undefined && out.length !== length) {
      // Only reachable through a layout bug: field lengths are fixed above.
      throw new Error(`${this.structure}: encoded ${out.length} bytes, layout says ${length} (${toHex(out)})`);
    }
    return out;
  }
}
