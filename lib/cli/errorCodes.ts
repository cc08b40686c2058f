/**
 * The error codes the command line itself reports. Stable, like the codecs' (lib/codec/errorCodes.ts);
 * messages may change. Arguments can also fail with HEX_INVALID (lib/bytes) or a key code from
 * lib/crypto/sm2; all of these arrive as the `cause` of a USAGE error.
 */
import { err, type TqError } from '../errors';

export const CLI_ERROR_CODES = {
  USAGE: 'the command line does not fit the command (exit 2); details.cause holds the argument’s own error',
  INTERNAL: 'an unexpected fault, i.e. a bug (exit 1; the stack goes to stderr)',
  INPUT_EMPTY: 'a byte argument holds no bytes',
  INPUT_LENGTH: 'a fixed-size argument (--root, --issuer, --number) has the wrong number of bytes',
  INPUT_UNREADABLE: 'an @path file or stdin cannot be read',
  STDIN_REUSED: 'stdin (-) was given for more than one argument',
  TIME_INVALID: 'a time is not an ISO-8601 date or a date-time with a zone',
  GOVERNANCE_VIOLATIONS: '`governance report` found rule violations in the audit log (exit 1; the report lists them)',
} as const;

export type CliErrorCode = keyof typeof CLI_ERROR_CODES;

export const cliError = (
  code: CliErrorCode,
  message: string,
  where: { field?: string; details?: Record<string, unknown> } = {},
): { ok: false; error: TqError } => err(code, message, where);
