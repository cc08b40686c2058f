/**
 * Start-up recovery: work that a stopped process left half done is closed, with a recorded
 * reason, before the process serves anyone. A reservation or ceremony younger than the grace
 * period may belong to another process that is still running, so it is left alone; a stale one
 * that a live process later tries to complete is refused by that process (it re-checks state).
 * Then the time-driven changes that fell due while nothing ran: expired root keys, requests and
 * certificates.
 */
import type { Result } from '../errors';
import { applyTimeDrivenChanges, type TimeDrivenChanges } from './expiry';
import { recoverInterruptedIssuances } from './issuance';
import { recoverCeremonies } from './rootKeys';
import type { CaServices } from './services';

/** Far longer than one issuance or key generation may take (HSM and transaction timeouts are 10–30 s). */
export const RECOVERY_GRACE_MS = 5 * 60_000;

export interface RecoveryReport extends TimeDrivenChanges {
  readonly failedAllocations: readonly string[];
  readonly closedCeremonies: readonly number[];
}

export async function recoverAtStartup(ca: CaServices, before = new Date(ca.now().getTime() - RECOVERY_GRACE_MS)): Promise<Result<RecoveryReport>> {
  const allocations = await recoverInterruptedIssuances(ca, before);
  if (!allocations.ok) return allocations;
  const ceremonies = await recoverCeremonies(ca, before);
  if (!ceremonies.ok) return ceremonies;
  const timeDriven = await applyTimeDrivenChanges(ca);
  if (!timeDriven.ok) return timeDriven;
  return {
    ok: true,
    value: { failedAllocations: allocations.value.map(String), closedCeremonies: ceremonies.value.map((c) => c.id), ...timeDriven.value },
  };
}
