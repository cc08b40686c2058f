/**
 * A forgotten password, reset under dual control: before the seal the administrator resets it
 * at once; after it one administrator asks and another approves, receiving the one-time password,
 * which the holder must replace; the holder's sessions end. The requester cannot approve, and the
 * database refuses a reset that no approval in the same transaction names.
 */
import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../../test/support/databases';
import { sealedOperatorSet } from '../../test/support/operators';
import { unwrap } from '../errors';
import type { Operator } from './context';
import { governanceReport } from './governanceReport';
import { approveOperatorChange, changeOperator } from './operatorChanges';
import { authenticate, changePassword } from './operators';

const PASSWORD = 'correct horse battery';

describe('password reset', () => {
  const t = useTestDatabase('pglite');
  let staff: Record<string, Operator>;

  it('after the seal: requested by one administrator, approved by another, who receives the one-time password', async () => {
    staff = await sealedOperatorSet(t.ctx, PASSWORD, [
      ['alice', 'OFFICER'],
      ['bob', 'OFFICER'],
    ]);
    const asked = unwrap(await changeOperator(t.ctx, staff.admin!, { kind: 'RESET_PASSWORD', username: 'alice' }));
    expect(asked).toMatchObject({ request: { state: 'PENDING', kind: 'RESET_PASSWORD', target: 'alice' }, operator: null });
    expect(asked.oneTimePassword).toBeUndefined();
    expect(unwrap(await authenticate(t.ctx, 'alice', PASSWORD)).username).toBe('alice'); // nothing changed yet

    const own = await approveOperatorChange(t.ctx, staff.admin!, asked.request!.id);
    expect(!own.ok && own.error.code).toBe('DUAL_CONTROL_SAME_ADMINISTRATOR');
    const approved = unwrap(await approveOperatorChange(t.ctx, staff.admin2!, asked.request!.id));
    expect(approved.oneTimePassword).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(approved.operator?.mustChangePassword).toBe(true);

    const old = await authenticate(t.ctx, 'alice', PASSWORD);
    expect(!old.ok && old.error.code).toBe('AUTHENTICATION_FAILED');
    const oneTime = await authenticate(t.ctx, 'alice', approved.oneTimePassword!);
    expect(!oneTime.ok && oneTime.error.code).toBe('PASSWORD_CHANGE_REQUIRED');
    unwrap(await changePassword(t.ctx, 'alice', approved.oneTimePassword!, 'a brand new passphrase'));
    expect(unwrap(await authenticate(t.ctx, 'alice', 'a brand new passphrase')).username).toBe('alice');
    const events = await t.db.prisma.auditEvent.findMany({ where: { action: 'operator.passwordReset' } });
    expect(events.map((e) => [e.actor, (e.details as { requestedBy?: string }).requestedBy])).toEqual([['admin2', 'admin']]);
    // The governance report replays it as a dual-controlled change of alice.
    const report = unwrap(await governanceReport(t.ctx, staff.admin!));
    expect(report.violations).toEqual([]);
    expect(report.operators.find((o) => o.username === 'alice')?.history.at(-1)).toMatchObject({ change: 'password reset', by: 'admin2', requestedBy: 'admin' });
  });

  it('refuses, in the database, a reset after the seal that no second administrator approved', async () => {
    await expect(
      t.db.prisma.$executeRawUnsafe(`UPDATE operator SET password_hash = 'x', must_change_password = true WHERE username = 'bob'`),
    ).rejects.toThrow('operator_change_governed');
  });
});
