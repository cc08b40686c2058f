/**
 * The codes the database layer reports: the db layer of the error registry
 * (lib/errors/codes/db.ts, where a new code is declared).
 */
import { meaningsOf, type CodeOf } from '../errors';

export const DB_ERROR_CODES = meaningsOf('db');

export type DbErrorCode = CodeOf<'db'>;
