/**
 * One service step = one database transaction. Inside, a failed rule throws a TqException so
 * that everything the step wrote — its audit event included — rolls back; outside, the caller
 * gets the TqError as a value. A unique or check violation that slipped past the step's own
 * checks (a concurrent writer) becomes the typed error `known` names for its constraint, or
 * DB_CONSTRAINT. Anything else (a lost connection, a bug) propagates unchanged.
 */
import { ok, TqException, type ErrorCode, type Result, type TqError } from '../errors';
import type { PrismaClient } from '../db/generated/client';
import type { Tx } from '../db/client';
import { violationError } from '../db/errors';

/** Long enough for the HSM look-ups a ceremony's checks make inside their transaction. */
const TRANSACTION_TIMEOUT_MS = 30_000;

export async function transact<T>(
  prisma: PrismaClient,
  step: (tx: Tx) => Promise<T>,
  known: Readonly<Record<string, TqError>> = {},
): Promise<Result<T>> {
  try {
    return ok(await prisma.$transaction(step, { timeout: TRANSACTION_TIMEOUT_MS, maxWait: TRANSACTION_TIMEOUT_MS }));
  } catch (thrown) {
    if (thrown instanceof TqException) return { ok: false, error: thrown.error };
    return { ok: false, error: violationError(thrown, known) };
  }
}

/** Aborts the current transaction with a typed error. */
export function refuse(code: ErrorCode, message: string, where: Omit<TqError, 'code' | 'message'> = {}): never {
  throw new TqException({ code, message, ...where });
}

/** Aborts the current transaction with an error the checks produced. */
export function refuseWith(error: TqError): never {
  throw new TqException(error);
}

