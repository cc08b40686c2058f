import { randomBytes } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';
import { describe, expect, it } from 'vitest';
import { ENGINES, eventsAfter, headSeq, useTestDatabase } from '../../test/support/databases';
import { bootstrapAdministrator } from './operators';
import { beginEnrolment, confirmEnrolment, pendingEnrolment } from './secondFactor';
import { changeOwnPassword, confirmSecondFactor, DEFAULT_SIGN_IN_POLICY, endSession, requireFreshSecondFactor, requirePasswordChange, resumeSession, signIn, type ConsoleSession, type SignInContext } from './signIn';

const PASSWORD = 'one-time password 1';
const NEW_PASSWORD = 'a much better passphrase';
const T0 = Date.parse('2026-12-01T08:00:10.000Z'); // 10 s into a 30-second step

const codeAt = (secret: string, ms: number) => new TOTP({ secret: Secret.fromBase32(secret), digits: 6, period: 30, algorithm: 'SHA1' }).generate({ timestamp: ms });

describe.each(ENGINES)('console sign-in on %s', (engine) => {
  const t = useTestDatabase(engine);
  let clock = T0;
  const ctx = (): SignInContext => ({
    prisma: t.db.prisma,
    now: () => new Date(clock),
    sealKey: SEAL_KEY,
    policy: { ...DEFAULT_SIGN_IN_POLICY, maxFailures: 4, lockoutMs: 60_000, idleMs: 60_000, absoluteMs: 600_000 },
  });
  const SEAL_KEY = randomBytes(32);
  let secret = '';
  let session: ConsoleSession;
  let recovery: string[] = [];

  it('first sign-in: one-time password, forced change, then TOTP enrolment before anything else', async () => {
    const admin = await bootstrapAdministrator(ctx(), { username: 'admin', displayName: 'Admin', password: PASSWORD });
    if (!admin.ok) throw new Error(admin.error.code);
    expect((await requirePasswordChange(ctx(), admin.value.id)).ok).toBe(true);

    const first = await signIn(ctx(), { username: 'admin', password: PASSWORD });
    if (!first.ok) throw new Error(first.error.code);
    expect(first.value).toMatchObject({ passwordChangeRequired: true, enrolmentRequired: true, secondFactorAt: null });
    session = first.value;

    const same = await changeOwnPassword(ctx(), session, PASSWORD, PASSWORD);
    expect(!same.ok && same.error).toMatchObject({ code: 'PASSWORD_UNCHANGED', field: 'newPassword' });
    const wrong = await changeOwnPassword(ctx(), session, 'not the password', NEW_PASSWORD);
    expect(!wrong.ok && wrong.error).toMatchObject({ code: 'AUTHENTICATION_FAILED', field: 'currentPassword' });
    expect((await changeOwnPassword(ctx(), session, PASSWORD, NEW_PASSWORD)).ok).toBe(true);

    const enrolment = await beginEnrolment(ctx(), session.operator);
    if (!enrolment.ok) throw new Error(enrolment.error.code);
    secret = enrolment.value.secret;
    expect(enrolment.value.uri).toMatch(/^otpauth:\/\/totp\/TQ-CA:admin\?.*secret=/);
    expect((await pendingEnrolment(ctx(), session.operator)).ok && (await pendingEnrolment(ctx(), session.operator))).toMatchObject({ value: { secret } });
    // The secret is sealed at rest: the stored bytes do not contain it.
    const stored = await t.db.prisma.operatorSecondFactor.findUniqueOrThrow({ where: { operatorId: session.operator.id } });
    expect(Buffer.from(stored.secretSealed).includes(Buffer.from(Secret.fromBase32(secret).buffer))).toBe(false);

    const bad = await confirmEnrolment(ctx(), session.operator, '000000', session.id);
    expect(!bad.ok && bad.error.code).toBe('SECOND_FACTOR_INVALID');
    const confirmed = await confirmEnrolment(ctx(), session.operator, codeAt(secret, clock), session.id);
    if (!confirmed.ok) throw new Error(confirmed.error.code);
    recovery = confirmed.value;
    expect(recovery).toHaveLength(10);
    expect(new Set(recovery).size).toBe(10);

    const resumed = await resumeSession(ctx(), session.id);
    expect(resumed.ok && resumed.value).toMatchObject({ passwordChangeRequired: false, enrolmentRequired: false, secondFactorAt: new Date(clock) });
  });

  it('accepts a code once, within one step of drift, and a recovery code once', async () => {
    const attempt = (code?: string) => signIn(ctx(), { username: 'admin', password: NEW_PASSWORD, code });
    expect(await attempt()).toMatchObject({ ok: false, error: { code: 'SECOND_FACTOR_REQUIRED', field: 'code' } });
    // The code that confirmed enrolment is used up, and so is any earlier step.
    expect(await attempt(codeAt(secret, clock))).toMatchObject({ ok: false, error: { code: 'SECOND_FACTOR_INVALID' } });
    expect(await attempt(codeAt(secret, clock - 30_000))).toMatchObject({ ok: false, error: { code: 'SECOND_FACTOR_INVALID' } });
    expect((await attempt(codeAt(secret, clock + 60_000))).ok).toBe(false); // two steps ahead: beyond the drift
    expect((await attempt(codeAt(secret, clock + 30_000))).ok).toBe(true); // one step ahead: accepted (and resets the failures)

    expect((await attempt(recovery[0].toLowerCase())).ok).toBe(true);
    expect(await attempt(recovery[0])).toMatchObject({ ok: false, error: { code: 'SECOND_FACTOR_INVALID' } });
    await t.db.prisma.operatorSignIn.update({ where: { operatorId: session.operator.id }, data: { failedAttempts: 0 } });
  });

  it('locks the account after the policy’s failures and audits each failure after the refusal', async () => {
    const before = await headSeq(t.db.prisma);
    for (let i = 0; i < 4; i++) {
      expect(await signIn(ctx(), { username: 'admin', password: 'wrong password!' })).toMatchObject({ ok: false, error: { code: 'AUTHENTICATION_FAILED' } });
    }
    clock += 30_000;
    const locked = await signIn(ctx(), { username: 'admin', password: NEW_PASSWORD, code: codeAt(secret, clock) });
    expect(!locked.ok && locked.error.code).toBe('OPERATOR_LOCKED');
    const failures = (await eventsAfter(t.db.prisma, before)).filter((e) => e.action === 'operator.signIn.failed');
    expect(failures.map((e) => (e.details as { code: string }).code)).toEqual([...Array(4).fill('AUTHENTICATION_FAILED'), 'OPERATOR_LOCKED']);
    expect(failures[2].details).not.toHaveProperty('lockedUntil');
    expect(failures[3].details).toHaveProperty('lockedUntil');

    clock += 60_000; // the lockout passes
    const back = await signIn(ctx(), { username: 'admin', password: NEW_PASSWORD, code: codeAt(secret, clock) });
    expect(back.ok).toBe(true);
    const unknown = await signIn(ctx(), { username: 'nobody', password: 'whatever it is' });
    expect(!unknown.ok && unknown.error.code).toBe('AUTHENTICATION_FAILED');
    expect((await eventsAfter(t.db.prisma, before)).at(-1)).toMatchObject({ action: 'operator.signIn.failed', objectId: 'unknown:nobody' });
    if (back.ok) session = back.value;
  });

  it('ends sessions after the idle and the absolute limit, and on sign-out', async () => {
    clock += 59_000;
    expect((await resumeSession(ctx(), session.id)).ok).toBe(true); // touched: idle restarts
    clock += 59_000;
    expect((await resumeSession(ctx(), session.id)).ok).toBe(true);
    clock += 60_000;
    expect(await resumeSession(ctx(), session.id)).toMatchObject({ ok: false, error: { code: 'SESSION_EXPIRED', details: { reason: 'idle' } } });
    expect(await resumeSession(ctx(), session.id)).toMatchObject({ ok: false, error: { code: 'SESSION_EXPIRED' } });

    clock += 30_000;
    const busy = await signIn(ctx(), { username: 'admin', password: NEW_PASSWORD, code: codeAt(secret, clock) });
    if (!busy.ok) throw new Error(busy.error.code);
    for (let i = 0; i < 11; i++) {
      clock += 50_000;
      expect((await resumeSession(ctx(), busy.value.id)).ok).toBe(true);
    }
    clock += 50_000; // 550 s of activity + 50 s: the absolute 600 s limit
    expect(await resumeSession(ctx(), busy.value.id)).toMatchObject({ ok: false, error: { details: { reason: 'absolute' } } });

    clock += 30_000;
    const next = await signIn(ctx(), { username: 'admin', password: NEW_PASSWORD, code: codeAt(secret, clock) });
    if (!next.ok) throw new Error(next.error.code);
    expect((await endSession(ctx(), next.value.id, 'signOut')).ok).toBe(true);
    expect((await resumeSession(ctx(), next.value.id)).ok).toBe(false);
    expect(await resumeSession(ctx(), 'x'.repeat(43))).toMatchObject({ ok: false, error: { code: 'SESSION_EXPIRED' } });
  });

  it('step-up: a fresh code within five minutes, each code once', async () => {
    clock += 30_000;
    const signedIn = await signIn(ctx(), { username: 'admin', password: NEW_PASSWORD, code: codeAt(secret, clock) });
    if (!signedIn.ok) throw new Error(signedIn.error.code);
    const now = () => new Date(clock);
    expect(requireFreshSecondFactor(signedIn.value, now()).ok).toBe(true);
    clock += 5 * 60_000 + 1;
    expect(requireFreshSecondFactor(signedIn.value, now())).toMatchObject({ ok: false, error: { code: 'STEP_UP_REQUIRED' } });
    const lastUsed = codeAt(secret, clock - 5 * 60_000 - 1);
    expect(await confirmSecondFactor(ctx(), signedIn.value, lastUsed)).toMatchObject({ ok: false, error: { code: 'SECOND_FACTOR_INVALID' } });
    expect((await confirmSecondFactor(ctx(), signedIn.value, codeAt(secret, clock))).ok).toBe(true);
    const fresh = await t.db.prisma.consoleSession.findUniqueOrThrow({ where: { id: signedIn.value.id } });
    expect(requireFreshSecondFactor({ ...signedIn.value, secondFactorAt: fresh.secondFactorAt }, now()).ok).toBe(true);
  });
});
