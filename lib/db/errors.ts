// Database constraint violations as typed errors. Prisma 7 with driver adapters reports a unique
// violation as P2002 without `meta.target`, and the constraint appears in different places per
// adapter (pg: `constraint.index`; PGlite: `constraint.fields`); the server's own message names it
// on both, so that is what is read.
import type { TqError } from '../errors';

export interface ConstraintViolation {
  readonly kind: 'unique' | 'check' | 'foreignKey';
  /** The constraint's name as the migration created it, e.g. `operator_username_key`. */
  readonly constraint: string;
}

interface AdapterCause {
  originalCode?: string;
  originalMessage?: string;
}

const KIND_BY_SQLSTATE: Record<string, ConstraintViolation['kind']> = { '23505': 'unique', '23514': 'check', '23503': 'foreignKey' };

function adapterCause(thrown: unknown): AdapterCause | undefined {
  const meta = (thrown as { meta?: { driverAdapterError?: { cause?: AdapterCause } } } | null)?.meta;
  return meta?.driverAdapterError?.cause;
}

/** The constraint a database error violated, if that is what it is. */
export function constraintViolation(thrown: unknown): ConstraintViolation | undefined {
  const cause = adapterCause(thrown);
  const kind = cause?.originalCode ? KIND_BY_SQLSTATE[cause.originalCode] : undefined;
  const name = cause?.originalMessage?.match(/constraint "([^"]+)"/)?.[1];
  return kind && name ? { kind, constraint: name } : undefined;
}

/**
 * Turns a violation of one of `known` into its TqError; any other violation into DB_CONSTRAINT
 * (input the service's own checks let through); anything else is rethrown unchanged.
 */
export function violationError(thrown: unknown, known: Readonly<Record<string, TqError>> = {}): TqError {
  const violation = constraintViolation(thrown);
  if (!violation) throw thrown;
  return (
    known[violation.constraint] ?? {
      code: 'DB_CONSTRAINT',
      message: `the database refused the change (${violation.kind} constraint ${violation.constraint})`,
      details: { ...violation },
    }
  );
}
