/**
 * Console sign-in over the operator accounts: password and lockout (operators.ts `authenticate`),
 * the second factor when enrolled as its second step, and server-side sessions with an
 * idle (sliding) and an absolute limit. The session cookie carries only a random session id; every
 * request resumes the session here, so a stolen or stale cookie dies with its row. Success and
 * failure are audited (failures by `authenticate`, in their own transaction).
 */
import { randomBytes } from 'node:crypto';
import { appendAuditEvent, SYSTEM_ACTOR } from '../audit';
import type { Tx } from '../db/client';
import { err, ok, type Result } from '../errors';
import type { Operator } from './context';
import { authenticate, requireActiveOperator, type SecondStep } from './operators';
import { consumeSecondFactor, hasSecondFactor, type SecondFactorContext, type SecondFactorMethod } from './secondFactor';
import { refuse, transact } from './transaction';

export interface SessionPolicy {
  /** A session unused this long ends (sliding). */
  readonly idleMs: number;
  /** A session ends this long after sign-in, however busy. */
  readonly absoluteMs: number;
  /** Step-up: approvals, ceremony steps, issuance and revocation need a second factor this fresh (at most STEP_UP_MAX_AGE_MS). */
  readonly stepUpMaxAgeMs: number;
}

/** The longest step-up freshness: the second factor of a dual-controlled action is at most 5 minutes old. */
export const STEP_UP_MAX_AGE_MS = 5 * 60_000;

export const DEFAULT_SESSION_POLICY: SessionPolicy = { idleMs: 15 * 60_000, absoluteMs: 12 * 3_600_000, stepUpMaxAgeMs: STEP_UP_MAX_AGE_MS };

export interface SignInContext extends SecondFactorContext {
  readonly policy: SessionPolicy;
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
  /** The password is one-time (operator.must_change_password): changing it is all the session may do. */
  readonly passwordChangeRequired: boolean;
  /** No confirmed second factor yet: enrolment comes before anything else. */
  readonly enrolmentRequired: boolean;
}

/** Only the password change and enrolment pages are open while either is owed. */
export const sessionComplete = (s: ConsoleSession): boolean => !s.passwordChangeRequired && !s.enrolmentRequired;

/**
 * One sign-in attempt: operators.ts `authenticate` with the second factor as its second step, so
 * failures, their audit and the lockout are the operator account's one counter. Refusals:
 * AUTHENTICATION_FAILED (also while locked), SECOND_FACTOR_REQUIRED (password right, code missing:
 * not counted), SECOND_FACTOR_INVALID (counted). PASSWORD_CHANGE_REQUIRED is not a refusal here:
 * the session opens limited to the password change.
 */
export async function signIn(ctx: SignInContext, attempt: SignInAttempt): Promise<Result<ConsoleSession>> {
  const code = attempt.code?.trim() ?? '';
  let method: SecondFactorMethod | null = null;
  const secondFactor: SecondStep = async (operator) => {
    const proved = await transact(ctx.prisma, async (tx) => {
      if (!(await hasSecondFactor(tx, operator.id))) return null;
      if (code === '') refuse('SECOND_FACTOR_REQUIRED', 'enter the code from your authenticator or a recovery code', { field: 'code' });
      return consumeSecondFactor(tx, ctx, operator, code);
    });
    if (!proved.ok) return { ok: false, error: proved.error, counts: proved.error.code !== 'SECOND_FACTOR_REQUIRED' };
    method = proved.value;
    return ok(undefined);
  };
  const authenticated = await authenticate(ctx, attempt.username.trim(), attempt.password, secondFactor);
  const passwordChangeOnly = !authenticated.ok && authenticated.error.code === 'PASSWORD_CHANGE_REQUIRED';
  if (!authenticated.ok && !passwordChangeOnly) return authenticated;
  const started = await transact(ctx.prisma, async (tx) => {
    const operator = authenticated.ok ? authenticated.value : await operatorById(tx, authenticated.error.details!.operatorId as number);
    const id = randomBytes(32).toString('base64url');
    await tx.consoleSession.create({ data: { id, operatorId: operator.id, createdAt: ctx.now(), lastSeenAt: ctx.now(), secondFactorAt: method ? ctx.now() : null } });
    await appendAuditEvent(tx, {
      actor: operator,
      action: 'operator.signIn.succeeded',
      objectType: 'operator',
      objectId: String(operator.id),
      details: { secondFactor: method ?? 'notEnrolled', passwordChangeOnly },
      time: ctx.now(),
    });
    return id;
  });
  return started.ok ? resumeSession(ctx, started.value) : started;
}

async function operatorById(tx: Tx, id: number): Promise<Operator> {
  const row = await tx.operator.findUniqueOrThrow({ where: { id } });
  return { id: row.id, username: row.username, displayName: row.displayName, roles: row.roles };
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
    passwordChangeRequired: row.operator.mustChangePassword,
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
  return err('STEP_UP_REQUIRED', `confirm your second factor (at most ${Math.round(maxAgeMs / 1000)} seconds old) for this action`, {
    field: 'code',
    details: { maxAgeMs, secondFactorAt: at?.toISOString() ?? null },
  });
}
