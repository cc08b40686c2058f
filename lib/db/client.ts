// Opens the CA database: PostgreSQL through DATABASE_URL in production, otherwise PGlite
// in-process with its data under the project (.data/db). Both run the same schema and migrations.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { TqException } from '../errors';
import { PrismaClient, type Prisma } from './generated/client';
import { lockDataDir } from './dataDirLock';
import { checkPrivateTree, makePrivateDir, privatisePglite } from './privateTree';
import { pgliteMigrationAdapter, postgresMigrationAdapter } from './migrationAdapters';
import { applyMigrations } from './migrations';

export type { PrismaClient };
/** The client inside `prisma.$transaction(async (tx) => …)`. */
export type Tx = Prisma.TransactionClient;

export const DEFAULT_DATA_DIR = join(dirname(fileURLToPath(import.meta.url)), '../../.data/db');

/** The embedded database's directory: TQCA_DB_DIR, else `db` under TQCA_DATA_DIR (as the token's store), else .data/db. */
export function embeddedDataDir(env: Readonly<Record<string, string | undefined>> = process.env): string {
  return env.TQCA_DB_DIR || (env.TQCA_DATA_DIR ? join(env.TQCA_DATA_DIR, 'db') : DEFAULT_DATA_DIR);
}

export interface Database {
  readonly prisma: PrismaClient;
  readonly engine: 'pglite' | 'postgresql';
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
  const lock = inMemory ? undefined : lockDataDir(location);
  // Directories PGlite creates honour the umask (its files do not: privatisePglite).
  const umask = process.umask(0o077);
  const pglite = await PGlite.create(inMemory ? dataDir : location)
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
  const closeAll = async () => {
    await pglite.close();
    if (!inMemory) privatisePglite(location);
    lock?.release();
  };
  try {
    const query = async (sql: string) => (await pglite.query<Record<string, unknown>>(sql)).rows;
    const appliedMigrations = options.migrate === false ? [] : await applyMigrations(pgliteMigrationAdapter(pglite), { log: options.log, query });
    const prisma = new PrismaClient({ adapter: new PrismaPGlite(pglite) });
    return {
      prisma,
      engine: 'pglite',
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

async function openPostgres(url: string, options: OpenDatabaseOptions): Promise<Database> {
  const appliedMigrations = options.migrate === false ? [] : await migratePostgres(url, options.log);
  const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: url }) });
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
