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
  const end = scanValue(text, 0);
  return end === text.length;
}

// Each scanner returns the index after what it read, or -1 when not certain.
function scanValue(t: string, i: number): number {
  const c = t.charCodeAt(i);
  if (c === 0x7b) return scanObject(t, i);
  if (c === 0x5b) return scanArray(t, i);
  if (c === 0x22) return scanString(t, i);
  if (t.startsWith('null', i)) return i + 4;
  if (t.startsWith('true', i)) return i + 4;
  if (t.startsWith('false', i)) return i + 5;
  return scanNumber(t, i);
}

function scanObject(t: string, i: number): number {
  i += 1;
  if (t.charCodeAt(i) === 0x7d) return i + 1;
  // The previous key's raw text, as offsets: no string per key (the export verifier scans millions).
  let previousStart = -1;
  let previousEnd = -1;
  for (;;) {
    if (t.charCodeAt(i) !== 0x22) return -1;
    const keyEnd = scanString(t, i);
    if (keyEnd < 0) return -1;
    // Raw key text is the key only without escapes; keys strictly in code-unit order.
    if (stringHadEscape) return -1;
    if (previousStart >= 0 && !rawKeyBefore(t, previousStart, previousEnd, i + 1, keyEnd - 1)) return -1;
    previousStart = i + 1;
    previousEnd = keyEnd - 1;
    if (t.charCodeAt(keyEnd) !== 0x3a) return -1;
    i = scanValue(t, keyEnd + 1);
    if (i < 0) return -1;
    const next = t.charCodeAt(i);
    if (next === 0x7d) return i + 1;
    if (next !== 0x2c) return -1;
    i += 1;
  }
}

/** t[a…aEnd) < t[b…bEnd) in code-unit order, as `<` compares strings. */
function rawKeyBefore(t: string, a: number, aEnd: number, b: number, bEnd: number): boolean {
  for (; a < aEnd && b < bEnd; a++, b++) {
    const x = t.charCodeAt(a);
    const y = t.charCodeAt(b);
    if (x !== y) return x < y;
  }
  return a === aEnd && b < bEnd;
}

function scanArray(t: string, i: number): number {
  i += 1;
  if (t.charCodeAt(i) === 0x5d) return i + 1;
  for (;;) {
    i = scanValue(t, i);
    if (i < 0) return -1;
    const next = t.charCodeAt(i);
    if (next === 0x5d) return i + 1;
    if (next !== 0x2c) return -1;
    i += 1;
  }
}

// Whether the string scanString last read held an escape (kept outside to spare an object per string).
let stringHadEscape = false;

/** A string as JSON.stringify writes it: raw characters except `"`, `\` and controls, escaped as it escapes them. */
function scanString(t: string, i: number): number {
  stringHadEscape = false;
  for (i += 1; i < t.length; i++) {
    const c = t.charCodeAt(i);
    if (c === 0x22) return i + 1;
    if (c < 0x20) return -1;
    if (c === 0x5c) {
      // \u escapes (controls, lone surrogates) are left to the full check.
      const e = t.charCodeAt(i + 1);
      if (!(e === 0x22 || e === 0x5c || e === 0x62 || e === 0x66 || e === 0x6e || e === 0x72 || e === 0x74)) return -1;
      stringHadEscape = true;
      i += 1;
    } else if (c >= 0xd800 && c <= 0xdfff) {
      // Only whole surrogate pairs are storable.
      const low = t.charCodeAt(i + 1);
      if (c > 0xdbff || !(low >= 0xdc00 && low <= 0xdfff)) return -1;
      i += 1;
    }
  }
  return -1;
}

const PLAIN_NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?/y;

/** A number as ECMAScript writes it (no exponent here: those go to the full check), never -0. */
function scanNumber(t: string, i: number): number {
  PLAIN_NUMBER.lastIndex = i;
  if (!PLAIN_NUMBER.test(t)) return -1;
  const token = t.slice(i, PLAIN_NUMBER.lastIndex);
  return token !== '-0' && String(Number(token)) === token ? PLAIN_NUMBER.lastIndex : -1;
}
