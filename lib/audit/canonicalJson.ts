// The audit log's canonical JSON: RFC 8785 (JCS) over the values a PostgreSQL jsonb column gives
// back unchanged. Object keys sorted by UTF-16 code units, no whitespace, strings and numbers as
// ECMAScript JSON.stringify writes them. Values that jsonb cannot hold (NUL, lone surrogates,
// NaN, ±Infinity) are refused; the conveniences below are normalised first, so what is stored is
// exactly what was hashed.
import { toHex } from '../bytes';
import { err, ok, type Result } from '../errors';

export type CanonicalJson = string | number | boolean | null | CanonicalJson[] | { [key: string]: CanonicalJson };

const UNSTORABLE_STRING = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * Normalises a details value: Uint8Array → lowercase hex, Date → ISO-8601 UTC, bigint → decimal
 * string, undefined object members dropped (as JSON.stringify does).
 */
export function normalizeJson(value: unknown, path = '$'): Result<CanonicalJson> {
  if (value === null || typeof value === 'boolean') return ok(value);
  if (typeof value === 'number') {
    return Number.isFinite(value) ? ok(Object.is(value, -0) ? 0 : value) : err('AUDIT_DETAILS_INVALID', `${path}: ${value} is not a JSON number`, { field: path });
  }
  if (typeof value === 'string') {
    return UNSTORABLE_STRING.test(value) ? err('AUDIT_DETAILS_INVALID', `${path}: NUL or a lone surrogate cannot be stored`, { field: path }) : ok(value);
  }
  if (typeof value === 'bigint') return ok(value.toString());
  if (value instanceof Uint8Array) return ok(toHex(value));
  if (value instanceof Date) {
    return Number.isNaN(value.getTime()) ? err('AUDIT_DETAILS_INVALID', `${path}: invalid date`, { field: path }) : ok(value.toISOString());
  }
  if (Array.isArray(value)) {
    const out: CanonicalJson[] = [];
    for (const [i, item] of value.entries()) {
      const r = normalizeJson(item === undefined ? null : item, `${path}[${i}]`);
      if (!r.ok) return r;
      out.push(r.value);
    }
    return ok(out);
  }
  if (isPlainObject(value)) {
    const out: { [key: string]: CanonicalJson } = {};
    for (const [key, member] of Object.entries(value)) {
      if (member === undefined) continue;
      if (UNSTORABLE_STRING.test(key)) return err('AUDIT_DETAILS_INVALID', `${path}: key with NUL or a lone surrogate`, { field: path });
      const r = normalizeJson(member, `${path}.${key}`);
      if (!r.ok) return r;
      out[key] = r.value;
    }
    return ok(out);
  }
  return err('AUDIT_DETAILS_INVALID', `${path}: ${typeof value === 'object' ? value.constructor?.name ?? 'object' : typeof value} is not JSON`, { field: path });
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

const byCodeUnits = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The canonical text of a normalised value. */
export function canonicalJson(value: CanonicalJson): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const members = Object.keys(value)
      .sort(byCodeUnits)
      .map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key])}`);
    return `{${members.join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * Whether `text` is, for certain, the canonical text of a storable value, decided in one scan
 * without building the value: false means "not certain", and the caller falls back to parsing,
 * normalising and comparing (a text this rejects may still be canonical: keys or strings with
 * escapes, numbers with exponents, which canonical text of ours rarely holds). The export verifier
 * checks every entry's details with it.
 */
export function isSurelyCanonicalJson(text: string): boolean {
  const units = new Uint16Array(text.length);
  for (let k = 0; k < text.length; k++) units[k] = text.charCodeAt(k);
  return scanValue(units, 0, units.length) === units.length;
}

/**
 * The same for text held as bytes[start…end), every byte below 0x80 (ASCII bytes are their own
 * UTF-16 code units): the export verifier's fast path, which has the details as bytes and would
 * otherwise make a string of each entry's.
 */
export function isSurelyCanonicalAsciiJson(bytes: Uint8Array, start: number, end: number): boolean {
  for (let k = start; k < end; k++) if (bytes[k] > 0x7f) return false;
  return scanValue(bytes, start, end) === end;
}

/** UTF-16 code units: a string's, or ASCII bytes. */
type Units = Uint16Array | Uint8Array;

// Each scanner reads u[i…end) and returns the index after what it read, or -1 when not certain.
function scanValue(u: Units, i: number, end: number): number {
  const c = u[i];
  if (c === 0x7b) return scanObject(u, i, end);
  if (c === 0x5b) return scanArray(u, i, end);
  if (c === 0x22) return scanString(u, i, end);
  for (const word of WORDS) if (startsWith(u, i, end, word)) return i + word.length;
  return scanNumber(u, i, end);
}

const WORDS = ['null', 'true', 'false'].map((word) => Uint8Array.from(word, (c) => c.charCodeAt(0)));

function startsWith(u: Units, i: number, end: number, word: Uint8Array): boolean {
  if (i + word.length > end) return false;
  for (let k = 0; k < word.length; k++) if (u[i + k] !== word[k]) return false;
  return true;
}

function scanObject(u: Units, i: number, end: number): number {
  i += 1;
  if (u[i] === 0x7d) return i + 1;
  // The previous key's raw text, as offsets: no string per key (the export verifier scans millions).
  let previousStart = -1;
  let previousEnd = -1;
  for (;;) {
    if (u[i] !== 0x22) return -1;
    const keyEnd = scanString(u, i, end);
    if (keyEnd < 0) return -1;
    // Raw key text is the key only without escapes; keys strictly in code-unit order.
    if (stringHadEscape) return -1;
    if (previousStart >= 0 && !rawKeyBefore(u, previousStart, previousEnd, i + 1, keyEnd - 1)) return -1;
    previousStart = i + 1;
    previousEnd = keyEnd - 1;
    if (u[keyEnd] !== 0x3a) return -1;
    i = scanValue(u, keyEnd + 1, end);
    if (i < 0) return -1;
    const next = u[i];
    if (next === 0x7d) return i + 1;
    if (next !== 0x2c) return -1;
    i += 1;
  }
}

/** u[a…aEnd) < u[b…bEnd) in code-unit order, as `<` compares strings. */
function rawKeyBefore(u: Units, a: number, aEnd: number, b: number, bEnd: number): boolean {
  for (; a < aEnd && b < bEnd; a++, b++) {
    if (u[a] !== u[b]) return u[a] < u[b];
  }
  return a === aEnd && b < bEnd;
}

function scanArray(u: Units, i: number, end: number): number {
  i += 1;
  if (u[i] === 0x5d) return i + 1;
  for (;;) {
    i = scanValue(u, i, end);
    if (i < 0) return -1;
    const next = u[i];
    if (next === 0x5d) return i + 1;
    if (next !== 0x2c) return -1;
    i += 1;
  }
}

// Whether the string scanString last read held an escape (kept outside to spare an object per string).
let stringHadEscape = false;

/** A string as JSON.stringify writes it: raw characters except `"`, `\` and controls, escaped as it escapes them. */
function scanString(u: Units, i: number, end: number): number {
  stringHadEscape = false;
  for (i += 1; i < end; i++) {
    const c = u[i];
    if (c === 0x22) return i + 1;
    if (c < 0x20) return -1;
    if (c === 0x5c) {
      // \u escapes (controls, lone surrogates) are left to the full check.
      const e = u[i + 1];
      if (!(e === 0x22 || e === 0x5c || e === 0x62 || e === 0x66 || e === 0x6e || e === 0x72 || e === 0x74)) return -1;
      stringHadEscape = true;
      i += 1;
    } else if (c >= 0xd800 && c <= 0xdfff) {
      // Only whole surrogate pairs are storable.
      const low = i + 1 < end ? u[i + 1] : 0;
      if (c > 0xdbff || !(low >= 0xdc00 && low <= 0xdfff)) return -1;
      i += 1;
    }
  }
  return -1;
}

const isDigit = (c: number) => c >= 0x30 && c <= 0x39;

/** A number as ECMAScript writes it, -?(0|[1-9][0-9]*)(\.[0-9]+)? (exponents go to the full check), never -0. */
function scanNumber(u: Units, i: number, end: number): number {
  let k = i;
  if (u[k] === 0x2d) k += 1;
  if (u[k] === 0x30) k += 1;
  else if (k < end && isDigit(u[k])) while (k < end && isDigit(u[k])) k += 1;
  else return -1;
  if (u[k] === 0x2e && k + 1 < end && isDigit(u[k + 1])) for (k += 1; k < end && isDigit(u[k]); ) k += 1;
  const token = String.fromCharCode(...u.subarray(i, k));
  return token !== '-0' && String(Number(token)) === token ? k : -1;
}
