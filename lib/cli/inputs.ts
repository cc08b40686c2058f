/**
 * Argument parsers shared by commands: the byte input forms, instants, keys and fixed-width ids.
 *
 * Byte input forms (a stable interface):
 *   `14122700…`  hex on the command line (whitespace ignored, so the profile's spaced dumps paste as they are)
 *   `@path`      a file: hex text if it is entirely hex digits and whitespace, otherwise binary
 *   `-`          stdin, by the same rule
 *
 * A file or stdin is read only up to its argument's cap (inputLimit: room for the largest value as
 * spaced hex text), never whole: `@/dev/zero` or an endless pipe is INPUT_TOO_LARGE, not memory.
 */
import { bytesToUint, parseHex } from '../bytes';
import { ISSUER_CERTIFICATE_LENGTH } from '../codec/issuerCertificate';
import { QR_CODE_LENGTH } from '../codec/qrCode';
import { REQUEST_SIGNED_LENGTH } from '../codec/requestRecord';
import { revocationListLength } from '../codec/revocationList';
import { sm2, type Sm2PublicKey } from '../crypto/sm2';
import { Code, ok, type Result } from '../errors';
import { requiredValue, value, type ArgumentParser } from './command';
import { cliError } from './errorCodes';

const HEX_TEXT = /^[\s0-9a-fA-F]*$/;

/** Raw input → bytes. Hex text is recognised by content, so `xxd -p` output and binary dumps both work. */
function fromContent(content: Uint8Array, field: string): Result<Uint8Array> {
  // Editors on Windows may save hex text with a UTF-8 byte-order mark.
  const text = Buffer.from(content).toString('latin1').replace(/^\xef\xbb\xbf/, '');
  return HEX_TEXT.test(text) ? fromHexText(text, field) : ok(content);
}

function fromHexText(text: string, field: string): Result<Uint8Array> {
  return parseHex(text.replace(/\s+/g, ''), field);
}

/**
 * The most an @path file or stdin may hold for a value of at most `maxBytes`: hex text at up to
 * 4 characters a byte (spaced dumps, line breaks, indentation) plus 1 KiB of slack.
 */
export const inputLimit = (maxBytes: number): number => 4 * maxBytes + 1024;

/** The largest value of each variable-length byte argument, in bytes. */
export const MAX_INPUT_BYTES = {
  cert: ISSUER_CERTIFICATE_LENGTH,
  qr: QR_CODE_LENGTH,
  /** A1: the signed part and its 64-byte proof of possession (r‖s) */
  a1: REQUEST_SIGNED_LENGTH + 64,
  /** The largest record: an A4 list with its 2-byte entry count at 65 535 */
  record: revocationListLength(0xffff),
} as const;

/** Parses any byte input form of at most `maxBytes` bytes; `field` names the argument in errors. */
export function bytesInput(field: string, maxBytes: number): ArgumentParser<Uint8Array> {
  const limit = inputLimit(maxBytes);
  return async (text, context) => {
    let bytes: Result<Uint8Array>;
    if (text === '-') {
      const content = await context.readStdin(limit);
      bytes = content.ok ? fromContent(content.value, field) : content;
    } else if (text.startsWith('@')) {
      const content = await context.readFile(text.slice(1), limit);
      bytes = content.ok ? fromContent(content.value, field) : content;
    } else bytes = fromHexText(text, field);
    if (bytes.ok && bytes.value.length === 0) return cliError('INPUT_EMPTY', 'the input holds no bytes', { field });
    return bytes;
  };
}

/** Any byte input form that must hold exactly `length` bytes. */
export function fixedBytesInput(field: string, length: number): ArgumentParser<Uint8Array> {
  const read = bytesInput(field, length);
  return async (text, context) => {
    const bytes = await read(text, context);
    return !bytes.ok || bytes.value.length === length ? bytes : lengthError(field, length, bytes.value.length);
  };
}

const lengthError = (field: string, expected: number, actual: number) =>
  cliError('INPUT_LENGTH', `expected ${expected} bytes (${2 * expected} hex digits), got ${actual}`, { field, details: { expected, actual } });

/** A uint32 identifier written as the 8 hex digits it is carried in (issuer id, certificate number). */
export function uint32Input(field: string): ArgumentParser<number> {
  return (text) => {
    const bytes = parseHex(text, field);
    if (!bytes.ok) return bytes;
    return bytes.value.length === 4 ? ok(bytesToUint(bytes.value)) : lengthError(field, 4, bytes.value.length);
  };
}

/** An uncompressed SM2 public key X ‖ Y (64 bytes), on the curve: the form root keys are published in. */
export function publicKeyInput(field: string): ArgumentParser<Sm2PublicKey> {
  const read = fixedBytesInput(field, 64);
  return async (text, context) => {
    const bytes = await read(text, context);
    return bytes.ok ? sm2.publicKeyFromBytes(bytes.value, field) : bytes;
  };
}

const INSTANT = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2}))?$/;

/**
 * An ISO-8601 instant: `2026-06-01` (00:00 UTC) or a date-time with `Z` or an offset
 * (`2026-06-01T08:00+08:00`). A date-time without a zone is refused: its instant would depend on
 * the machine's time zone, and expiry is decided to the second.
 */
export function instantInput(field: string): ArgumentParser<Date> {
  return (text) => parseInstant(text, field);
}

export function parseInstant(text: string, field: string): Result<Date> {
  const m = INSTANT.exec(text);
  const invalid = () =>
    cliError(Code.TIME_INVALID, `not an ISO-8601 instant: ${JSON.stringify(text)} (expected e.g. 2026-06-01 or 2026-06-01T08:00:00+08:00)`, {
      field,
    });
  if (!m) return invalid();
  const [, year, month, day, hour = '00', minute = '00', second = '00', fraction = '', zone = 'Z'] = m;
  const instant = new Date(`${year}-${month}-${day}T${hour}:${minute}:${second}${fraction}${zone}`);
  // Date rolls 2026-02-30 over to March; only a calendar-exact date is accepted.
  const calendar = new Date(Date.UTC(Number(year), Number(month) - 1, Number(day), Number(hour), Number(minute), Number(second)));
  const exact =
    calendar.getUTCFullYear() === Number(year) &&
    calendar.getUTCMonth() === Number(month) - 1 &&
    calendar.getUTCDate() === Number(day) &&
    calendar.getUTCHours() === Number(hour) &&
    calendar.getUTCMinutes() === Number(minute) &&
    calendar.getUTCSeconds() === Number(second);
  const offsetOk = zone === 'Z' || (Number(zone.slice(1, 3)) <= 23 && Number(zone.slice(4)) <= 59);
  return exact && offsetOk && !Number.isNaN(instant.getTime()) ? ok(instant) : invalid();
}

/** `--root`, as every command that checks a root signature takes it. */
export const rootKeyOption = requiredValue(
  '<X‖Y hex>',
  'the root public key, 64 bytes uncompressed X‖Y (128 hex digits)',
  publicKeyInput('root'),
);

/** `--at`, the instant a verification is made at; commands default it to the start of the run. */
export const atOption = (what: string) => value('<time>', `${what} (ISO-8601; default: now)`, instantInput('at'));
