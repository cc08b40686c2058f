/**
 * What the issuer endpoints share: the A1 body (161 raw bytes or JSON {"a1": hex}) parsed once,
 * strict path and query parsing, and the per-token submission limit, which sits on top of the
 * general rate limit: a submission costs a database transaction with a lock on the issuer and
 * every §8 lookup, so a misbehaving client must not be able to send them at the polling rate.
 */
import { parseHex } from '../bytes';
import { ISSUER_CERTIFICATE_STATES, ISSUER_REQUEST_STATES, type ApiClient, type IssuerCertificateState, type IssuerRequestState } from '../ca';
import { Code, err, ok, type Result } from '../errors';
import type { Refusal } from './clients';
import { rateLimitFrom, TokenBuckets } from './rateLimit';
import { isJson, parseJson, readBody } from './route';

/** The A1 record is 161 bytes; its hex in JSON a little over twice that. Anything longer is refused unread. */
export const A1_BODY_MAX_BYTES = 1024;

/** The A1 record of a POST /requests body: application/octet-stream, or application/json {"a1": "<hex>"}. */
export async function readA1(request: Request): Promise<Result<Uint8Array>> {
  const type = request.headers.get('content-type');
  const binary = /^application\/octet-stream\s*(;|$)/i.test(type ?? '');
  if (!binary && !isJson(type)) {
    return err('API_MEDIA_TYPE', 'send the A1 record as application/octet-stream, or as application/json {"a1": "<hex>"}', { field: 'content-type' });
  }
  const body = await readBody(request, A1_BODY_MAX_BYTES);
  if (!body.ok) return body;
  if (binary) return ok(new Uint8Array(body.value));
  const json = parseJson(body.value);
  if (!json.ok) return json;
  const value = json.value as Record<string, unknown> | null;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return err('API_BODY_INVALID', 'the body must be a JSON object {"a1": "<hex>"}');
  const extra = Object.keys(value).filter((k) => k !== 'a1');
  if (extra.length > 0) return err('API_BODY_INVALID', `unknown member ${extra.join(', ')}`, { field: extra[0] });
  if (typeof value.a1 !== 'string') return err('API_BODY_INVALID', 'a1 must be the A1 record in hex', { field: 'a1' });
  return parseHex(value.a1, 'a1');
}

/** A request id in a path: decimal, 1–2147483647 (the database's integer). */
export function parseRequestId(text: string): Result<number> {
  const id = Number(text);
  return /^[1-9][0-9]{0,9}$/.test(text) && id <= 0x7fffffff ? ok(id) : err('API_ID_INVALID', 'a request id is a decimal integer 1–2147483647', { field: 'id', details: { given: text.slice(0, 32) } });
}

/** A certificate number in a path: eight hex digits, as QR field 4 carries it. */
export function parseCertificateNumber(text: string): Result<number> {
  return /^[0-9a-fA-F]{8}$/.test(text) ? ok(Number.parseInt(text, 16)) : err('API_ID_INVALID', 'a certificate number is eight hex digits', { field: 'number', details: { given: text.slice(0, 32) } });
}

/** The `state` query parameter: absent, or one of `states`. */
export function parseStateFilter<S extends string>(url: string, states: readonly S[]): Result<S | undefined> {
  const given = new URL(url).searchParams.get('state');
  if (given === null) return ok(undefined);
  return (states as readonly string[]).includes(given) ? ok(given as S) : err('API_QUERY_INVALID', `state must be one of ${states.join(', ')}`, { field: 'state', details: { given: given.slice(0, 32) } });
}

export const parseRequestState = (url: string): Result<IssuerRequestState | undefined> => parseStateFilter(url, ISSUER_REQUEST_STATES);
export const parseCertificateState = (url: string): Result<IssuerCertificateState | undefined> => parseStateFilter(url, ISSUER_CERTIFICATE_STATES);

/** TQCA_API_SUBMISSION_RATE (submissions/s, default 0.2: twelve a minute) and TQCA_API_SUBMISSION_BURST (default 10). */
export function submissionLimitFrom(env: Readonly<Record<string, string | undefined>>) {
  return rateLimitFrom({ TQCA_API_RATE: env.TQCA_API_SUBMISSION_RATE ?? '0.2', TQCA_API_BURST: env.TQCA_API_SUBMISSION_BURST ?? '10' });
}

const holder = globalThis as typeof globalThis & { __tqcaSubmissions?: TokenBuckets };

/** Takes one submission from the token's bucket, or the refusal (429 with Retry-After). */
export function admitSubmission(client: ApiClient): Refusal | null {
  const buckets = (holder.__tqcaSubmissions ??= new TokenBuckets(submissionLimitFrom(process.env)));
  const admission = buckets.take(client.publicId);
  if (admission.admitted) return null;
  return {
    code: Code.API_RATE_LIMITED,
    message: `submission limit of token ${client.publicId} reached`,
    details: { retryAfterSeconds: admission.retryAfterSeconds, limit: 'submissions' },
    headers: { 'retry-after': String(admission.retryAfterSeconds) },
  };
}
