/**
 * Who is calling: the bearer token checked against this process's cache of token records, then
 * the caller's rate limit. A warm request touches no database: records stay cached until a
 * one-query-a-second poll of the token state marker (lib/ca tokenStateMarker) sees a token created
 * or revoked or an institution changed, so a revocation is honoured by every process within about
 * a second. last_used_at is written at most once a minute per token.
 */
import {
  checkToken,
  LAST_USED_RESOLUTION_MS,
  loadTokenRecord,
  parseApiToken,
  tokenStateMarker,
  touchApiToken,
  type ApiClient,
  type ApiTokenScope,
  type CaServices,
  type TokenRecord,
} from '../ca';
import type { Result, TqError } from '../errors';
import { rateLimitFrom, TokenBuckets } from './rateLimit';

const MARKER_POLL_MS = 1000;
/** Unknown ids are remembered too (so guessing costs no query each); beyond this many the cache starts over. */
const MAX_CACHED = 10_000;

interface ClientState {
  readonly records: Map<string, TokenRecord | null>;
  readonly lastUsedWrites: Map<number, number>;
  readonly buckets: TokenBuckets;
  marker: string | undefined;
  poller: NodeJS.Timeout | undefined;
}

// One state per process, whichever route bundle loads this module.
const holder = globalThis as typeof globalThis & { __tqcaApiClients?: ClientState };
const state = (holder.__tqcaApiClients ??= {
  records: new Map(),
  lastUsedWrites: new Map(),
  buckets: new TokenBuckets(rateLimitFrom(process.env)),
  marker: undefined,
  poller: undefined,
});

function watchTokenState(ca: CaServices): void {
  if (state.poller) return;
  const poll = async () => {
    try {
      const marker = await tokenStateMarker(ca);
      if (marker !== state.marker) state.records.clear();
      state.marker = marker;
    } catch {
      // The database is away: keep serving from the cache; the next poll tries again.
    }
  };
  state.poller = setInterval(poll, MARKER_POLL_MS);
  state.poller.unref();
}

/** A refused request: the error, and the headers its answer carries (Retry-After). */
export interface Refusal extends TqError {
  readonly headers?: Record<string, string>;
}

const refused = (refusal: Refusal): Result<never, Refusal> => ({ ok: false, error: refusal });

/** The client the request's bearer token stands for, if it may call an endpoint of `scope` now. */
export async function authorize(ca: CaServices, request: Request, scope: ApiTokenScope | readonly ApiTokenScope[]): Promise<Result<ApiClient, Refusal>> {
  watchTokenState(ca);
  const header = request.headers.get('authorization');
  if (header === null) return refused({ code: 'API_AUTHORIZATION_MISSING', message: 'send Authorization: Bearer <token>', field: 'authorization' });
  const match = /^Bearer +(\S+)$/i.exec(header.trim());
  const presented = match ? parseApiToken(match[1]!) : null;
  if (presented === null) return refused({ code: 'API_AUTHORIZATION_MALFORMED', message: 'the Authorization header is not Bearer tqt_<id>_<secret>', field: 'authorization' });

  let record = state.records.get(presented.publicId);
  if (record === undefined) {
    record = await loadTokenRecord(ca, presented.publicId);
    if (state.records.size >= MAX_CACHED) state.records.clear();
    state.records.set(presented.publicId, record);
  }
  const now = ca.now();
  const checked = checkToken(record, presented, scope, now);
  if (!checked.ok) return refused(checked.error);
  const client = checked.value;

  const admission = state.buckets.take(client.publicId);
  if (!admission.admitted) {
    return refused({
      code: 'API_RATE_LIMITED',
      message: `rate limit of token ${client.publicId} reached`,
      details: { retryAfterSeconds: admission.retryAfterSeconds },
      headers: { 'retry-after': String(admission.retryAfterSeconds) },
    });
  }
  noteUse(ca, client, now);
  return { ok: true, value: client };
}

function noteUse(ca: CaServices, client: ApiClient, now: Date): void {
  const last = state.lastUsedWrites.get(client.tokenId);
  if (last !== undefined && now.getTime() - last < LAST_USED_RESOLUTION_MS) return;
  state.lastUsedWrites.set(client.tokenId, now.getTime());
  // Not awaited: the answer does not wait for bookkeeping; a failed write is retried a minute later.
  touchApiToken(ca, client.tokenId, now).catch(() => state.lastUsedWrites.delete(client.tokenId));
}
