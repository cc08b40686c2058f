/**
 * The codes the command line reports itself: the CLI layer of the error registry
 * (lib/errors/codes/cli.ts, where a new code is declared). Arguments can also fail with HEX_INVALID
 * (lib/bytes) or a key code from lib/crypto/sm2; those arrive as the `cause` of a USAGE error.
 */
import { err, meaningsOf, type CodeOf, type ErrorCode, type TqError } from '../errors';

export const CLI_ERROR_CODES = meaningsOf('cli');

export type CliErrorCode = CodeOf<'cli'>;

export const cliError = (
  code: ErrorCode,
  message: string,
  where: { field?: string; details?: Record<string, unknown> } = {},
): { ok: false; error: TqError } => err(code, message, where);
