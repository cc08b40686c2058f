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
