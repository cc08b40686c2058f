// Operators for tests, made as the console makes them: created with a one-time password, which
// the new operator replaces (with `password`) before acting.
import type { Operator, ServiceContext } from '../../lib/ca/context';
import { changeOperator, type ChangeOutcome } from '../../lib/ca/operatorChanges';
import { sealGovernance } from '../../lib/ca/governance';
import { authenticate, bootstrapAdministrator, changePassword, type OperatorRole } from '../../lib/ca/operators';
import { unwrap, type Result } from '../../lib/errors';

/** The created operator signs in with the one-time password its creation handed out and sets `password`. */
export async function takeOver(ctx: ServiceContext, created: Result<ChangeOutcome>, password: string): Promise<Operator> {
  const { operator, oneTimePassword } = unwrap(created);
  unwrap(await changePassword(ctx, operator!.username, oneTimePassword!, password));
  return unwrap(await authenticate(ctx, operator!.username, password));
}

/** Before the seal: `admin` creates the operator at once. */
export async function bootstrapOperator(ctx: ServiceContext, admin: Operator, username: string, role: OperatorRole, password: string): Promise<Operator> {
  return takeOver(ctx, await changeOperator(ctx, admin, { kind: 'CREATE', operator: { username, displayName: username, roles: [role] } }), password);
}

/**
 * The bootstrap of a fresh console: `admin` (with `password`), a second administrator `admin2` and
 * `operators`, each signed in with `password`, then the governance seal. The set must hold at least
 * two officers for the seal to take it.
 */
export async function sealedOperatorSet(
  ctx: ServiceContext,
  password: string,
  operators: readonly (readonly [username: string, role: OperatorRole])[],
): Promise<Record<string, Operator>> {
  unwrap(await bootstrapAdministrator(ctx, { username: 'admin', displayName: 'Administrator', password }));
  const admin = unwrap(await authenticate(ctx, 'admin', password));
  const made: Record<string, Operator> = { admin };
  for (const [username, role] of [['admin2', 'ADMIN'] as const, ...operators]) made[username] = await bootstrapOperator(ctx, admin, username, role, password);
  unwrap(await sealGovernance(ctx, admin));
  return made;
}
