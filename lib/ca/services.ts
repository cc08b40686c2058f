/**
 * What the certificate services run against: the service context (database, clock) plus the
 * HSM's key manager and the clearing center's identity.
 */
import type { KeyManager } from '../../hsm/keyManager';
import type { ServiceContext } from './context';

export interface CaServices extends ServiceContext {
  readonly keys: KeyManager;
  /** Clearing-center id, bytes 1–4 of every A2 record (the RID analogue). */
  readonly centerId: number;
}
