/**
 * The error codes the database layer reports. Stable, like the codecs' (lib/codec/errorCodes.ts);
 * messages may change.
 */
export const DB_ERROR_CODES = {
  DB_CONSTRAINT: 'a write violated a database constraint that the service did not name (details.constraint)',
  DB_NOT_FOUND: 'a read-only command found no embedded database yet (details.dataDir); nothing was created',
  DB_DAMAGED: 'PGlite cannot open the embedded database directory: damaged or foreign files (details.dataDir)',
  DB_IN_USE: 'the embedded database directory is open in another process (details.pid when known)',
  DATA_DIR_MODE: 'a file or directory of the data tree is reachable by group or others (details.path, details.mode); fix with chmod -R go= on the data directory',
  DATA_DIR_NOT_DIRECTORY: 'the data directory (TQCA_DATA_DIR, or TQCA_DB_DIR’s parent) or a directory in it is not a directory (details.path)',
  DATA_DIR_UNUSABLE: 'the data directory cannot be read or created (details.path, details.errno)',
} as const;

export type DbErrorCode = keyof typeof DB_ERROR_CODES;
