// Prisma's migration engine, run in-process from @prisma/schema-engine-wasm: the native engine
// cannot be downloaded here. The folder format and the `_prisma_migrations` bookkeeping are the
// ones `prisma migrate deploy` uses, so either tool can take over a database.
import { createHash } from 'node:crypto';
import { readFile, readdir, mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { bindMigrationAwareSqlAdapterFactory, type SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import { pgliteMigrationAdapter } from './migrationAdapters';
import * as engineModule from '@prisma/schema-engine-wasm/schema_engine_bg';
import type { MigrationList, SchemaEngine } from '@prisma/schema-engine-wasm/schema_engine_bg';

export const PRISMA_DIR = join(dirname(fileURLToPath(import.meta.url)), '../../prisma');
export const SCHEMA_PATH = join(PRISMA_DIR, 'schema.prisma');
export const MIGRATIONS_DIR = join(PRISMA_DIR, 'migrations');

const NO_FILTER = { externalTables: [], externalEnums: [] };

let engineReady: Promise<void> | undefined;
let lastPanic: string | undefined;

/** Instantiates the wasm module once per process (its package entry imports .wasm as ESM, which Node 20 rejects). */
function loadEngine(): Promise<void> {
  engineReady ??= (async () => {
    const g = globalThis as { PRISMA_WASM_PANIC_REGISTRY?: { set_message(m: string): void } };
    // Without the registry a Rust panic surfaces as an unrelated TypeError.
    g.PRISMA_WASM_PANIC_REGISTRY ??= {
      set_message(message: string) {
        lastPanic = message;
      },
    };
    const bindings = createRequire(import.meta.url).resolve('@prisma/schema-engine-wasm/schema_engine_bg');
    const wasmPath = join(dirname(bindings), 'schema_engine_bg.wasm');
    const { instance } = await WebAssembly.instantiate(await readFile(wasmPath), { './schema_engine_bg.js': engineModule as unknown as WebAssembly.ModuleImports });
    engineModule.__wbg_set_wasm(instance.exports);
    (instance.exports.__wbindgen_start as () => void)();
  })();
  return engineReady;
}

/** Runs `work` on a fresh engine over the adapter; a Rust panic is reported with its own message. */
async function withEngine<T>(adapterFactory: SqlMigrationAwareDriverAdapterFactory, log: (line: string) => void, work: (engine: SchemaEngine) => Promise<T>): Promise<T> {
  await loadEngine();
  const schema = await readFile(SCHEMA_PATH, 'utf8');
  lastPanic = undefined;
  const engine = await engineModule.SchemaEngine.new({ datamodels: [[SCHEMA_PATH, schema]] }, log, bindMigrationAwareSqlAdapterFactory(adapterFactory));
  try {
    return await work(engine);
  } catch (thrown) {
    if (lastPanic !== undefined) throw new Error(`schema engine panic: ${lastPanic}`, { cause: thrown });
    throw thrown;
  } finally {
    engine.free();
  }
}

/** Reads prisma/migrations exactly as the Prisma CLI does. */
export async function readMigrations(dir = MIGRATIONS_DIR): Promise<MigrationList> {
  const names = (await readdir(dir, { withFileTypes: true }).catch(() => []))
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  const migrationDirectories = await Promise.all(
    names.map(async (name) => {
      const path = join(dir, name, 'migration.sql');
      const content = await readFile(path, 'utf8').then(
        (value) => ({ tag: 'ok' as const, value }),
        (e: Error) => ({ tag: 'error' as const, value: e.message }),
      );
      return { path: name, migrationFile: { path: 'migration.sql', content } };
    }),
  );
  const lockPath = join(dir, 'migration_lock.toml');
  const lockContent = await readFile(lockPath, 'utf8').catch(() => null);
  return {
    baseDir: resolve(dir),
    lockfile: { path: 'migration_lock.toml', content: lockContent },
    shadowDbInitScript: '',
    migrationDirectories,
  };
}

/** Runs one read-only SQL query on the target database (its own driver, not Prisma). */
export type SqlQuery = (sql: string) => Promise<readonly Record<string, unknown>[]>;

/**
 * True when `_prisma_migrations` records every local migration as applied, unchanged. Checked
 * without the engine, which costs a second to load and keeps the process alive ~10 s after use.
 */
async function upToDate(query: SqlQuery, migrationsList: MigrationList): Promise<boolean> {
  const [table] = await query(`SELECT to_regclass('_prisma_migrations') IS NOT NULL AS present`);
  if (!table?.present) return false;
  const rows = await query(`SELECT migration_name, checksum FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`);
  const applied = new Map(rows.map((r) => [String(r.migration_name), String(r.checksum)]));
  return migrationsList.migrationDirectories.every((m) => {
    const content = m.migrationFile.content;
    return content.tag === 'ok' && applied.get(m.path) === createHash('sha256').update(content.value).digest('hex');
  });
}

/** True when the database behind `query` has every local migration applied, unchanged. */
export const migrationsApplied = async (query: SqlQuery, dir?: string): Promise<boolean> => upToDate(query, await readMigrations(dir));

/** Applies pending migrations; returns the names applied (empty when the database is current). */
export async function applyMigrations(
  adapterFactory: SqlMigrationAwareDriverAdapterFactory,
  options: { dir?: string; log?: (line: string) => void; query?: SqlQuery } = {},
): Promise<string[]> {
  const migrationsList = await readMigrations(options.dir);
  if (options.query && (await upToDate(options.query, migrationsList))) return [];
  return withEngine(adapterFactory, options.log ?? (() => {}), async (engine) => {
    const { appliedMigrationNames } = await engine.applyMigrations({ migrationsList, filters: NO_FILTER });
    return appliedMigrationNames;
  });
}

function timestamp(now: Date): string {
  return now.toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

/**
 * Writes a new migration that takes the committed history to the current schema.prisma; returns
 * its folder, or null when the schema has no changes. Runs against a throwaway in-memory PGlite.
 */
export async function createMigration(name: string, options: { dir?: string; now?: Date; draft?: boolean } = {}): Promise<string | null> {
  if (!/^[a-z0-9_]+$/.test(name)) throw new Error(`migration name must be snake_case [a-z0-9_]: ${JSON.stringify(name)}`);
  const dir = options.dir ?? MIGRATIONS_DIR;
  const pglite = new PGlite();
  try {
    return await withEngine(pgliteMigrationAdapter(pglite), () => {}, async (engine) => {
      const migrationsList = await readMigrations(dir);
      await engine.applyMigrations({ migrationsList, filters: NO_FILTER });
      // devDiagnostic replays history into the shadow database; createMigration needs that cache.
      await engine.devDiagnostic({ migrationsList, filters: NO_FILTER });
      const schema = await readFile(SCHEMA_PATH, 'utf8');
      const out = await engine.createMigration({
        draft: options.draft ?? false,
        migrationName: name,
        migrationsList,
        schema: { files: [{ path: SCHEMA_PATH, content: schema }] },
        filters: NO_FILTER,
      });
      if (!out.migrationScript || (!options.draft && out.migrationScript.trim().startsWith('-- This is an empty migration.'))) return null;
      const folder = join(dir, `${timestamp(options.now ?? new Date())}_${name}`);
      await mkdir(folder, { recursive: true });
      await writeFile(join(folder, 'migration.sql'), out.migrationScript);
      if (migrationsList.lockfile.content === null) {
        await writeFile(join(dir, 'migration_lock.toml'), `# Please do not edit this file manually\n# It should be added in your version-control system (e.g., Git)\nprovider = "${out.connectorType}"\n`);
      }
      return folder;
    });
  } finally {
    await pglite.close();
  }
}
