/**
 * Per-token token buckets, in this process's memory: each server process limits on its own, so
 * behind N processes a client may reach N times the rate (the README says so). Buckets refill
 * continuously at `rate` per second up to `burst`.
 */
import { TqException } from '../errors';

export interface RateLimit {
  /** Requests per second, sustained. */
  readonly rate: number;
  /** Requests a full bucket allows at once. */
  readonly burst: number;
}

export type Admission = { readonly admitted: true } | { readonly admitted: false; readonly retryAfterSeconds: number };

/** Above this many buckets, the full ones (idle clients) are dropped: memory stays bounded. */
const MAX_BUCKETS = 10_000;

export class TokenBuckets {
  readonly #buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    readonly limit: RateLimit,
    private readonly clock: () => number = Date.now,
  ) {}

  take(key: string): Admission {
    const now = this.clock();
    const bucket = this.#refilled(key, now);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { admitted: true };
    }
    return { admitted: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / this.limit.rate)) };
  }

  #refilled(key: string, now: number) {
    let bucket = this.#buckets.get(key);
    if (bucket === undefined) {
      if (this.#buckets.size >= MAX_BUCKETS) this.#dropFull(now);
      bucket = { tokens: this.limit.burst, at: now };
      this.#buckets.set(key, bucket);
    }
    bucket.tokens = Math.min(this.limit.burst, bucket.tokens + ((now - bucket.at) / 1000) * this.limit.rate);
    bucket.at = now;
    return bucket;
  }

  #dropFull(now: number) {
    for (const [key, b] of this.#buckets) {
      if (b.tokens + ((now - b.at) / 1000) * this.limit.rate >= this.limit.burst) this.#buckets.delete(key);
    }
  }
}

/**
 * TQCA_API_RATE (requests/s, default 10) and TQCA_API_BURST (default 60): unset or empty takes the
 * default; anything else must be a positive decimal number, or the server refuses to start
 * (API_CONFIG_INVALID naming the variable) rather than run with a limit nobody chose.
 */
export function rateLimitFrom(env: Readonly<Record<string, string | undefined>>): RateLimit {
  const positive = (name: 'TQCA_API_RATE' | 'TQCA_API_BURST', fallback: number) => {
    const text = env[name];
    if (text === undefined || text === '') return fallback;
    const n = Number(text);
    if (!/^\d+(\.\d+)?$/.test(text) || !Number.isFinite(n) || n <= 0) {
      throw new TqException({ code: 'API_CONFIG_INVALID', message: `${name} must be a positive number, not ${JSON.stringify(text.slice(0, 32))}`, field: name, details: { value: text.slice(0, 32) } });
    }
    return n;
  };
  return { rate: positive('TQCA_API_RATE', 10), burst: positive('TQCA_API_BURST', 60) };
}
