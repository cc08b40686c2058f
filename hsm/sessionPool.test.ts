import { describe, expect, it } from 'vitest';
import { TqException } from '../lib/errors';
import { HsmErrorCode } from './errors';
import { SessionPool } from './sessionPool';

/** A pool over numbered "sessions", recording which were opened and closed. */
function numberedPool(size: number, acquireTimeoutMs = 60_000) {
  let next = 0;
  const closed: number[] = [];
  const pool = new SessionPool<number>({ size, acquireTimeoutMs, open: () => next++, close: (s) => closed.push(s) });
  return { pool, closed, opened: () => next };
}

const codeOf = (e: unknown) => (e instanceof TqException ? e.error.code : String(e));

describe('SessionPool', () => {
  it('opens sessions lazily up to its size and reuses released ones', async () => {
    const { pool, opened } = numberedPool(2);
    const a = await pool.acquire();
    const b = await pool.acquire();
    expect([a.session, b.session]).toEqual([0, 1]);
    pool.release(a);
    expect((await pool.acquire()).session).toBe(0);
    expect(opened()).toBe(2);
  });

  it('hands a released session to the longest waiting caller first', async () => {
    const { pool } = numberedPool(1);
    const held = await pool.acquire();
    const order: string[] = [];
    const first = pool.acquire().then((l) => (order.push('first'), l));
    const second = pool.acquire().then((l) => (order.push('second'), l));
    pool.release(held);
    pool.release(await first);
    await second;
    expect(order).toEqual(['first', 'second']);
  });

  it('gives HSM_POOL_TIMEOUT to a caller that waits too long', async () => {
    const { pool } = numberedPool(1, 20);
    await pool.acquire();
    const waited = await pool.acquire().then(() => 'acquired', codeOf);
    expect(waited).toBe(HsmErrorCode.POOL_TIMEOUT);
  });

  it('closes discarded sessions and, after invalidate, sessions that come back from lease', async () => {
    const { pool, closed } = numberedPool(3);
    const [a, b, c] = [await pool.acquire(), await pool.acquire(), await pool.acquire()];
    pool.release(a, true);
    pool.release(b);
    pool.invalidate();
    expect(closed).toEqual([0, 1]);
    pool.release(c);
    expect(closed).toEqual([0, 1, 2]);
    expect(pool.open).toBe(0);
  });

  it('hands out nothing while suspended, and suspend resolves once every lease is back', async () => {
    const { pool } = numberedPool(2);
    const lease = await pool.acquire();
    let drained = false;
    const suspended = pool.suspend().then(() => (drained = true));
    let served = false;
    const waiting = pool.acquire().then((l) => ((served = true), l));
    await Promise.resolve();
    expect([drained, served]).toEqual([false, false]);
    pool.release(lease);
    await suspended;
    expect(served).toBe(false);
    pool.resume();
    expect((await waiting).session).toBeTypeOf('number');
  });

  it('close fails waiters with HSM_CLOSED, waits for leases, then closes every session', async () => {
    const { pool, closed } = numberedPool(1);
    const lease = await pool.acquire();
    const waiter = pool.acquire().then(() => 'acquired', codeOf);
    const closing = pool.close();
    expect(await waiter).toBe(HsmErrorCode.CLOSED);
    pool.release(lease);
    await closing;
    expect(closed).toEqual([0]);
    expect(await pool.acquire().then(() => 'acquired', codeOf)).toBe(HsmErrorCode.CLOSED);
  });
});
