import { describe, expect, it } from 'vitest';
import { ENGINES, breakAuditWrites, eventsAfter, headSeq, useTestDatabase } from '../../test/support/databases';
import { bootstrapOperator } from '../../test/support/operators';
import { verifyStoredChain } from '../audit';
import type { Operator } from './context';
import { changeOperator } from './operatorChanges';
import { authenticate, bootstrapAdministrator, changePassword, disableOperator, hashPassword, listOperators, LOCKOUT_MS, SIGN_IN_ATTEMPTS, verifyPassword } from './operators';
import { checkNewPassword } from './passwordPolicy';

const PASSWORD = 'correct horse battery';

describe('password hashes', () => {
  it('carry their scrypt parameters and verify only the right password', async () => {
    const hash = await hashPassword(PASSWORD);
    expect(hash).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{43}=$/);
    expect(await verifyPassword(PASSWORD, hash)).toBe(true);
    expect(await verifyPassword(`${PASSWORD}!`, hash)).toBe(false);
    expect(await hashPassword(PASSWORD)).not.toBe(hash); // salted
    expect(await verifyPassword(PASSWORD, 'plain')).toBe(false);
    expect(await verifyPassword(PASSWORD, hash.replace('$32768$', '$1000$'))).toBe(false); // N not a power of two
    expect(await verifyPassword(PASSWORD, hash.replace('$32768$', '$1073741824$'))).toBe(false); // beyond any memory limit
  });
});

describe('the password policy', () => {
  it.each([
    ['short', 'PASSWORD_TOO_SHORT'],
    ['1qaz2wsx3edc', 'PASSWORD_COMMON'],
    ['Password1234!', 'PASSWORD_COMMON'], // padded
    ['qwertyqwertyqwerty', 'PASSWORD_COMMON'], // repeated
    ['2024dragon!!!!', 'PASSWORD_COMMON'],
    ['x'.repeat(1025), 'OPERATOR_INVALID'],
  ])('refuses %s as %s', (password, code) => {
    const r = checkNewPassword(password);
    expect(!r.ok && r.error.code).toBe(code);
  });

  it('accepts a long uncommon password', () => {
    expect(checkNewPassword(PASSWORD).ok).toBe(true);
    expect(checkNewPassword('tq-ca 交通一卡通 2026').ok).toBe(true);
  });
});

describe.each(ENGINES)('operators on %s', (engine) => {
  const t = useTestDatabase(engine);
  let admin: Operator;
  let olivia: Operator;

  it('bootstraps the first administrator once, attributed to "system", alone in its role', async () => {
    const before = await headSeq(t.db.prisma);
    for (const roles of [['OFFICER'], ['AUDITOR']] as const) {
      const mallory = await bootstrapAdministrator(t.ctx, { username: 'mallory', displayName: 'M', password: PASSWORD, roles });
      expect(!mallory.ok && mallory.error.code).toBe('ROLE_CONFLICT');
    }
    const common = await bootstrapAdministrator(t.ctx, { username: 'root.admin', displayName: 'Root Admin', password: 'qwerty123456' });
    expect(!common.ok && common.error.code).toBe('PASSWORD_COMMON');
    const created = await bootstrapAdministrator(t.ctx, { username: 'root.admin', displayName: ' Root Admin ', password: PASSWORD });
    expect(created.ok && created.value).toMatchObject({ username: 'root.admin', displayName: 'Root Admin', roles: ['ADMIN'], status: 'ACTIVE', mustChangePassword: false });
    const events = await eventsAfter(t.db.prisma, before);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ actor: 'system', actorId: null, action: 'operator.create', objectType: 'operator', details: { username: 'root.admin', bootstrap: true } });
    expect(JSON.stringify(events[0].details)).not.toContain('scrypt');

    const again = await bootstrapAdministrator(t.ctx, { username: 'second', displayName: 'Second', password: PASSWORD });
    expect(!again.ok && again.error.code).toBe('OPERATOR_BOOTSTRAP_DONE');
    expect(await eventsAfter(t.db.prisma, before)).toHaveLength(1);
    const signedIn = await authenticate(t.ctx, 'root.admin', PASSWORD);
    if (!signedIn.ok) throw new Error(signedIn.error.code);
    admin = signedIn.value;
  });

  it('gives a new account a one-time password, shown once and never logged: it may only be changed', async () => {
    const before = await headSeq(t.db.prisma);
    const created = await changeOperator(t.ctx, admin, { kind: 'CREATE', operator: { username: 'olivia', displayName: 'Olivia', roles: ['OFFICER', 'OFFICER'] } });
    if (!created.ok) throw new Error(created.error.code);
    const oneTime = created.value.oneTimePassword!;
    expect(created.value.operator).toMatchObject({ username: 'olivia', roles: ['OFFICER'], mustChangePassword: true });
    expect(created.value.request).toBeNull(); // before the seal: at once
    const locked = await authenticate(t.ctx, 'olivia', oneTime);
    expect(!locked.ok && locked.error.code).toBe('PASSWORD_CHANGE_REQUIRED');
    expect((await changePassword(t.ctx, 'olivia', oneTime, oneTime)).ok).toBe(false);
    const common = await changePassword(t.ctx, 'olivia', oneTime, 'iloveyou1234');
    expect(!common.ok && common.error.code).toBe('PASSWORD_COMMON');
    const changed = await changePassword(t.ctx, 'olivia', oneTime, PASSWORD);
    expect(changed.ok && [changed.value.replacedOneTimePassword, changed.value.operator.mustChangePassword]).toEqual([true, false]);
    const signedIn = await authenticate(t.ctx, 'olivia', PASSWORD);
    if (!signedIn.ok) throw new Error(signedIn.error.code);
    olivia = signedIn.value;
    const events = await eventsAfter(t.db.prisma, before);
    expect(events.map((e) => [e.action, e.actor])).toEqual([
      ['operator.create', 'root.admin'],
      ['operator.passwordChanged', 'olivia'],
    ]);
    expect(events[0].details).toMatchObject({ roles: ['OFFICER'], oneTimePassword: true });
    const allDetails = JSON.stringify(await t.db.prisma.auditEvent.findMany({ select: { details: true } }));
    expect(allDetails).not.toContain(oneTime);
    expect(allDetails).not.toContain(PASSWORD);
  });

  it('refuses bad input, duplicates, role conflicts and non-administrators with typed errors and no event', async () => {
    const before = await headSeq(t.db.prisma);
    const cases = [
      [admin, { username: 'olivia', displayName: 'Again', roles: ['OFFICER'] }, 'OPERATOR_EXISTS', 'username'],
      [admin, { username: 'Bad Name', displayName: 'X', roles: ['OFFICER'] }, 'OPERATOR_INVALID', 'username'],
      [admin, { username: 'system', displayName: 'X', roles: ['OFFICER'] }, 'OPERATOR_INVALID', 'username'],
      [admin, { username: 'noroles', displayName: 'X', roles: [] }, 'OPERATOR_INVALID', 'roles'],
      [admin, { username: 'weird', displayName: 'X', roles: ['toString'] }, 'OPERATOR_INVALID', 'roles'],
      [admin, { username: 'blank', displayName: '  ', roles: ['OFFICER'] }, 'OPERATOR_INVALID', 'displayName'],
      [admin, { username: 'mallory', displayName: 'M', roles: ['ADMIN', 'OFFICER'] }, 'ROLE_CONFLICT', 'roles'],
      [admin, { username: 'mallory', displayName: 'M', roles: ['AUDITOR', 'OFFICER'] }, 'ROLE_CONFLICT', 'roles'],
      [olivia, { username: 'mallory', displayName: 'M', roles: ['ADMIN'] }, 'OPERATOR_FORBIDDEN', undefined],
    ] as const;
    for (const [actor, operator, code, field] of cases) {
      const r = await changeOperator(t.ctx, actor, { kind: 'CREATE', operator: operator as never });
      expect(r.ok ? 'created' : [r.error.code, r.error.field]).toEqual([code, field]);
    }
    const conflict = await changeOperator(t.ctx, admin, { kind: 'SET_ROLES', username: 'olivia', roles: ['OFFICER', 'ADMIN'] });
    expect(!conflict.ok && conflict.error.code).toBe('ROLE_CONFLICT');
    expect(await eventsAfter(t.db.prisma, before)).toHaveLength(0);
  });

  it('audits failed sign-ins against an account, locks it after five, and writes nothing for unknown names', async () => {
    const before = await headSeq(t.db.prisma);
    for (const [username, password] of [['nobody', PASSWORD], ['BAD NAME', PASSWORD], ['olivia', 'x'.repeat(5000)]]) {
      const r = await authenticate(t.ctx, username, password);
      expect(!r.ok && r.error.code).toBe('AUTHENTICATION_FAILED');
    }
    for (let i = 2; i < SIGN_IN_ATTEMPTS; i++) expect((await authenticate(t.ctx, 'olivia', `wrong password ${i}`)).ok).toBe(false);
    expect((await authenticate(t.ctx, 'olivia', PASSWORD)).ok).toBe(true); // a success clears the count
    for (let i = 1; i <= SIGN_IN_ATTEMPTS + 3; i++) expect((await authenticate(t.ctx, 'olivia', `wrong password ${i}`)).ok).toBe(false);
    const locked = await authenticate(t.ctx, 'olivia', PASSWORD);
    expect(!locked.ok && locked.error.code).toBe('AUTHENTICATION_FAILED'); // the right password, but locked
    const events = await eventsAfter(t.db.prisma, before);
    // 1 (too long) + 3, cleared; then 5 (the fifth locks); none while locked, none for unknown names
    expect(events.map((e) => [e.action, e.actor, (e.details as { attempt: number }).attempt])).toEqual(
      [1, 2, 3, 4, 1, 2, 3, 4, 5].map((attempt) => ['operator.signInFailed', 'system', attempt]),
    );
    expect((events.at(-1)!.details as { lockedUntil: string }).lockedUntil).not.toBeNull();
    // The lockout ends by itself.
    const later = { ...t.ctx, now: () => new Date(t.ctx.now().getTime() + LOCKOUT_MS + 60_000) };
    expect((await authenticate(later, 'olivia', PASSWORD)).ok).toBe(true);
  });

  it('disables at once (one administrator), never the last administrator; a disabled operator cannot sign in or act', async () => {
    const before = await headSeq(t.db.prisma);
    const disabled = await disableOperator(t.ctx, admin, 'olivia');
    expect(disabled.ok && disabled.value.status).toBe('DISABLED');
    expect(!(await authenticate(t.ctx, 'olivia', PASSWORD)).ok).toBe(true);
    const enabled = await changeOperator(t.ctx, admin, { kind: 'ENABLE', username: 'olivia' });
    expect(enabled.ok && enabled.value.operator?.status).toBe('ACTIVE');
    const events = await eventsAfter(t.db.prisma, before);
    expect(events.map((e) => [e.action, (e.details as { to?: string }).to])).toEqual([
      ['operator.disable', 'DISABLED'],
      ['operator.signInFailed', undefined],
      ['operator.enable', 'ACTIVE'],
    ]);

    const admin2 = await bootstrapOperator(t.ctx, admin, 'admin2', 'ADMIN', PASSWORD);
    expect((await disableOperator(t.ctx, admin2, 'root.admin')).ok).toBe(true);
    // admin's session outlives its status: the service re-checks it
    const stale = await changeOperator(t.ctx, admin, { kind: 'CREATE', operator: { username: 'late', displayName: 'Late', roles: ['AUDITOR'] } });
    expect(!stale.ok && stale.error.code).toBe('OPERATOR_DISABLED');
    const last = await disableOperator(t.ctx, admin2, 'admin2');
    expect(!last.ok && last.error.code).toBe('OPERATOR_LAST_ADMIN');
    const demote = await changeOperator(t.ctx, admin2, { kind: 'SET_ROLES', username: 'admin2', roles: ['AUDITOR'] });
    expect(!demote.ok && demote.error.code).toBe('OPERATOR_LAST_ADMIN');
    expect((await changeOperator(t.ctx, admin2, { kind: 'ENABLE', username: 'root.admin' })).ok).toBe(true);
    const missing = await disableOperator(t.ctx, admin2, 'ghost');
    expect(!missing.ok && missing.error.code).toBe('OPERATOR_NOT_FOUND');
  });

  it('lists operators for administrators and auditors, never their password hashes', async () => {
    const listed = await listOperators(t.ctx, admin);
    expect(listed.ok && listed.value.map((o) => o.username)).toEqual(['root.admin', 'olivia', 'admin2']);
    expect(JSON.stringify(listed)).not.toContain('scrypt');
    const refused = await listOperators(t.ctx, olivia);
    expect(!refused.ok && refused.error.code).toBe('OPERATOR_FORBIDDEN');
  });

  it('does not change the operator when its audit event cannot be written', async () => {
    const before = await headSeq(t.db.prisma);
    const repair = await breakAuditWrites(t.db.prisma);
    try {
      const r = await changeOperator(t.ctx, admin, { kind: 'CREATE', operator: { username: 'ghost', displayName: 'Ghost', roles: ['AUDITOR'] } });
      expect(!r.ok && r.error.code).toBe('AUDIT_WRITE_FAILED');
      const disable = await disableOperator(t.ctx, admin, 'olivia');
      expect(!disable.ok && disable.error.code).toBe('AUDIT_WRITE_FAILED');
    } finally {
      await repair();
    }
    expect(await t.db.prisma.operator.findUnique({ where: { username: 'ghost' } })).toBeNull();
    expect((await t.db.prisma.operator.findUniqueOrThrow({ where: { username: 'olivia' } })).status).toBe('ACTIVE');
    expect(await headSeq(t.db.prisma)).toBe(before);
    expect((await verifyStoredChain(t.db.prisma)).ok).toBe(true);
  });
});
