/**
 * Errors are values. Every failure the product reports (codec, crypto, HSM, CA service)
 * is a TqError with a stable machine code declared in the registry (registry.ts); `field` and
 * `offset` say where in the input. The UI, the HTTP API (problem.ts) and the CLI all render the
 * same object.
 */
import { isErrorCode, type ErrorCode } from './registry';

export * from './registry';
export * from './problem';

export interface TqError {
  /** Stable, upper-snake machine code, e.g. `CERT_FORMAT`, `BCD_INVALID`; declared in codes/. */
  readonly code: ErrorCode;
  /** Human-readable explanation (English); UIs may localise by code. */
  readonly message: string;
  /** Name of the field at fault, as the profile names it (e.g. `expiry`, `issuerKeyX`). */
  readonly field?: string;
  /** Byte offset of the field at fault within the decoded structure. */
  readonly offset?: number;
  /** Extra machine-readable context (expected/actual values, limits). */
  readonly details?: Readonly<Record<string, unknown>>;
}

export type Result<T, E extends TqError = TqError> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: E };

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });

export const err = (
  code: ErrorCode,
  message: string,
  where: { field?: string; offset?: number; details?: Record<string, unknown> } = {},
): { ok: false; error: TqError } => ({ ok: false, error: { code, message, ...where } });

/** Carries a TqError across a throw boundary (services, route handlers); never loses the code. */
export class TqException extends Error {
  constructor(readonly error: TqError) {
    super(`${error.code}: ${error.message}`);
    this.name = 'TqException';
  }
}

/** Unwraps a Result or throws its error as a TqException. */
export function unwrap<T>(result: Result<T>): T {
  if (!result.ok) throw new TqException(result.error);
  return result.value;
}

export function isTqError(value: unknown): value is TqError {
  return (
    typeof value === 'object' &&
    value !== null &&
    isErrorCode((value as TqError).code) &&
    typeof (value as TqError).message === 'string'
  );
}
