// Runs a suite on both databases the product supports: PGlite in memory and a throwaway
// PostgreSQL 15 cluster (one per suite). Usage:
//   describe.each(ENGINES)('%s', (engine) => { const db = useTestDatabase(engine); … db.ctx … });
import { afterAll, beforeAll } from 'vitest';
import { openDatabase, type Database } from '../../lib/db/client';
import type { ServiceContext } from '../../lib/ca/context';
import { startPostgres, type TestPostgres } from './postgres';

export const ENGINES = ['pglite', 'postgresql'] as const;
export type Engine = (typeof ENGINES)[number];

/** A PostgreSQL cluster for the enclosing suite: started before it, stopped after it. */
export function useTestCluster(): { readonly cluster: TestPostgres } {
  const state = {} as { cluster: TestPostgres };
  beforeAll(async () => {
    state.cluster = await startPostgres();
  });
  afterAll(async () => state.cluster?.stop());
  return state;
}

let databases = 0;
export const freshDatabaseName = () => `t${process.pid}_${++databases}`;

/** A clock that starts at `start` and moves one second per reading: every event has its own instant. */
export function steppingClock(start = new Date('2026-11-24T00:00:00.000Z')): () => Date {
  let t = start.getTime();
  return () => new Date((t += 1000));
}

export interface TestDatabase {
  readonly db: Database;
  readonly ctx: ServiceContext;
  /** A URL for more connections to the same database (PostgreSQL only). */
  readonly url?: string;
}

/** Opens a fresh, migrated database for the enclosing suite; closed after it. */
export function useTestDatabase(engine: Engine): TestDatabase {
  const state = {} as { db: Database; ctx: ServiceContext; url?: string };
  const pg = engine === 'postgresql' ? useTestCluster() : undefined;
  beforeAll(async () => {
    state.url = pg ? await pg.cluster.createDatabase(freshDatabaseName()) : undefined;
    state.db = await openDatabase(state.url ? { url: state.url } : { dataDir: 'memory://' });
    state.ctx = { prisma: state.db.prisma, now: steppingClock() };
  });
  afterAll(async () => state.db?.close());
  return {
    get db() {
      return state.db;
    },
    get ctx() {
      return state.ctx;
    },
    get url() {
      return state.url;
    },
  };
}

/** Makes every insert into audit_event fail (as a full disk or a revoked grant would); returns the repair. */
export async function breakAuditWrites(prisma: Database['prisma']): Promise<() => Promise<void>> {
  await prisma.$executeRawUnsafe(
    `CREATE FUNCTION test_break_audit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'audit write broken by the test'; END $$`,
  );
  await prisma.$executeRawUnsafe(`CREATE TRIGGER test_break_audit BEFORE INSERT ON audit_event FOR EACH ROW EXECUTE FUNCTION test_break_audit()`);
  return async () => {
    await prisma.$executeRawUnsafe(`DROP TRIGGER test_break_audit ON audit_event`);
    await prisma.$executeRawUnsafe(`DROP FUNCTION test_break_audit()`);
  };
}

/** The audit events after `seq`, oldest first, and the chain's current last seq. */
export async function eventsAfter(prisma: Database['prisma'], seq: bigint) {
  return prisma.auditEvent.findMany({ where: { seq: { gt: seq } }, orderBy: { seq: 'asc' } });
}

export async function headSeq(prisma: Database['prisma']): Promise<bigint> {
  return (await prisma.auditChainHead.findUniqueOrThrow({ where: { id: 1 } })).seq;
}
