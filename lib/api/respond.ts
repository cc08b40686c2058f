/**
 * How the API answers: JSON, binary records, and errors as RFC 9457 problem documents whose status
 * comes from the error registry's category (lib/errors/problem.ts), so the API, the CLI and the
 * console render one error the same way.
 */
import { err, ok, problemDetails, PROBLEM_CONTENT_TYPE, type Result, type TqError } from '../errors';

export type Representation = 'json' | 'binary';

const MEDIA: Readonly<Record<Representation, string>> = { json: 'application/json', binary: 'application/octet-stream' };
/** Longer Accept headers are refused rather than parsed (no client needs more). */
const MAX_ACCEPT_LENGTH = 512;

export function problemResponse(error: TqError, request: Request, headers: Record<string, string> = {}): Response {
  const problem = problemDetails(error, { instance: new URL(request.url).pathname });
  return new Response(JSON.stringify(problem), {
    status: problem.status,
    headers: { 'content-type': PROBLEM_CONTENT_TYPE, 'cache-control': 'no-store', ...headers },
  });
}

export const jsonResponse = (body: unknown, init: { status?: number; headers?: Record<string, string> } = {}): Response =>
  new Response(JSON.stringify(body), { status: init.status ?? 200, headers: { 'content-type': MEDIA.json, ...init.headers } });

export const binaryResponse = (bytes: Uint8Array, headers: Record<string, string> = {}): Response =>
  new Response(Buffer.from(bytes), { status: 200, headers: { 'content-type': MEDIA.binary, ...headers } });

/**
 * The representation the Accept header prefers among `offered` (RFC 9110 §12.5.1: media ranges
 * with q-values; no header means JSON). API_NOT_ACCEPTABLE when none is acceptable.
 */
export function negotiate(accept: string | null, offered: readonly Representation[]): Result<Representation> {
  if (accept === null || accept.trim() === '') return ok(offered[0]!);
  const refuse = () =>
    err('API_NOT_ACCEPTABLE', `Accept must allow ${offered.map((r) => MEDIA[r]).join(' or ')}`, { field: 'accept', details: { offered: offered.map((r) => MEDIA[r]) } });
  if (accept.length > MAX_ACCEPT_LENGTH) return refuse();
  let best: { representation: Representation; q: number } | null = null;
  for (const range of accept.split(',')) {
    const [type = '', ...params] = range.split(';').map((p) => p.trim().toLowerCase());
    const qParam = params.find((p) => p.startsWith('q='));
    const q = qParam === undefined ? 1 : Number(qParam.slice(2));
    if (!Number.isFinite(q) || q <= 0 || q > 1) continue;
    for (const representation of offered) {
      const media = MEDIA[representation];
      const fits = type === media || type === '*/*' || type === `${media.split('/')[0]}/*`;
      // Earlier offers win ties: JSON is the default.
      if (fits && (best === null || q > best.q)) best = { representation, q };
    }
  }
  return best ? ok(best.representation) : refuse();
}
