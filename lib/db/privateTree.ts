// The CA's data tree (.data, or TQCA_DATA_DIR) holds the database, the software token and its PINs:
// nobody but its owner may read or change any of it. Like ssh with a private key, a tree that
// others can reach is refused with the path and the fix, not repaired behind the operator's back;
// the one exception is what PGlite creates inside its own directory (its files are 0666 whatever
// the umask): that is made owner-only on each open and close, behind the PGlite directory and the
// data directory, which are checked to be owner-only and so keep everyone else out meanwhile.
import { chmodSync, lstatSync, mkdirSync, readdirSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { TqException } from '../errors';
import type { DbErrorCode } from './errorCodes';

const GROUP_OR_OTHER = 0o077;
const octal = (mode: number) => `0${(mode & 0o777).toString(8)}`;

function refuse(code: DbErrorCode, message: string, details: Record<string, unknown>): never {
  throw new TqException({ code, message, field: 'TQCA_DATA_DIR', details });
}

function statOf(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    return refuse('DATA_DIR_UNUSABLE', `cannot read ${path} (${(e as NodeJS.ErrnoException).code})`, { path, errno: (e as NodeJS.ErrnoException).code });
  }
}

/** A database shared by its holder (embeddedServer.ts) changes under the walk: a file gone meanwhile is no longer anybody's to reach. */
function ignoreVanished<T>(step: () => T): T | undefined {
  try {
    return step();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** Creates `dir` (and missing parents) owner-only, whatever the umask; refuses one that is not a directory. */
export function makePrivateDir(dir: string): void {
  const found = statOf(dir);
  if (found && !found.isDirectory()) refuse('DATA_DIR_NOT_DIRECTORY', `${dir} is not a directory`, { path: dir });
  try {
    // mode is masked by the umask, which only ever removes bits: 0700 stays owner-only.
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (e) {
    const errno = (e as NodeJS.ErrnoException).code;
    if (errno === 'ENOTDIR' || errno === 'EEXIST') refuse('DATA_DIR_NOT_DIRECTORY', `a part of ${dir} is not a directory`, { path: dir });
    refuse('DATA_DIR_UNUSABLE', `cannot create ${dir} (${errno})`, { path: dir, errno });
  }
}

/**
 * Refuses (DATA_DIR_MODE) any entry of `root`'s tree that group or others can reach, naming the
 * first one found; what lies inside `pgliteDir` is made owner-only instead (see above). Symbolic
 * links are not followed (their own mode means nothing).
 */
export function checkPrivateTree(root: string, pgliteDir?: string): void {
  const walk = (path: string, insidePglite: boolean) => {
    const stats = statOf(path);
    if (!stats || stats.isSymbolicLink()) return;
    if ((stats.mode & GROUP_OR_OTHER) !== 0) {
      if (insidePglite) ignoreVanished(() => chmodSync(path, stats.isDirectory() ? 0o700 : 0o600));
      else {
        refuse(
          'DATA_DIR_MODE',
          `${path} is mode ${octal(stats.mode)}: the CA's data must be private to its owner (fix: chmod -R go= ${root})`,
          { path, mode: octal(stats.mode), root },
        );
      }
    }
    if (!stats.isDirectory()) return;
    for (const name of ignoreVanished(() => readdirSync(path)) ?? []) walk(join(path, name), insidePglite || path === pgliteDir);
  };
  const rootStats = statOf(root);
  if (rootStats && !rootStats.isDirectory()) refuse('DATA_DIR_NOT_DIRECTORY', `${root} is not a directory`, { path: root });
  walk(root, false);
}

/** Makes everything inside `pgliteDir` owner-only (PGlite's files are created 0666). */
export const privatisePglite = (pgliteDir: string): void => checkPrivateTree(pgliteDir, pgliteDir);
