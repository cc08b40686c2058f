// Opens the CA database: PostgreSQL through DATABASE_URL in production, otherwise PGlite
// in-process with its data under the project (.data/db). Both run the same schema and migrations.
// The embedded database belongs to one process (its lock); a holder that serves it
// (embeddedServer.ts) lets the owner's other processes in through a Unix socket, and an opener
// that finds the lock taken joins through that socket instead.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { TqException, type TqError } from '../errors';
import { PrismaClient, type Prisma } from './generated/client';
import { lockDataDir, type DataDirLock } from './dataDirLock';
import { checkPrivateTree, makePrivateDir, privatisePglite } from './privateTree';
import { pgliteMigrationAdapter, postgresMigrationAdapter } from './migrationAdapters';
import { applyMigrations, migrationsApplied } from './migrations';
import { serveEmbedded, type EmbeddedServer } from './embeddedServer';
import { statementNames } from './statementNames';
import { servedSocket, socketDirOf, socketPathFits, SOCKET_PORT } from './embeddedSocket';

export type { PrismaClient };
/** The client inside `prisma.$transaction(async (tx) => …)`. */
export type Tx = Prisma.TransactionClient;

export const DEFAULT_DATA_DIR = join(dirname(fileURLToPath(import.meta.url)), '../../.data/db');

/** The embedded database's directory: TQCA_DB_DIR, else `db` under TQCA_DATA_DIR (as the token's store), else .data/db. */
export function embeddedDataDir(env: Readonly<Record<string, string | undefined>> = process.env): string {
  return env.TQCA_DB_DIR || (env.TQCA_DATA_DIR ? join(env.TQCA_DATA_DIR, 'db') : DEFAULT_DATA_DIR);
}

const BYTEA_OID = 17;
/** PGlite's own bytea serializer formats each byte in JS: a 1.8 MB bundle took a second; Buffer's hex is native. */
function byteaLiteral(value: unknown): string {
  if (!(value instanceof Uint8Array)) throw new TypeError('Invalid input for bytea type');
  return `\\x${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex')}`;
}

export interface Database {
  readonly prisma: PrismaClient;
  readonly engine: 'pglite' | 'postgresql';
  /**
   * For PGlite: `holder` when this process has the files open (and `serving` says whether it
   * shares them), `joined` when it reaches another process's through its socket.
   */
  readonly embedded?: { readonly role: 'holder'; readonly serving: boolean } | { readonly role: 'joined' };
  /** Where the data lives: the PGlite directory, or the PostgreSQL URL without its password. */
  readonly location: string;
  /** Migrations this open applied (empty when the database was current or `migrate` was false). */
  readonly appliedMigrations: readonly string[];
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** PostgreSQL URL; defaults to DATABASE_URL. When absent, PGlite is used. */
  url?: string;
  /** PGlite data directory (default: embeddedDataDir()); `memory://` keeps it in memory. */
  dataDir?: string;
  /** Apply pending migrations before returning (default true). */
  migrate?: boolean;
  /**
   * Create the embedded database when it does not exist yet (default true). False for read-only
   * callers, which write nothing: a missing PGlite directory is DB_NOT_FOUND.
   */
  create?: boolean;
  log?: (line: string) => void;
  /**
   * The embedded database's holder shares it with the owner's other processes (the console
   * server does, so that `tqca` runs beside it): it serves it on an owner-only Unix socket. Such
   * an opener never joins another holder: a held lock is DB_IN_USE.
   */
  serve?: boolean;
}

// Any constant works; it serialises migration runs of several processes against one server.
const MIGRATION_LOCK_KEY = 0x74716361; // "tqca"

export async function openDatabase(options: OpenDatabaseOptions = {}): Promise<Database> {
  const url = options.url ?? process.env.DATABASE_URL;
  return url ? openPostgres(url, options) : openPglite(options.dataDir ?? embeddedDataDir(), options);
}

async function openPglite(dataDir: string, options: OpenDatabaseOptions): Promise<Database> {
  const inMemory = dataDir.startsWith('memory://');
  const location = inMemory ? dataDir : resolve(dataDir);
  if (!inMemory) {
    // The parent is the data directory, whose whole tree must be private (privateTree.ts).
    checkPrivateTree(dirname(location), location);
    if (options.create === false && !existsSync(join(location, 'PG_VERSION'))) {
      throw new TqException({
        code: 'DB_NOT_FOUND',
        message: `no embedded database in ${location} yet: the first administrator creates it (tqca user create --bootstrap)`,
        field: 'database',
        details: { dataDir: location },
      });
    }
    // PGlite does not create a missing parent directory.
    makePrivateDir(dirname(location));
  }
  let lock: DataDirLock | undefined;
  if (!inMemory) {
    const taken = await lockOrJoin(location, options);
    if ('joined' in taken) return taken.joined;
    lock = taken.lock;
  }
  // Directories PGlite creates honour the umask (its files do not: privatisePglite).
  const umask = process.umask(0o077);
  const pglite = await PGlite.create(inMemory ? dataDir : location, { serializers: { [BYTEA_OID]: byteaLiteral } })
    .catch((e: unknown) => {
      lock?.release();
      // PGlite aborts (or "failed to initialize") on truncated or foreign files: name the directory.
      throw new TqException({
        code: 'DB_DAMAGED',
        message: `the embedded database in ${location} cannot be opened (${e instanceof Error ? e.message : String(e)}): it is damaged or not a PGlite directory; restore it from a backup`,
        field: 'database',
        details: { dataDir: location },
      });
    })
    .finally(() => process.umask(umask));
  if (!inMemory) privatisePglite(location);
  let server: EmbeddedServer | undefined;
  const closeAll = async () => {
    // Clients first: what they had open is rolled back while PGlite is still open.
    await server?.close();
    await pglite.close();
    if (!inMemory) privatisePglite(location);
    lock?.release();
  };
  try {
    const query = async (sql: string) => (await pglite.query<Record<string, unknown>>(sql)).rows;
    const appliedMigrations = options.migrate === false ? [] : await applyMigrations(pgliteMigrationAdapter(pglite), { log: options.log, query });
    const prisma = new PrismaClient({ adapter: new PrismaPGlite(pglite) });
    // Served only once migrated: a client never sees a half-migrated schema.
    if (options.serve && !inMemory) server = await serveOrWarn(pglite, location, options.log);
    return {
      prisma,
      engine: 'pglite',
      embedded: { role: 'holder', serving: server !== undefined },
      location,
      appliedMigrations,
      async close() {
        // $disconnect leaves PGlite open, and an open PGlite keeps the process alive.
        await prisma.$disconnect();
        await closeAll();
      },
    };
  } catch (e) {
    await closeAll();
    throw e;
  }
}

/** Serving is a convenience: when the socket cannot be made, the holder runs alone, as before. */
async function serveOrWarn(pglite: PGlite, location: string, log: ((line: string) => void) | undefined): Promise<EmbeddedServer | undefined> {
  const warn = log ?? ((line: string) => process.stderr.write(`${line}\n`));
  if (!socketPathFits(location)) {
    warn(`tqca: the embedded database is not shared with tqca: the socket path ${socketDirOf(location)}/… is longer than a Unix socket allows; move the data directory (TQCA_DATA_DIR) to a shorter path`);
    return undefined;
  }
  try {
    return await serveEmbedded(pglite, location);
  } catch (thrown) {
    warn(`tqca: the embedded database is not shared with tqca: cannot serve ${socketDirOf(location)} (${thrown instanceof Error ? thrown.message : String(thrown)})`);
    return undefined;
  }
}

// A holder that is stopping releases its lock just after its socket: an opener may find the lock
// taken and then the socket gone, and try the lock again.
const LOCK_ATTEMPTS = 3;

/** This process's lock on the directory, or the database of the process that holds it and serves it. */
async function lockOrJoin(location: string, options: OpenDatabaseOptions): Promise<{ lock: DataDirLock } | { joined: Database }> {
  for (let attempt = 1; ; attempt++) {
    try {
      return { lock: lockDataDir(location) };
    } catch (thrown) {
      if (!(thrown instanceof TqException) || thrown.error.code !== 'DB_IN_USE' || attempt === LOCK_ATTEMPTS) throw thrown;
      // A server is the holder or nothing: one that joined another would lose its database when that one stops.
      if (options.serve) throw thrown;
      const socket = servedSocket(location);
      const joined = socket ? await joinHolder(location, options) : undefined;
      if (joined) return { joined };
      // No socket: the holder shares nothing (a tqca command, an older server); it is reported as DB_IN_USE.
      if (!socket) throw thrown;
    }
  }
}

let lostHolder: { location: string } | undefined;

/**
 * DB_HOLDER_GONE when this process reached the embedded database through its holder's socket and
 * the holder closed it (stopped, or died) while this process still used it; what this process had
 * not committed was rolled back (by the holder, or with the holder's end).
 */
export function embeddedHolderGone(): TqError | undefined {
  if (!lostHolder) return undefined;
  return {
    code: 'DB_HOLDER_GONE',
    message: `the process serving the embedded database ${lostHolder.location} closed it during this command: what was not committed was rolled back; run the command again`,
    field: 'database',
    details: { dataDir: lostHolder.location },
  };
}

/** Connects through the holder's socket; undefined when nobody answers there (a holder that has just stopped). */
async function joinHolder(location: string, options: OpenDatabaseOptions): Promise<Database | undefined> {
  // PGlite has one role and one database, both `postgres`, and asks for no password.
  const config = { host: socketDirOf(location), port: SOCKET_PORT, user: 'postgres', database: 'postgres' };
  const probe = new pg.Client(config);
  try {
    await probe.connect();
  } catch (thrown) {
    const errno = (thrown as NodeJS.ErrnoException).code;
    if (errno === 'ECONNREFUSED' || errno === 'ENOENT') return undefined;
    throw thrown;
  }
  try {
    // The holder migrated when it opened; a command newer than the holder must not run on its older schema.
    if (options.migrate !== false && !(await migrationsApplied(async (sql) => (await probe.query(sql)).rows))) {
      throw new TqException({
        code: 'DB_SERVED_SCHEMA_STALE',
        message: `the process serving the embedded database ${location} has not applied every migration this command knows: restart it (it migrates when it opens the database), then run the command again`,
        field: 'database',
        details: { dataDir: location },
      });
    }
  } finally {
    await probe.end();
  }
  lostHolder = undefined;
  let closing = false;
  // No idle timeout: a connection ends only when this process closes it, or when the holder does.
  const pool = new pg.Pool({ ...config, max: 4, idleTimeoutMillis: 0 });
  pool.on('connect', (client) =>
    client.on('end', () => {
      if (!closing) lostHolder = { location };
    }),
  );
  // An idle connection the holder closed: reported by the next use, not as an uncaught error.
  pool.on('error', () => {});
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  return {
    prisma,
    engine: 'pglite',
    embedded: { role: 'joined' },
    location,
    appliedMigrations: [],
    async close() {
      closing = true;
      await prisma.$disconnect();
      await pool.end();
    },
  };
}

async function openPostgres(url: string, options: OpenDatabaseOptions): Promise<Database> {
  const appliedMigrations = options.migrate === false ? [] : await migratePostgres(url, options.log);
  const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: url }, { statementNameGenerator: statementNames() }) });
  return {
    prisma,
    engine: 'postgresql',
    location: redactPassword(url),
    appliedMigrations,
    close: () => prisma.$disconnect(),
  };
}

async function migratePostgres(url: string, log?: (line: string) => void): Promise<string[]> {
  const lock = new pg.Client({ connectionString: url });
  await lock.connect();
  try {
    await lock.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    return await applyMigrations(postgresMigrationAdapter(url), { log, query: async (sql) => (await lock.query(sql)).rows });
  } finally {
    await lock.end();
  }
}

function redactPassword(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgresql://(unparseable url)';
  }
}
