/** How long a bundle lives and how early the next one is published (configuration, §12.1 "expires"). */
export interface PublicationPolicy {
  /** Manifest expiry and A4 next update, after the publication time. */
  readonly lifetimeSeconds: number;
  /** A bundle (or an A4) this close to its expiry is replaced even when nothing else changed. */
  readonly leadSeconds: number;
}

export const DEFAULT_PUBLICATION_POLICY: PublicationPolicy = { lifetimeSeconds: 7 * 86_400, leadSeconds: 86_400 };

/** What made a publication happen; recorded with the version and its audit event. */
export type PublicationReason = 'issuance' | 'revocation' | 'rootKey' | 'expiry' | 'scheduled' | 'operator';
