import { describe, expect, it } from 'vitest';
import { ENGINES, breakAuditWrites, eventsAfter, headSeq, useTestDatabase } from '../../test/support/databases';
import { verifyStoredChain } from '../audit';
import type { Operator } from './context';
import { authenticate, bootstrapAdministrator, createOperator, hashPassword, listOperators, setOperatorStatus, verifyPassword } from './operators';

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

describe.each(ENGINES)('operators on %s', (engine) => {
  const t = useTestDatabase(engine);
  let admin: Operator;

  it('bootstraps the first administrator once, attributed to "system", with one audit event', async () => {
    const before = await headSeq(t.db.prisma);
    const created = await bootstrapAdministrator(t.ctx, { username: 'root.admin', displayName: ' Root Admin ', password: PASSWORD, roles: ['AUDITOR'] });
    expect(created.ok && created.value).toMatchObject({ username: 'root.admin', displayName: 'Root Admin', roles: ['ADMIN', 'AUDITOR'], status: 'ACTIVE' });
    const events = await eventsAfter(t.db.prisma, before);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ actor: 'system', actorId: null, action: 'operator.create', objectType: 'operator', details: { username: 'root.admin', bootstrap: true } });
    expect(JSON.stringify(events[0].details)).not.toContain('scrypt');

    const again = await bootstrapAdministrator(t.ctx, { username: 'second', displayName: 'Second', password: PASSWORD });
    expect(!again.ok && again.error.code).toBe('OPERATOR_BOOTSTRAP_DONE');
    expect(await eventsAfter(t.db.prisma, before)).toHaveLength(1);

    const login = await authenticate(t.ctx, 'root.admin', PASSWORD);
    expect(login.ok).toBe(true);
    if (login.ok) admin = login.value;
  });

  it('lets an administrator create operators, each with exactly one event naming the administrator', async () => {
    const before = await headSeq(t.db.prisma);
    const officer = await createOperator(t.ctx, admin, { username: 'olivia', displayName: 'Olivia', password: PASSWORD, roles: ['OFFICER', 'OFFICER'] });
    const auditor = await createOperator(t.ctx, admin, { username: 'aud', displayName: 'Aud', password: PASSWORD, roles: ['AUDITOR'] });
    expect(officer.ok && officer.value.roles).toEqual(['OFFICER']);
    expect(auditor.ok).toBe(true);
    const events = await eventsAfter(t.db.prisma, before);
    expect(events.map((e) => [e.action, e.actor, e.actorId, (e.details as { username: string }).username])).toEqual([
      ['operator.create', 'root.admin', admin.id, 'olivia'],
      ['operator.create', 'root.admin', admin.id, 'aud'],
    ]);
  });

  it('refuses bad input, duplicates and non-administrators with typed errors and no event', async () => {
    const before = await headSeq(t.db.prisma);
    const officer = await authenticate(t.ctx, 'olivia', PASSWORD);
    if (!officer.ok) throw new Error('officer login failed');
    const cases = [
      [admin, { username: 'olivia', displayName: 'Again', password: PASSWORD, roles: ['OFFICER'] }, 'OPERATOR_EXISTS', 'username'],
      [admin, { username: 'Bad Name', displayName: 'X', password: PASSWORD, roles: ['OFFICER'] }, 'OPERATOR_INVALID', 'username'],
      [admin, { username: 'system', displayName: 'X', password: PASSWORD, roles: ['OFFICER'] }, 'OPERATOR_INVALID', 'username'],
      [admin, { username: 'shorty', displayName: 'X', password: 'short', roles: ['OFFICER'] }, 'PASSWORD_TOO_SHORT', 'password'],
      [admin, { username: 'noroles', displayName: 'X', password: PASSWORD, roles: [] }, 'OPERATOR_INVALID', 'roles'],
      [admin, { username: 'weird', displayName: 'X', password: PASSWORD, roles: ['toString'] }, 'OPERATOR_INVALID', 'roles'],
      [admin, { username: 'blank', displayName: '  ', password: PASSWORD, roles: ['OFFICER'] }, 'OPERATOR_INVALID', 'displayName'],
      [officer.value, { username: 'mallory', displayName: 'M', password: PASSWORD, roles: ['ADMIN'] }, 'OPERATOR_FORBIDDEN', undefined],
    ] as const;
    for (const [actor, input, code, field] of cases) {
      const r = await createOperator(t.ctx, actor, input as Parameters<typeof createOperator>[2]);
      expect(r.ok ? 'created' : [r.error.code, r.error.field]).toEqual([code, field]);
    }
    expect(await eventsAfter(t.db.prisma, before)).toHaveLength(0);
  });

  it('authenticates the right password only, with one answer for every failure', async () => {
    const ok = await authenticate(t.ctx, 'olivia', PASSWORD);
    expect(ok.ok && ok.value).toMatchObject({ username: 'olivia', displayName: 'Olivia', roles: ['OFFICER'] });
    for (const [username, password] of [['olivia', 'wrong password!'], ['nobody', PASSWORD], ['BAD NAME', PASSWORD], ['olivia', 'x'.repeat(5000)]]) {
      const r = await authenticate(t.ctx, username, password);
      expect(!r.ok && r.error.code).toBe('AUTHENTICATION_FAILED');
    }
  });

  it('disables and enables operators (audited); a disabled operator cannot sign in or act', async () => {
    const before = await headSeq(t.db.prisma);
    const disabled = await setOperatorStatus(t.ctx, admin, 'olivia', 'DISABLED');
    expect(disabled.ok && disabled.value.status).toBe('DISABLED');
    expect(!(await authenticate(t.ctx, 'olivia', PASSWORD)).ok).toBe(true);
    const enabled = await setOperatorStatus(t.ctx, admin, 'olivia', 'ACTIVE');
    expect(enabled.ok && enabled.value.status).toBe('ACTIVE');
    const unchanged = await setOperatorStatus(t.ctx, admin, 'olivia', 'ACTIVE');
    expect(unchanged.ok).toBe(true);
    const events = await eventsAfter(t.db.prisma, before);
    expect(events.map((e) => [e.action, e.details])).toEqual([
      ['operator.disable', { username: 'olivia', from: 'ACTIVE', to: 'DISABLED' }],
      ['operator.enable', { username: 'olivia', from: 'DISABLED', to: 'ACTIVE' }],
    ]);

    const second = await createOperator(t.ctx, admin, { username: 'admin2', displayName: 'Admin 2', password: PASSWORD, roles: ['ADMIN'] });
    const admin2 = second.ok ? await authenticate(t.ctx, 'admin2', PASSWORD) : second;
    if (!admin2.ok) throw new Error('admin2');
    expect((await setOperatorStatus(t.ctx, admin2.value, 'root.admin', 'DISABLED')).ok).toBe(true);
    // admin's session outlives its status: the service re-checks it
    const stale = await createOperator(t.ctx, admin, { username: 'late', displayName: 'Late', password: PASSWORD, roles: ['AUDITOR'] });
    expect(!stale.ok && stale.error.code).toBe('OPERATOR_DISABLED');
    const last = await setOperatorStatus(t.ctx, admin2.value, 'admin2', 'DISABLED');
    expect(!last.ok && last.error.code).toBe('OPERATOR_LAST_ADMIN');
    expect((await setOperatorStatus(t.ctx, admin2.value, 'root.admin', 'ACTIVE')).ok).toBe(true);
    const missing = await setOperatorStatus(t.ctx, admin2.value, 'ghost', 'DISABLED');
    expect(!missing.ok && missing.error.code).toBe('OPERATOR_NOT_FOUND');
  });

  it('lists operators for administrators and auditors, never their password hashes', async () => {
    const listed = await listOperators(t.ctx, admin);
    expect(listed.ok && listed.value.map((o) => o.username)).toEqual(['root.admin', 'olivia', 'aud', 'admin2']);
    expect(JSON.stringify(listed)).not.toContain('scrypt');
    const officer = await authenticate(t.ctx, 'olivia', PASSWORD);
    const refused = officer.ok ? await listOperators(t.ctx, officer.value) : officer;
    expect(!refused.ok && refused.error.code).toBe('OPERATOR_FORBIDDEN');
  });

  it('does not create the operator when its audit event cannot be written', async () => {
    const before = await headSeq(t.db.prisma);
    const repair = await breakAuditWrites(t.db.prisma);
    try {
      const r = await createOperator(t.ctx, admin, { username: 'ghost', displayName: 'Ghost', password: PASSWORD, roles: ['AUDITOR'] });
      expect(!r.ok && r.error.code).toBe('AUDIT_WRITE_FAILED');
      const disable = await setOperatorStatus(t.ctx, admin, 'olivia', 'DISABLED');
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
