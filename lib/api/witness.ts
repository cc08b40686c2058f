/** The witness endpoints' inputs (/api/v1/log/…), parsed once into typed values. */
import { err, ok, type Result } from '../errors';

/** A cosigned checkpoint note: a few signature lines over three lines of text. */
export const COSIGNATURE_MAX_BYTES = 8192;

const MAX_SIZE = Number.MAX_SAFE_INTEGER;

function treeSize(url: URL, name: string): Result<number> {
  const text = url.searchParams.get(name);
  if (text === null || !/^(0|[1-9][0-9]{0,15})$/.test(text) || Number(text) > MAX_SIZE) {
    return err('API_TREE_SIZE_INVALID', `${name} must be a tree size, a decimal integer`, { field: name });
  }
  return ok(Number(text));
}

/** GET /log/consistency?from=M&to=N */
export function parseConsistencyQuery(url: URL): Result<{ from: number; to: number }> {
  const from = treeSize(url, 'from');
  if (!from.ok) return from;
  const to = treeSize(url, 'to');
  return to.ok ? ok({ from: from.value, to: to.value }) : to;
}

/** POST /log/cosignatures {note}: the checkpoint note with the witness's cosignature added. */
export function parseCosignatureBody(body: unknown): Result<string> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return err('API_BODY_INVALID', 'the body must be a JSON object {note}');
  const extra = Object.keys(body).filter((k) => k !== 'note');
  if (extra.length > 0) return err('API_BODY_INVALID', `unknown member ${extra.join(', ')}`, { field: extra[0] });
  const note = (body as { note?: unknown }).note;
  return typeof note === 'string' ? ok(note) : err('API_BODY_INVALID', 'note must be the cosigned checkpoint note, as text', { field: 'note' });
}
