/**
 * What the certificate services run against: the service context (database, clock) plus the
 * HSM's keys (through the CA's own interface, keys.ts) and the clearing center's identity.
 */
import type { ServiceContext } from './context';
import type { CaKeys } from './keys';

export interface CaServices extends ServiceContext {
  readonly keys: CaKeys;
  /** Clearing-center id, bytes 1–4 of every A2 record (the RID analogue). */
  readonly centerId: number;
  /** Days an announced root key waits before activation (TQCA_ROOT_ANNOUNCE_LEAD_DAYS); default the profile's 90. */
  readonly rootKeyAnnounceLeadDays?: number;
}
