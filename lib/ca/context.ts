/**
 * What every CA service takes: the database and a clock (an input, so tests and recovery name
 * the instant), and the authenticated operator it acts for. Services that need more (the HSM,
 * the center id) take a context that extends this one.
 */
import { err, ok, unwrap, type Result, type TqError } from '../errors';
import type { PrismaClient, Tx } from '../db/client';
import { violationError } from '../db/errors';
import type { OperatorRole } from '../db/generated/enums';
import { transact } from './transaction';

export interface ServiceContext {
  readonly prisma: PrismaClient;
  now(): Date;
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

/**
 * One service step in one transaction (lib/ca/transaction `transact`). A unique or check
 * violation that slipped past the step's own checks (a concurrent writer) becomes the typed error
 * `known` names for its constraint, or DB_CONSTRAINT.
 */
export async function serviceStep<T>(ctx: ServiceContext, work: (tx: Tx) => Promise<T>, known: Readonly<Record<string, TqError>> = {}): Promise<Result<T>> {
  try {
    return await transact(ctx.prisma, work);
  } catch (thrown) {
    return { ok: false, error: violationError(thrown, known) };
  }
}
