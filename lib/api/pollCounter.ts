/**
 * Poll counts (200 and 304 answers of the bundle endpoints) per acquirer and version, added up in
 * memory and written as one batch every FLUSH_MS and when the server stops: no database write per
 * poll. A crash loses at most the last FLUSH_MS of counts of that process (never an
 * acknowledgement, which is written at once); a failed write keeps the batch for the next flush.
 */
import { recordPolls, type PollCount, type ServiceContext } from '../ca';

export const FLUSH_MS = 5000;

export class PollCounter {
  readonly #pending = new Map<string, { institutionId: number; version: number; served: number; notModified: number; first: Date; last: Date }>();
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly ctx: ServiceContext,
    private readonly flushMs = FLUSH_MS,
  ) {}

  count(institutionId: number, version: number, notModified: boolean, at: Date): void {
    const key = `${institutionId}/${version}`;
    const entry = this.#pending.get(key) ?? { institutionId, version, served: 0, notModified: 0, first: at, last: at };
    if (notModified) entry.notModified += 1;
    else entry.served += 1;
    entry.last = at;
    this.#pending.set(key, entry);
    this.#timer ??= setInterval(() => void this.flush().catch(() => undefined), this.flushMs).unref();
  }

  /** Writes what has been counted since the last flush, in one transaction. */
  async flush(): Promise<void> {
    if (this.#pending.size === 0) return;
    const batch: PollCount[] = [...this.#pending.values()];
    this.#pending.clear();
    try {
      await recordPolls(this.ctx, batch);
    } catch (e) {
      for (const p of batch) this.#merge(p);
      throw e;
    }
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  #merge(p: PollCount): void {
    const key = `${p.institutionId}/${p.version}`;
    const entry = this.#pending.get(key);
    if (!entry) this.#pending.set(key, { ...p });
    else {
      entry.served += p.served;
      entry.notModified += p.notModified;
      if (p.first < entry.first) entry.first = p.first;
    }
  }
}
