/**
 * The codes of the tamper-evident log's formats: the log layer of the error registry
 * (lib/errors/codes/log.ts, where a new code is declared).
 */
import { err, meaningsOf, type CodeOf, type TqError } from '../errors';

export const LOG_ERROR_CODES = meaningsOf('log');

export type LogErrorCode = CodeOf<'log'>;

export const logError = (
  code: LogErrorCode,
  message: string,
  where: { field?: string; offset?: number; details?: Record<string, unknown> } = {},
): { ok: false; error: TqError } => err(code, message, where);
