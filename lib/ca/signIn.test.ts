import { randomBytes } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';
import { describe, expect, it } from 'vitest';
import { ENGINES, eventsAfter, headSeq, useTestDatabase } from '../../test/support/databases';
import { sealGovernance } from './governance';
import { approveOperatorChange, changeOperator } from './operatorChanges';
import { bootstrapAdministrator, changePassword, LOCKOUT_MS, SIGN_IN_ATTEMPTS } from './operators';
import { beginEnrolment, confirmEnrolment, pendingEnrolment } from './secondFactor';
import { confirmSecondFactor, endSession, requireFreshSecondFactor, resumeSession, signIn, type ConsoleSession, type SignInContext } from './signIn';

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
    policy: { idleMs: 60_000, absoluteMs: 600_000, stepUpMaxAgeMs: 300_000 },
  });
  const SEAL_KEY = randomBytes(32);
  let secret = '';
  let session: ConsoleSession;
  let recovery: string[] = [];
  const failures = async () => (await t.db.prisma.operator.findUniqueOrThrow({ where: { username: 'admin' } })).failedSignIns;

  it('first sign-in: one-time password, forced change, then TOTP enrolment before anything else', async () => {
    const admin = await bootstrapAdministrator(ctx(), { username: 'admin', displayName: 'Admin', password: PASSWORD, oneTimePassword: true });
    if (!admin.ok) throw new Error(admin.error.code);

    // authenticate's PASSWORD_CHANGE_REQUIRED: the session opens, limited to the password change.
    const first = await signIn(ctx(), { username: 'admin', password: PASSWORD });
    if (!first.ok) throw new Error(first.error.code);
    expect(first.value).toMatchObject({ passwordChangeRequired: true, enrolmentRequired: true, secondFactorAt: null });
    session = first.value;

    const other = await signIn(ctx(), { username: 'admin', password: PASSWORD });
    const same = await changePassword(ctx(), 'admin', PASSWORD, PASSWORD, session.id);
    expect(!same.ok && same.error.code).toBe('PASSWORD_UNCHANGED');
    const wrong = await changePassword(ctx(), 'admin', 'not the password', NEW_PASSWORD, session.id);
    expect(!wrong.ok && wrong.error.code).toBe('AUTHENTICATION_FAILED');
    expect(await changePassword(ctx(), 'admin', PASSWORD, NEW_PASSWORD, session.id)).toMatchObject({ ok: true, value: { replacedOneTimePassword: true } });
    expect(await failures()).toBe(0); // the change was a whole sign-in
    // Whoever else held the one-time password is signed out; the changing session goes on.
    expect(other.ok && (await resumeSession(ctx(), other.value.id))).toMatchObject({ ok: false, error: { code: 'SESSION_EXPIRED' } });
    expect(await resumeSession(ctx(), session.id)).toMatchObject({ ok: true, value: { passwordChangeRequired: false, enrolmentRequired: true } });

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
    // Wrong codes count on the account's one counter (a missing code does not); a right password alone does not clear it.
    expect(await failures()).toBe(3);
    const before = await headSeq(t.db.prisma);
    expect((await attempt(codeAt(secret, clock + 30_000))).ok).toBe(true); // one step ahead: accepted (and clears the failures)
    expect(await failures()).toBe(0);
    // The success is in the log, with the session it opened.
    expect((await eventsAfter(t.db.prisma, before)).map((e) => [e.actor, e.action, e.details])).toEqual([
      ['admin', 'operator.signIn.succeeded', { secondFactor: 'totp', passwordChangeOnly: false }],
    ]);

    expect((await attempt(recovery[0].toLowerCase())).ok).toBe(true);
    expect(await attempt(recovery[0])).toMatchObject({ ok: false, error: { code: 'SECOND_FACTOR_INVALID' } });
    clock += 90_000;
    expect((await attempt(codeAt(secret, clock))).ok).toBe(true);
  });

  it('locks the account after five failures, password or code, and audits each', async () => {
    const before = await headSeq(t.db.prisma);
    for (let i = 1; i < SIGN_IN_ATTEMPTS; i++) {
      expect(await signIn(ctx(), { username: 'admin', password: 'wrong password!' })).toMatchObject({ ok: false, error: { code: 'AUTHENTICATION_FAILED' } });
    }
    clock += 30_000;
    expect(await signIn(ctx(), { username: 'admin', password: NEW_PASSWORD, code: 'not-a-code' })).toMatchObject({ ok: false, error: { code: 'SECOND_FACTOR_INVALID' } });
    // Locked: the right password and code answer as a wrong password would, and nothing more is recorded.
    const locked = await signIn(ctx(), { username: 'admin', password: NEW_PASSWORD, code: codeAt(secret, clock) });
    expect(!locked.ok && locked.error.code).toBe('AUTHENTICATION_FAILED');
    const failed = (await eventsAfter(t.db.prisma, before)).filter((e) => e.action === 'operator.signInFailed');
    expect(failed.map((e) => (e.details as { reason: string }).reason)).toEqual([...Array(SIGN_IN_ATTEMPTS - 1).fill('password'), 'secondFactor']);
    expect(failed[SIGN_IN_ATTEMPTS - 2].details).toMatchObject({ lockedUntil: null });
    expect(failed[SIGN_IN_ATTEMPTS - 1].details).toMatchObject({ lockedUntil: expect.any(String) });

    clock += LOCKOUT_MS; // the lockout passes
    const back = await signIn(ctx(), { username: 'admin', password: NEW_PASSWORD, code: codeAt(secret, clock) });
    expect(back.ok).toBe(true);
    const seen = await headSeq(t.db.prisma);
    const unknown = await signIn(ctx(), { username: 'nobody', password: 'whatever it is' });
    expect(!unknown.ok && unknown.error.code).toBe('AUTHENTICATION_FAILED');
    expect(await eventsAfter(t.db.prisma, seen)).toEqual([]);
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

  it('a reset second factor is gone: the next sign-in needs no code and enrolment comes first again; after the seal only an approved reset removes it', async () => {
    const admin = session.operator;
    const create = async (username: string, roles: ('ADMIN' | 'OFFICER')[]) => {
      const made = await changeOperator(ctx(), admin, { kind: 'CREATE', operator: { username, displayName: username, roles } });
      if (!made.ok || !made.value.operator) throw new Error(made.ok ? 'not created' : made.error.code);
      return { id: made.value.operator.id, username, displayName: username, roles };
    };
    const second = await create('admin2', ['ADMIN']);
    await create('officer1', ['OFFICER']);
    await create('officer2', ['OFFICER']);

    // Before the seal a reset takes effect at once.
    expect(await changeOperator(ctx(), second, { kind: 'RESET_SECOND_FACTOR', username: 'admin' })).toMatchObject({ ok: true, value: { operator: { secondFactorEnrolled: false } } });
    expect(await t.db.prisma.operatorSecondFactor.count({ where: { operatorId: admin.id } })).toBe(0);
    expect(await t.db.prisma.operatorRecoveryCode.count({ where: { operatorId: admin.id } })).toBe(0);
    const fresh = await signIn(ctx(), { username: 'admin', password: NEW_PASSWORD });
    expect(fresh).toMatchObject({ ok: true, value: { enrolmentRequired: true, passwordChangeRequired: false } });
    expect(await changeOperator(ctx(), second, { kind: 'RESET_SECOND_FACTOR', username: 'admin' })).toMatchObject({ ok: false, error: { code: 'SECOND_FACTOR_NOT_ENROLLED' } });

    const again = await beginEnrolment(ctx(), admin);
    if (!again.ok) throw new Error(again.error.code);
    clock += 30_000;
    expect((await confirmEnrolment(ctx(), admin, codeAt(again.value.secret, clock))).ok).toBe(true);
    expect((await sealGovernance(ctx(), admin)).ok).toBe(true);

    // After the seal: the database refuses removing a confirmed second factor outside an approved reset…
    await expect(t.db.prisma.operatorSecondFactor.delete({ where: { operatorId: admin.id } })).rejects.toThrow(/RESET_SECOND_FACTOR after the governance seal/);
    // …the request alone changes nothing, the approval by a second administrator removes it.
    const asked = await changeOperator(ctx(), second, { kind: 'RESET_SECOND_FACTOR', username: 'admin' });
    if (!asked.ok || !asked.value.request) throw new Error(asked.ok ? 'no request' : asked.error.code);
    expect(await t.db.prisma.operatorSecondFactor.count({ where: { operatorId: admin.id } })).toBe(1);
    expect(await approveOperatorChange(ctx(), second, asked.value.request.id)).toMatchObject({ ok: false, error: { code: 'DUAL_CONTROL_SAME_ADMINISTRATOR' } });
    expect(await t.db.prisma.operatorSecondFactor.count({ where: { operatorId: admin.id } })).toBe(1);
    expect(await approveOperatorChange(ctx(), admin, asked.value.request.id)).toMatchObject({ ok: true, value: { operator: { secondFactorEnrolled: false } } });
    expect(await t.db.prisma.operatorSecondFactor.count({ where: { operatorId: admin.id } })).toBe(0);
    expect(await signIn(ctx(), { username: 'admin', password: NEW_PASSWORD })).toMatchObject({ ok: true, value: { enrolmentRequired: true } });
  });
});
