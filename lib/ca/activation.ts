/**
 * Quorum activation of the signing keys, as the CA services see it (the production profile,
 * TQCA_HSM_QUORUM). The HSM layer holds the gate; this module authorises and audits its use:
 * only active officers enter shares (each one signed in, so a share is entered by its holder),
 * officers or administrators lock, and every entry, refusal, activation and lock is an audit
 * event naming the officers. The console and the CLI call these functions; `status()` needs no
 * service (it changes nothing and reveals only names and counts).
 */
import { appendAuditEvent } from '../audit';
import type { Result, TqError } from '../errors';
import { checkRole, type Operator, type ServiceContext } from './context';
import { requireActiveOperator } from './operators';
import { transact } from './transaction';

export interface SigningStatus {
  readonly state: 'locked' | 'active';
  readonly tokenLabel: string;
  readonly threshold: number;
  /** Officers whose shares are in while locked. */
  readonly entered: readonly string[];
  /** Officers whose shares activated signing (empty while locked). */
  readonly activatedBy: readonly string[];
}

/** What the CA needs of the HSM layer's quorum gate (hsm/quorum.ts QuorumGate). */
export interface SigningActivation {
  status(): SigningStatus;
  enterShare(officer: string, share: string): Promise<Result<SigningStatus>>;
  /** Locks at once; answers the status just before the lock. */
  lock(): Promise<SigningStatus>;
}

/** One officer's share. The K-th accepted share activates signing; a refused share is audited and named. */
export async function enterSigningShare(ctx: ServiceContext, activation: SigningActivation, officer: Operator, share: string): Promise<Result<SigningStatus>> {
  const allowed = checkRole(officer, ['OFFICER'], 'enter a share of the signing-key PIN');
  if (!allowed.ok) return allowed;
  const stillActive = await transact(ctx.prisma, (tx) => requireActiveOperator(tx, officer));
  if (!stillActive.ok) return stillActive;
  const entered = await activation.enterShare(officer.username, share);
  const status = activation.status();
  const event = !entered.ok
    ? { action: 'hsmToken.share.refused', details: { code: entered.error.code, x: entered.error.details?.x ?? null } }
    : status.state === 'active'
      ? { action: 'hsmToken.signing.activated', details: { officers: [...status.activatedBy], threshold: status.threshold } }
      : { action: 'hsmToken.share.entered', details: { entered: [...status.entered], threshold: status.threshold } };
  const audited = await audit(ctx, officer, status.tokenLabel, event.action, event.details);
  if (!audited.ok) {
    // An activation that cannot be recorded does not stand.
    if (entered.ok && status.state === 'active') await activation.lock();
    return audited;
  }
  return entered;
}

/** Locks signing at once (before anything is written), then records who locked and who had activated. */
export async function lockSigning(ctx: ServiceContext, activation: SigningActivation, operator: Operator): Promise<Result<SigningStatus>> {
  const allowed = checkRole(operator, ['OFFICER', 'ADMIN'], 'lock the signing keys');
  if (!allowed.ok) return allowed;
  const before = await activation.lock();
  const audited = await audit(ctx, operator, before.tokenLabel, 'hsmToken.signing.locked', {
    wasActive: before.state === 'active',
    activatedBy: [...before.activatedBy],
    discardedShares: [...before.entered],
  });
  return audited.ok ? { ok: true, value: activation.status() } : audited;
}

function audit(ctx: ServiceContext, actor: Operator, tokenLabel: string, action: string, details: Record<string, unknown>): Promise<Result<void, TqError>> {
  return transact(ctx.prisma, async (tx) => {
    await appendAuditEvent(tx, { actor, action, objectType: 'hsmToken', objectId: tokenLabel, details, time: ctx.now() });
  });
}
