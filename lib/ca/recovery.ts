/**
 * Start-up recovery: work that a stopped process left half done is closed, with a recorded
 * reason, before the process serves anyone. A reservation or ceremony younger than the grace
 * period may belong to another process that is still running, so it is left alone; a stale one
 * that a live process later tries to complete is refused by that process (it re-checks state).
 * Then the time-driven changes that fell due while nothing ran: expired root keys and requests.
 */
import type { Result } from '../errors';
import { expireRootKeys, expireStaleRequests, recordExpiredCertificates } from './expiry';
import { recoverInterruptedIssuances } from './issuance';
import { recoverCeremonies } from './rootKeys';
import type { CaServices } from './services';

/** Far longer than one issuance or key generation may take (HSM and transaction timeouts are 10–30 s). */
export const RECOVERY_GRACE_MS = 5 * 60_000;

export interface RecoveryReport {
  readonly failedAllocations: readonly string[];
  readonly closedCeremonies: readonly number[];
  readonly expiredRootKeys: readonly string[];
  readonly expiredRequests: readonly number[];
  /** certificate numbers whose expiry was recorded in the log now */
  readonly expiredCertificates: readonly string[];
}

export async function recoverAtStartup(ca: CaServices, before = new Date(ca.now().getTime() - RECOVERY_GRACE_MS)): Promise<Result<RecoveryReport>> {
  const allocations = await recoverInterruptedIssuances(ca, before);
  if (!allocations.ok) return allocations;
  const ceremonies = await recoverCeremonies(ca, before);
  if (!ceremonies.ok) return ceremonies;
  const rootKeys = await expireRootKeys(ca);
  if (!rootKeys.ok) return rootKeys;
  const requests = await expireStaleRequests(ca);
  if (!requests.ok) return requests;
  const certificates = await recordExpiredCertificates(ca);
  if (!certificates.ok) return certificates;
  return {
    ok: true,
    value: {
      failedAllocations: allocations.value.map(String),
      closedCeremonies: ceremonies.value.map((c) => c.id),
      expiredRootKeys: rootKeys.value,
      expiredRequests: requests.value,
      expiredCertificates: certificates.value,
    },
  };
}
