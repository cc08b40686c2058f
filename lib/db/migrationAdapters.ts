// Migration scripts must run whole, as one simple-protocol query (one implicit transaction), the
// way the native engine runs them. The stock adapters do not: @prisma/adapter-pg splits scripts on
// every ";" (breaking function bodies and comments), and pglite-prisma-adapter does not await
// PGlite's exec (a failing migration becomes an unhandled rejection and is recorded as applied).
import type { PGlite } from '@electric-sql/pglite';
import { PrismaPg } from '@prisma/adapter-pg';
import { DriverAdapterError, type SqlDriverAdapter, type SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import type pg from 'pg';
import { PrismaPGlite } from 'pglite-prisma-adapter';

/** Runs a multi-statement SQL string in one round trip on the adapter's own connection. */
type ScriptRunner = (adapter: SqlDriverAdapter, script: string) => Promise<unknown>;

// Both stock adapters keep their driver in `client` (a PGlite instance, a pg.Pool).
const driverOf = <T>(adapter: SqlDriverAdapter) => (adapter as unknown as { client: T }).client;

export const pgliteMigrationAdapter = (pglite: PGlite) => wholeScriptAdapter(new PrismaPGlite(pglite), (a, script) => driverOf<PGlite>(a).exec(script));

export const postgresMigrationAdapter = (url: string) => wholeScriptAdapter(new PrismaPg({ connectionString: url }), (a, script) => driverOf<pg.Pool>(a).query(script));

interface DatabaseErrorShape {
  code?: string;
  severity?: string;
  message: string;
  detail?: string;
  column?: string;
  hint?: string;
}

function toDriverAdapterError(e: unknown): unknown {
  const error = e as DatabaseErrorShape;
  if (typeof error?.code !== 'string') return e;
  return new DriverAdapterError({
    kind: 'postgres',
    code: error.code,
    severity: error.severity ?? 'ERROR',
    message: error.message,
    detail: error.detail,
    column: error.column,
    hint: error.hint,
  });
}

function runWhole(adapter: SqlDriverAdapter, run: ScriptRunner): SqlDriverAdapter {
  adapter.executeScript = async (script: string) => {
    try {
      await run(adapter, script);
    } catch (e) {
      throw toDriverAdapterError(e);
    }
  };
  return adapter;
}

function wholeScriptAdapter(inner: SqlMigrationAwareDriverAdapterFactory, run: ScriptRunner): SqlMigrationAwareDriverAdapterFactory {
  return {
    provider: inner.provider,
    adapterName: inner.adapterName,
    connect: async () => runWhole(await inner.connect(), run),
    connectToShadowDb: async () => runWhole(await inner.connectToShadowDb(), run),
  };
}
