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
  /**
   * Told after a committed change that alters what a bundle lists (an issuance, a revocation, a
   * root-key transition), so the publisher (lib/publication, wired by lib/runtime) builds the next
   * version. Called outside the change's transaction; its failure does not undo the change, and
   * the publication scheduler retries.
   */
  readonly changed?: (reason: PublishableChange) => Promise<void>;
}

export type PublishableChange = 'issuance' | 'revocation' | 'rootKey';

/** Tells the publisher, if one is wired in, that a committed change needs a new bundle. */
export async function announceChange(ca: CaServices, reason: PublishableChange): Promise<void> {
  if (ca.changed) await ca.changed(reason);
}
