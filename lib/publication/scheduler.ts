/**
 * Expiry-driven work in the server: each round of a timer makes the changes time alone makes, as
 * start-up does (root keys past their expiry day and stale requests become EXPIRED, certificates
 * whose validity ended get their `certificate.expired` event), then calls publish, which builds a
 * version only when a certificate or root key expired since the last one or that bundle nears its
 * expiry.
 * With several processes on one PostgreSQL each runs a timer; the publication lock lets one
 * publish at a time and the others then find nothing changed.
 */
import { applyTimeDrivenChanges, type CaServices } from '../ca';
import type { TqError } from '../errors';
import type { PublicationPolicy } from './policy';
import { publish, type PublishOutcome } from './publish';

export interface SchedulerOptions {
  readonly intervalMs: number;
  readonly policy?: PublicationPolicy;
  /** Each round's outcome (a failure is retried next round); default: failures to stderr. */
  readonly onResult?: (result: { ok: true; value: PublishOutcome } | { ok: false; error: TqError }) => void;
}

export interface PublicationScheduler {
  /** Stops the timer and waits for a round in progress. */
  stop(): Promise<void>;
}

const reportFailure = (result: { ok: boolean; error?: TqError }) => {
  if (!result.ok) process.stderr.write(`tqca: scheduled publication failed: ${result.error!.code}: ${result.error!.message}\n`);
};

export function startPublicationScheduler(ca: CaServices, options: SchedulerOptions): PublicationScheduler {
  const onResult = options.onResult ?? reportFailure;
  let running: Promise<void> | null = null;
  let stopped = false;
  const round = async () => {
    try {
      const changed = await applyTimeDrivenChanges(ca);
      if (!changed.ok) process.stderr.write(`tqca: time-driven changes failed: ${changed.error.code}: ${changed.error.message}\n`);
      onResult(await publish(ca, 'scheduled', { policy: options.policy }));
    } catch (thrown) {
      onResult({ ok: false, error: { code: 'INTERNAL', message: thrown instanceof Error ? thrown.message : String(thrown) } });
    }
  };
  const timer = setInterval(() => {
    // Rounds never overlap: a round still running when the timer fires makes that tick a no-op.
    if (stopped || running) return;
    running = round().finally(() => (running = null));
  }, options.intervalMs);
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      if (running) await running;
    },
  };
}
