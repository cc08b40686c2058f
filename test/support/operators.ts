// Operators for tests, made as the console makes them: created with a one-time password, which
// the new operator replaces (with `password`) before acting.
import type { Operator, ServiceContext } from '../../lib/ca/context';
import { changeOperator, type ChangeOutcome } from '../../lib/ca/operatorChanges';
import { authenticate, changePassword, type OperatorRole } from '../../lib/ca/operators';
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
