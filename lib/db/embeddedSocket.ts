// Where the process holding the embedded database serves it (embeddedServer.ts), and the check a
// client makes before it trusts what it finds there: `<db>.socket/.s.PGSQL.5432`, the name
// node-postgres derives from a directory and a port. The data directory is owner-only already
// (privateTree.ts); the client checks the socket and its directory too, so that it never speaks
// to (or gives an operator's password to) a socket somebody else put there.
import { lstatSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { TqException } from '../errors';

export const SOCKET_PORT = 5432;
/** sun_path holds 108 bytes with its terminating NUL. */
const MAX_SOCKET_PATH = 107;

export const socketDirOf = (dataDir: string): string => `${dataDir}.socket`;
export const socketPathOf = (dataDir: string): string => join(socketDirOf(dataDir), `.s.PGSQL.${SOCKET_PORT}`);

/** A socket path the kernel can bind and connect to. */
export const socketPathFits = (dataDir: string): boolean => Buffer.byteLength(socketPathOf(dataDir)) <= MAX_SOCKET_PATH;

function statOf(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

function unsafe(path: string, why: string, stats: Stats): never {
  throw new TqException({
    code: 'DB_SOCKET_UNSAFE',
    message: `${path} ${why}: refusing to connect to the embedded database through it (remove it; the process holding the database serves it again at its next start)`,
    field: 'database',
    details: { path, mode: `0${(stats.mode & 0o777).toString(8)}`, uid: stats.uid },
  });
}

/**
 * The socket the holder of `dataDir` serves, checked: a socket in a directory, both this user's
 * and reachable by nobody else (DB_SOCKET_UNSAFE otherwise); undefined when there is none.
 */
export function servedSocket(dataDir: string): string | undefined {
  if (!socketPathFits(dataDir)) return undefined;
  const dir = socketDirOf(dataDir);
  const path = socketPathOf(dataDir);
  const uid = process.getuid?.();
  const dirStats = statOf(dir);
  if (!dirStats) return undefined;
  if (!dirStats.isDirectory()) unsafe(dir, 'is not a directory', dirStats);
  if (dirStats.uid !== uid) unsafe(dir, `belongs to uid ${dirStats.uid}, not to this user`, dirStats);
  if ((dirStats.mode & 0o077) !== 0) unsafe(dir, 'is reachable by group or others', dirStats);
  const stats = statOf(path);
  if (!stats) return undefined;
  if (!stats.isSocket()) unsafe(path, 'is not a socket', stats);
  if (stats.uid !== uid) unsafe(path, `belongs to uid ${stats.uid}, not to this user`, stats);
  if ((stats.mode & 0o077) !== 0) unsafe(path, 'is reachable by group or others', stats);
  return path;
}
