/**
 * The command line's side of the quorum profile (TQCA_HSM_QUORUM): officers activate signing for
 * this one process, in turn at its terminal — each signs in (password unechoed) and types their
 * share (unechoed) — and the process locks again before it exits. Shares are read from the
 * terminal only: never from the environment, a file or a pipe, where they would outlive the run.
 */
import { authenticate, enterSigningShare, lockSigning, type Operator, type ServiceContext, type SigningActivation, type SigningStatus } from '../ca';
import { ok, type Result } from '../errors';
import { cliError } from './errorCodes';
import type { Prompter } from './operatorLogin';

/**
 * Asks officers until K shares are in; each failure is said on the terminal and the next officer
 * is asked. Answers the status and the officer whose share completed the quorum.
 */
export async function activateAtTerminal(
  ctx: ServiceContext,
  activation: SigningActivation,
  prompter: Prompter | undefined,
): Promise<Result<{ readonly status: SigningStatus; readonly last: Operator }>> {
  if (!prompter) {
    return cliError('QUORUM_TERMINAL_REQUIRED', 'signing is locked: K officers must enter their shares at a terminal (stdin and stderr a TTY)', {
      details: { threshold: activation.status().threshold },
    });
  }
  // Generous, yet bounded: a run cannot be used to try passwords or shares without end.
  const attempts = activation.status().threshold * 3;
  let last: Operator | undefined;
  for (let attempt = 1, status = activation.status(); status.state === 'locked'; attempt++, status = activation.status()) {
    if (attempt > attempts) return cliError('QUORUM_ABORTED', 'too many failed entries: signing stays locked');
    say(`signing is locked: ${status.entered.length} of ${status.threshold} officers' shares entered${status.entered.length ? ` (${status.entered.join(', ')})` : ''}`);
    const username = await prompter.ask(`officer (entry ${attempt}): `, { hidden: false });
    const password = username && (await prompter.ask(`password for ${username} (entry ${attempt}): `, { hidden: true }));
    if (!username || !password) return cliError('QUORUM_ABORTED', 'share entry aborted: signing stays locked');
    const officer = await authenticate(ctx, username.trim(), password);
    if (!officer.ok) {
      say(`${officer.error.code}: ${officer.error.message}`);
      continue;
    }
    const share = await prompter.ask(`share of ${officer.value.username} (entry ${attempt}, not shown): `, { hidden: true });
    if (!share) return cliError('QUORUM_ABORTED', 'share entry aborted: signing stays locked');
    const entered = await enterSigningShare(ctx, activation, officer.value, share);
    last = officer.value;
    say(entered.ok ? `share of ${officer.value.username} accepted` : `${entered.error.code}: ${entered.error.message}`);
  }
  say(`signing activated by ${activation.status().activatedBy.join(', ')} for this process`);
  return ok({ status: activation.status(), last: last! });
}

/** Runs `action` with signing activated (asking the officers when it is locked), then locks, audited as `operator`'s. */
export async function withSigningActivated<T>(
  ctx: ServiceContext,
  activation: SigningActivation,
  operator: Operator,
  prompter: Prompter | undefined,
  action: () => Promise<T>,
): Promise<Result<T>> {
  if (activation.status().state === 'locked') {
    const activated = await activateAtTerminal(ctx, activation, prompter);
    if (!activated.ok) return activated;
  }
  try {
    return ok(await action());
  } finally {
    await lockAudited(ctx, activation, operator);
  }
}

/** Locks; when the lock cannot be recorded as `operator`'s (role, database), it is said, and signing is locked all the same. */
export async function lockAudited(ctx: ServiceContext, activation: SigningActivation, operator: Operator): Promise<void> {
  const locked = await lockSigning(ctx, activation, operator);
  if (!locked.ok) {
    await activation.lock();
    say(`signing is locked, but the lock was not recorded: ${locked.error.code}: ${locked.error.message}`);
  }
}

const say = (line: string) => process.stderr.write(`${line}\n`);
