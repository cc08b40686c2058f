/**
 * Console sign-in over the operator accounts: password (operators.ts `authenticate`), then the
 * second factor when enrolled, lockout after repeated failures, and server-side sessions with an
 * idle (sliding) and an absolute limit. The session cookie carries only a random session id; every
 * request resumes the session here, so a stolen or stale cookie dies with its row. Success and
 * failure are audited; a failure in its own transaction after the refused one rolled back.
 */
import { randomBytes } from 'node:crypto';
import { appendAuditEvent, SYSTEM_ACTOR } from '../audit';
import { err, ok, type Result, type TqError } from '../errors';
import type { Operator, ServiceContext } from './context';
import { authenticate, hashPassword, MIN_PASSWORD_LENGTH, requireActiveOperator, USERNAME_PATTERN, verifyPassword } from './operators';
import { consumeSecondFactor, hasSecondFactor, type SecondFactorContext, type SecondFactorMethod } from './secondFactor';
import { refuse, transact } from './transaction';

export interface SignInPolicy {
  /** Consecutive failures that lock the account. */
  readonly maxFailures: number;
  readonly lockoutMs: number;
  /** A session unused this long ends (sliding). */
  readonly idleMs: number;
  /** A session ends this long after sign-in, however busy. */
  readonly absoluteMs: number;
}

export const DEFAULT_SIGN_IN_POLICY: SignInPolicy = { maxFailures: 5, lockoutMs: 15 * 60_000, idleMs: 15 * 60_000, absoluteMs: 12 * 3_600_000 };

/** Step-up: approvals, ceremony steps, issuance and revocation need a second factor this fresh. */
export const STEP_UP_MAX_AGE_MS = 5 * 60_000;

export interface SignInContext extends SecondFactorContext {
  readonly policy: SignInPolicy;
}

export interface SignInAttempt {
  readonly username: string;
  readonly password: string;
  /** TOTP or recovery code; required once the operator has enrolled. */
  readonly code?: string;
}

/** A live session as every request sees it: the operator re-read (roles, status) and what is still owed. */
export interface ConsoleSession {
  readonly id: string;
  readonly operator: Operator;
  readonly createdAt: Date;
  readonly secondFactorAt: Date | null;
  /** The first-run password must be replaced before anything else. */
  readonly passwordChangeRequired: boolean;
  /** No confirmed second factor yet: enrolment comes before anything else. */
  readonly enrolmentRequired: boolean;
}

/** Only the password change and enrolment pages are open while either is owed. */
export const sessionComplete = (s: ConsoleSession): boolean => !s.passwordChangeRequired && !s.enrolmentRequired;

const AUTH_FAILED = 'unknown operator, wrong password or disabled operator';

/**
 * One sign-in attempt. Refusals: OPERATOR_LOCKED (too many failures; nothing is checked),
 * AUTHENTICATION_FAILED, SECOND_FACTOR_REQUIRED (password right, code missing: not a failure),
 * SECOND_FACTOR_INVALID. Each refusal but SECOND_FACTOR_REQUIRED counts towards the lockout.
 */
export async function signIn(ctx: SignInContext, attempt: SignInAttempt): Promise<Result<ConsoleSession>> {
  const username = attempt.username.trim();
  const known = USERNAME_PATTERN.test(username) ? await ctx.prisma.operator.findUnique({ where: { username }, select: { id: true } }) : null;
  if (known) {
    const state = await ctx.prisma.operatorSignIn.findUnique({ where: { operatorId: known.id } });
    if (state?.lockedUntil && state.lockedUntil > ctx.now()) {
      const locked = err('OPERATOR_LOCKED', 'too many failed sign-ins: the account is locked for now', {
        field: 'operator',
        details: { lockedUntil: state.lockedUntil.toISOString() },
      });
      await recordFailure(ctx, username, known.id, locked.error, false);
      return locked;
    }
  }
  const authenticated = await authenticate(ctx, username, attempt.password);
  if (!authenticated.ok) {
    await recordFailure(ctx, username, known?.id, authenticated.error, true);
    return authenticated;
  }
  const operator = authenticated.value;
  const code = attempt.code?.trim() ?? '';
  const started = await transact(ctx.prisma, async (tx) => {
    let method: SecondFactorMethod | null = null;
    if (await hasSecondFactor(tx, operator.id)) {
      if (code === '') refuse('SECOND_FACTOR_REQUIRED', 'enter the code from your authenticator or a recovery code', { field: 'code' });
      method = await consumeSecondFactor(tx, ctx, operator, code);
    }
    await tx.operatorSignIn.upsert({
      where: { operatorId: operator.id },
      create: { operatorId: operator.id, updatedAt: ctx.now() },
      update: { failedAttempts: 0, lockedUntil: null, updatedAt: ctx.now() },
    });
    const id = randomBytes(32).toString('base64url');
    await tx.consoleSession.create({ data: { id, operatorId: operator.id, createdAt: ctx.now(), lastSeenAt: ctx.now(), secondFactorAt: method ? ctx.now() : null } });
    await appendAuditEvent(tx, {
      actor: operator,
      action: 'operator.signIn.succeeded',
      objectType: 'operator',
      objectId: String(operator.id),
      details: { secondFactor: method ?? 'notEnrolled' },
      time: ctx.now(),
    });
    return id;
  });
  if (!started.ok) {
    await recordFailure(ctx, username, operator.id, started.error, started.error.code !== 'SECOND_FACTOR_REQUIRED');
    return started;
  }
  return resumeSession(ctx, started.value);
}

/** Counts (when `counts`) and audits a refused sign-in, locking the account at the policy's limit. */
async function recordFailure(ctx: SignInContext, username: string, operatorId: number | undefined, error: TqError, counts: boolean): Promise<void> {
  const recorded = await transact(ctx.prisma, async (tx) => {
    let lockedUntil: Date | null = null;
    if (operatorId !== undefined && counts) {
      const [row] = await tx.$queryRaw<{ failed_attempts: number }[]>`
        INSERT INTO operator_sign_in (operator_id, failed_attempts, last_failure_at, updated_at)
        VALUES (${operatorId}, 1, ${ctx.now()}, ${ctx.now()})
        ON CONFLICT (operator_id) DO UPDATE SET failed_attempts = operator_sign_in.failed_attempts + 1,
          last_failure_at = EXCLUDED.last_failure_at, updated_at = EXCLUDED.updated_at
        RETURNING failed_attempts`;
      if (row.failed_attempts >= ctx.policy.maxFailures) {
        lockedUntil = new Date(ctx.now().getTime() + ctx.policy.lockoutMs);
        await tx.operatorSignIn.update({ where: { operatorId }, data: { lockedUntil, failedAttempts: 0 } });
      }
    }
    await appendAuditEvent(tx, {
      actor: SYSTEM_ACTOR,
      action: 'operator.signIn.failed',
      objectType: 'operator',
      // Unknown usernames are recorded as typed (bounded), so guessing shows in the log.
      objectId: operatorId !== undefined ? String(operatorId) : `unknown:${username.slice(0, 64) || '-'}`,
      details: { username: username.slice(0, 64), code: error.code, ...(lockedUntil ? { lockedUntil: lockedUntil.toISOString() } : {}) },
      time: ctx.now(),
    });
  });
  // The refusal stands either way; an unrecordable failure must not turn into a different answer.
  if (!recorded.ok) console.error(`sign-in failure not recorded: ${recorded.error.code}`);
}

/**
 * The session behind a cookie, checked and touched: SESSION_EXPIRED once ended, idle too long or
 * past its absolute lifetime (the row is then ended, audited); OPERATOR_DISABLED when the operator
 * was disabled since.
 */
export async function resumeSession(ctx: SignInContext, sessionId: string): Promise<Result<ConsoleSession>> {
  const now = ctx.now();
  const row = await ctx.prisma.consoleSession.findUnique({ where: { id: sessionId }, include: { operator: true } });
  if (!row || row.endedAt) return err('SESSION_EXPIRED', 'the session ended: sign in again', { field: 'session' });
  const reason =
    now.getTime() - row.createdAt.getTime() >= ctx.policy.absoluteMs ? 'absolute' : now.getTime() - row.lastSeenAt.getTime() >= ctx.policy.idleMs ? 'idle' : null;
  if (reason) {
    await endSession(ctx, sessionId, reason);
    return err('SESSION_EXPIRED', `the session ended (${reason === 'idle' ? 'idle timeout' : 'maximum lifetime'}): sign in again`, {
      field: 'session',
      details: { reason },
    });
  }
  if (row.operator.status !== 'ACTIVE') {
    await endSession(ctx, sessionId, 'disabled');
    return err('OPERATOR_DISABLED', `operator ${row.operator.username} is disabled`, { field: 'operator' });
  }
  await ctx.prisma.consoleSession.updateMany({ where: { id: sessionId, endedAt: null }, data: { lastSeenAt: now } });
  const operator: Operator = { id: row.operator.id, username: row.operator.username, displayName: row.operator.displayName, roles: row.operator.roles };
  return ok({
    id: row.id,
    operator,
    createdAt: row.createdAt,
    secondFactorAt: row.secondFactorAt,
    passwordChangeRequired: await passwordChangeRequired(ctx, operator.id),
    enrolmentRequired: !(await hasSecondFactor(ctx.prisma, operator.id)),
  });
}

/** Ends a session (sign-out, timeout, disabled operator); ending an ended session changes nothing. */
export async function endSession(ctx: SignInContext, sessionId: string, reason: 'signOut' | 'idle' | 'absolute' | 'disabled'): Promise<Result<void>> {
  return transact(ctx.prisma, async (tx) => {
    const row = await tx.consoleSession.findUnique({ where: { id: sessionId }, include: { operator: { select: { id: true, username: true } } } });
    if (!row || row.endedAt) return;
    await tx.consoleSession.update({ where: { id: sessionId }, data: { endedAt: ctx.now(), endReason: reason } });
    await appendAuditEvent(tx, {
      actor: reason === 'signOut' ? row.operator : SYSTEM_ACTOR,
      action: 'operator.session.ended',
      objectType: 'operator',
      objectId: String(row.operator.id),
      details: { reason },
      time: ctx.now(),
    });
  });
}

/**
 * The one place the "must change password" flag is read. (The operators service is gaining its own
 * flag; when it lands, point this at it.)
 */
export async function passwordChangeRequired(ctx: ServiceContext, operatorId: number): Promise<boolean> {
  const row = await ctx.prisma.operatorSignIn.findUnique({ where: { operatorId }, select: { passwordChangeRequired: true } });
  return row?.passwordChangeRequired ?? false;
}

/** Marks an operator's password as one-time (the first-run administrator's). */
export async function requirePasswordChange(ctx: ServiceContext, operatorId: number): Promise<Result<void>> {
  return transact(ctx.prisma, async (tx) => {
    await tx.operatorSignIn.upsert({
      where: { operatorId },
      create: { operatorId, passwordChangeRequired: true, updatedAt: ctx.now() },
      update: { passwordChangeRequired: true, updatedAt: ctx.now() },
    });
    await appendAuditEvent(tx, { actor: SYSTEM_ACTOR, action: 'operator.password.changeRequired', objectType: 'operator', objectId: String(operatorId), time: ctx.now() });
  });
}

/** The operator's own password change: the current one is re-checked, the new one must differ. */
export async function changeOwnPassword(ctx: SignInContext, session: ConsoleSession, current: string, next: string): Promise<Result<void>> {
  const { operator } = session;
  const row = await ctx.prisma.operator.findUniqueOrThrow({ where: { id: operator.id }, select: { passwordHash: true } });
  if (!(await verifyPassword(current, row.passwordHash))) {
    return err('AUTHENTICATION_FAILED', AUTH_FAILED, { field: 'currentPassword' });
  }
  if ([...next].length < MIN_PASSWORD_LENGTH) {
    return err('PASSWORD_TOO_SHORT', `password must have at least ${MIN_PASSWORD_LENGTH} characters`, { field: 'newPassword' });
  }
  if (next === current) return err('PASSWORD_UNCHANGED', 'the new password must differ from the current one', { field: 'newPassword' });
  const passwordHash = await hashPassword(next);
  return transact(ctx.prisma, async (tx) => {
    await requireActiveOperator(tx, operator);
    await tx.operator.update({ where: { id: operator.id }, data: { passwordHash, updatedAt: ctx.now() } });
    await tx.operatorSignIn.upsert({
      where: { operatorId: operator.id },
      create: { operatorId: operator.id, updatedAt: ctx.now() },
      update: { passwordChangeRequired: false, updatedAt: ctx.now() },
    });
    // Every other session of this operator ends: whoever knew the old password is signed out.
    await tx.consoleSession.updateMany({ where: { operatorId: operator.id, endedAt: null, id: { not: session.id } }, data: { endedAt: ctx.now(), endReason: 'passwordChanged' } });
    await appendAuditEvent(tx, { actor: operator, action: 'operator.password.changed', objectType: 'operator', objectId: String(operator.id), time: ctx.now() });
  });
}

/** Step-up: a fresh TOTP (or recovery) code re-proves the second factor for this session. */
export async function confirmSecondFactor(ctx: SignInContext, session: ConsoleSession, code: string): Promise<Result<Date>> {
  return transact(ctx.prisma, async (tx) => {
    await requireActiveOperator(tx, session.operator);
    const method = await consumeSecondFactor(tx, ctx, session.operator, code);
    const at = ctx.now();
    await tx.consoleSession.update({ where: { id: session.id }, data: { secondFactorAt: at } });
    await appendAuditEvent(tx, { actor: session.operator, action: 'operator.secondFactor.stepUp', objectType: 'operator', objectId: String(session.operator.id), details: { method }, time: at });
    return at;
  });
}

/** STEP_UP_REQUIRED unless the session proved its second factor within `maxAgeMs`. */
export function requireFreshSecondFactor(session: ConsoleSession, now: Date, maxAgeMs = STEP_UP_MAX_AGE_MS): Result<void> {
  const at = session.secondFactorAt;
  if (at && now.getTime() - at.getTime() <= maxAgeMs && at.getTime() <= now.getTime()) return ok(undefined);
  return err('STEP_UP_REQUIRED', `confirm your second factor (at most ${Math.round(maxAgeMs / 60_000)} minutes old) for this action`, {
    field: 'code',
    details: { maxAgeMs, secondFactorAt: at?.toISOString() ?? null },
  });
}
