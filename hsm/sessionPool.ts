/**
 * A bounded pool of PKCS#11 sessions. A session runs one operation at a time (a second C_SignInit
 * on a busy session gives CKR_OPERATION_ACTIVE), so concurrent signers each lease their own.
 * Sessions open lazily up to `size`; callers beyond that wait in FIFO order, at most
 * `acquireTimeoutMs`, then get HSM_POOL_TIMEOUT. While suspended (during a reconnect) nothing is
 * handed out; `invalidate` drops every session, including those out on lease when they come back.
 */
import { HsmErrorCode, hsmFail } from './errors';

export interface SessionPoolOptions<S> {
  readonly size: number;
  readonly acquireTimeoutMs: number;
  readonly open: () => S;
  /** Must not throw for a session the module already forgot (after C_Finalize). */
  readonly close: (session: S) => void;
}

export interface Lease<S> {
  readonly session: S;
  /** @internal the pool epoch the session belongs to */
  readonly epoch: number;
}

interface Waiter<S> {
  resolve: (lease: Lease<S>) => void;
  reject: (e: unknown) => void;
  timer: NodeJS.Timeout;
}

export class SessionPool<S> {
  private readonly idle: S[] = [];
  private readonly waiters: Waiter<S>[] = [];
  private leased = 0;
  private epoch = 0;
  private suspended = false;
  private closed = false;
  private drained: (() => void) | null = null;

  constructor(private readonly options: SessionPoolOptions<S>) {
    if (!Number.isInteger(options.size) || options.size < 1) throw new RangeError('pool size must be a positive integer');
  }

  get size(): number {
    return this.options.size;
  }

  /** Sessions currently open (idle or leased). */
  get open(): number {
    return this.idle.length + this.leased;
  }

  get inUse(): number {
    return this.leased;
  }

  acquire(): Promise<Lease<S>> {
    if (this.closed) return Promise.reject(hsmFail(HsmErrorCode.CLOSED, 'the HSM connection is closed'));
    let lease: Lease<S> | null;
    try {
      lease = this.tryLease();
    } catch (e) {
      return Promise.reject(e);
    }
    if (lease) return Promise.resolve(lease);
    return new Promise((resolve, reject) => {
      const waiter: Waiter<S> = {
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiters.splice(this.waiters.indexOf(waiter), 1);
          reject(
            hsmFail(HsmErrorCode.POOL_TIMEOUT, `no HSM session became free within ${this.options.acquireTimeoutMs} ms`, {
              poolSize: this.options.size,
              waiting: this.waiters.length,
            }),
          );
        }, this.options.acquireTimeoutMs),
      };
      this.waiters.push(waiter);
    });
  }

  /** Returns a leased session; `discard` closes it (its state is unknown after an error). */
  release(lease: Lease<S>, discard = false): void {
    this.leased--;
    if (discard || lease.epoch !== this.epoch || this.closed) this.options.close(lease.session);
    else this.idle.push(lease.session);
    if (this.leased === 0 && this.drained) this.drained();
    this.serveWaiters();
  }

  /** Stops handing out sessions until `resume`; resolves once every leased session is back. */
  suspend(): Promise<void> {
    this.suspended = true;
    return this.leased === 0 ? Promise.resolve() : new Promise((resolve) => (this.drained = resolve));
  }

  resume(): void {
    this.suspended = false;
    this.drained = null;
    this.serveWaiters();
  }

  /** Closes idle sessions and marks leased ones for closing on release (their handles are stale). */
  invalidate(): void {
    this.epoch++;
    for (const s of this.idle.splice(0)) this.options.close(s);
  }

  /** Graceful shutdown: fail waiters, wait for leases to come back, close everything. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const w of this.waiters.splice(0)) {
      clearTimeout(w.timer);
      w.reject(hsmFail(HsmErrorCode.CLOSED, 'the HSM connection is closing'));
    }
    if (this.leased > 0) await new Promise<void>((resolve) => (this.drained = resolve));
    this.invalidate();
  }

  private tryLease(): Lease<S> | null {
    if (this.suspended || this.closed) return null;
    const idle = this.idle.pop();
    if (idle !== undefined) {
      this.leased++;
      return { session: idle, epoch: this.epoch };
    }
    if (this.open >= this.options.size) return null;
    const session = this.options.open();
    this.leased++;
    return { session, epoch: this.epoch };
  }

  private serveWaiters(): void {
    while (this.waiters.length > 0) {
      let lease: Lease<S> | null;
      try {
        lease = this.tryLease();
      } catch (e) {
        const w = this.waiters.shift()!;
        clearTimeout(w.timer);
        w.reject(e);
        continue;
      }
      if (!lease) return;
      const w = this.waiters.shift()!;
      clearTimeout(w.timer);
      w.resolve(lease);
    }
  }
}
