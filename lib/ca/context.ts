/**
 * What every CA service takes: the database and a clock (an input, so tests and recovery name
 * the instant), and the authenticated operator it acts for. Services that need more (the HSM,
 * the center id) take a context that extends this one.
 */
import { err, ok, unwrap, type Result } from '../errors';
import type { PrismaClient } from '../db/client';
import type { OperatorRole } from '../db/generated/enums';

export interface ServiceContext {
  readonly prisma: PrismaClient;
  now(): Date;
  /**
   * Told after a committed change that alters what a bundle lists (an issuance, a revocation —
   * an issuer's withdrawal included —, a root-key transition), so the publisher (lib/publication,
   * wired by lib/runtime) builds the next version. Called outside the change's transaction; its
   * failure does not undo the change, and the publication timer retries.
   */
  readonly changed?: (reason: PublishableChange) => Promise<void>;
}

export type PublishableChange = 'issuance' | 'revocation' | 'rootKey';

/** Tells the publisher, if one is wired in, that a committed change needs a new bundle. */
export async function announceChange(ctx: ServiceContext, reason: PublishableChange): Promise<void> {
  if (ctx.changed) await ctx.changed(reason);
}

/** An operator who authenticated (lib/ca/operators.ts `authenticate`); services attribute and authorise by it. */
export interface Operator {
  readonly id: number;
  readonly username: string;
  readonly displayName: string;
  readonly roles: readonly OperatorRole[];
}

export const systemNow = (): Date => new Date();

/** OPERATOR_FORBIDDEN unless the operator holds one of `roles`. */
export function checkRole(operator: Operator, roles: readonly OperatorRole[], action: string): Result<void> {
  if (roles.some((r) => operator.roles.includes(r))) return ok(undefined);
  return err('OPERATOR_FORBIDDEN', `${operator.username} may not ${action}: needs role ${roles.join(' or ')}`, {
    details: { operator: operator.username, roles: [...operator.roles], required: [...roles] },
  });
}

/** checkRole, thrown: inside a service step it rolls the transaction back. */
export const requireRole = (operator: Operator, roles: readonly OperatorRole[], action: string): void => unwrap(checkRole(operator, roles, action));
