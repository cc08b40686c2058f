/** What the administrator screens' actions answer on success: a notice (key under adminCommon.done), and at most once a secret. */
import type { FormState } from './forms';

export interface AdminDone {
  readonly notice: 'requested' | 'applied' | 'approved' | 'rejected' | 'disabled' | 'sealed' | 'statusChanged' | 'withdrawalRequested' | 'withdrawn' | 'withdrawalRejected' | 'tokenCreated' | 'tokenRevoked';
  /** What the notice is about: an operator, a request number, a token id. */
  readonly subject?: string;
  /** A one-time password or an API token's secret: shown in this answer, never again. */
  readonly secret?: string;
}

export type AdminFormState = FormState<AdminDone>;
