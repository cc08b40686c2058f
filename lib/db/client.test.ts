import { execFile } from 'node:child_process';
import { cp, mkdtemp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { freshDatabaseName, useTestCluster } from '../../test/support/databases';
import { openDatabase } from './client';
import { constraintViolation, violationError } from './errors';
import { pgliteMigrationAdapter, postgresMigrationAdapter } from './migrationAdapters';
import { applyMigrations, createMigration, MIGRATIONS_DIR } from './migrations';

const run = promisify(execFile);
const scratch = await mkdtemp(join(tmpdir(), 'tqca-db-'));
afterAll(() => rm(scratch, { recursive: true, force: true }));

const INIT = (await readdir(MIGRATIONS_DIR)).filter((n) => /^\d{14}_/.test(n));

/** The committed migrations plus one that fails half-way (its first statement would succeed alone). */
async function migrationsWithBrokenOne(): Promise<string> {
  const dir = await mkdtemp(join(scratch, 'migrations-'));
  await cp(MIGRATIONS_DIR, dir, { recursive: true });
  await mkdir(join(dir, '29990101000000_broken'));
  await writeFile(join(dir, '29990101000000_broken', 'migration.sql'), `CREATE TABLE half_done (id int);\n-- a comment; with a semicolon\nSELECT 1/0;\n`);
  return dir;
}

describe('the embedded PGlite database', () => {
  it('creates its data directory (and parents) on first open, migrates once, and keeps data across opens', async () => {
    const dataDir = join(scratch, 'nested', 'deeper', 'db');
    const first = await openDatabase({ dataDir, url: '' });
    expect([first.engine, first.location, first.appliedMigrations]).toEqual(['pglite', dataDir, INIT]);
    await first.prisma.counter.create({ data: { name: 'kept', value: 41n } });
    await first.close();
    const second = await openDatabase({ dataDir, url: '' });
    try {
      expect(second.appliedMigrations).toEqual([]);
      expect(await second.prisma.counter.findUnique({ where: { name: 'kept' } })).toMatchObject({ value: 41n });
    } finally {
      await second.close();
    }
  });

  it('belongs to one process at a time: a second opener gets DB_IN_USE; a lock file nobody holds is taken', async () => {
    const dataDir = join(scratch, 'locked', 'db');
    const held = await openDatabase({ dataDir, url: '' });
    try {
      await expect(openDatabase({ dataDir, url: '' })).rejects.toMatchObject({ error: { code: 'DB_IN_USE', details: { pid: process.pid } } });
      const other = await run(process.execPath, [
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        `import { openDatabase } from './lib/db/client.ts';
         await openDatabase({ dataDir: ${JSON.stringify(dataDir)}, url: '' }).then(() => console.log('opened'), (e) => console.log(e.error?.code));`,
      ]);
      expect(other.stdout.trim()).toBe('DB_IN_USE');
    } finally {
      await held.close();
    }
    const dead = await run(process.execPath, ['-e', 'console.log(process.pid)']);
    await writeFile(`${dataDir}.lock`, dead.stdout);
    const reopened = await openDatabase({ dataDir, url: '' });
    expect(await readFile(`${dataDir}.lock`, 'utf8')).toBe(`${process.pid}\n`);
    await reopened.close();
    // The file stays; the lock went with the descriptor.
    await (await openDatabase({ dataDir, url: '' })).close();
  });

  it('rolls a failing migration back whole and does not record it as applied', async () => {
    const pglite = new PGlite();
    try {
      await expect(applyMigrations(pgliteMigrationAdapter(pglite), { dir: await migrationsWithBrokenOne() })).rejects.toThrow(/division by zero/);
      const tables = await pglite.query<{ t: string | null }>(`SELECT to_regclass('half_done')::text AS t`);
      expect(tables.rows[0].t).toBeNull();
      const recorded = await pglite.query<{ migration_name: string; finished: boolean }>(`SELECT migration_name, finished_at IS NOT NULL AS finished FROM _prisma_migrations ORDER BY migration_name`);
      expect(recorded.rows.filter((r) => r.finished).map((r) => r.migration_name)).toEqual(INIT);
    } finally {
      await pglite.close();
    }
  });
});

describe('migrations that convert what is stored', () => {
  it('bundle_a3_runs: turns each version’s certificate numbers into runs of consecutive numbers, the same numbers', async () => {
    // The migrations up to the one before, a version stored by reference with gaps, then the rest.
    const RUNS = '20261202092137_bundle_a3_runs';
    const before = await mkdtemp(join(scratch, 'migrations-'));
    await cp(MIGRATIONS_DIR, before, { recursive: true });
    await rm(join(before, RUNS), { recursive: true });
    const pglite = new PGlite();
    try {
      await applyMigrations(pgliteMigrationAdapter(pglite), { dir: before });
      const listed = [1, 2, 3, 7, 9, 10, 0xfffffffe, 0xffffffff];
      const hex = (n: number) => n.toString(16).padStart(8, '0');
      const manifest = `a5${'00'.repeat(121)}`;
      await pglite.exec(`
        INSERT INTO revocation_list (sequence, bytes, root_key_index, this_update, next_update, entry_count, created_at) VALUES (1, '\\xa4${'00'.repeat(79)}', 1, now(), now(), 0, now());
        INSERT INTO bundle (version, manifest, a2_records, a3_numbers, size, body_sm3, published_at, expires_at, a2_count, a3_count, a4_sequence, signing_root_index, reason)
        VALUES (1, '\\x${manifest}', '\\x${'00'.repeat(109)}', '\\x${listed.map(hex).join('')}', ${122 + 109 + 184 * listed.length + 80}, '\\x${'00'.repeat(32)}', now(), now() + interval '1 day', 1, ${listed.length}, 1, 1, 'operator'),
               (2, '\\x${manifest}', '\\x${'00'.repeat(109)}', '\\x', ${122 + 109 + 80}, '\\x${'00'.repeat(32)}', now(), now() + interval '1 day', 1, 0, 1, 1, 'operator');`);
      expect(await applyMigrations(pgliteMigrationAdapter(pglite), { dir: MIGRATIONS_DIR })).toEqual([RUNS]);
      const rows = await pglite.query<{ version: number; runs: string }>(`SELECT version, encode(a3_runs, 'hex') AS runs FROM bundle ORDER BY version`);
      expect(rows.rows).toEqual([
        { version: 1, runs: [[1, 3], [7, 1], [9, 2], [0xfffffffe, 2]].map(([first, length]) => hex(first) + hex(length)).join('') },
        { version: 2, runs: '' },
      ]);
    } finally {
      await pglite.close();
    }
  });
});

describe('a PostgreSQL 15 database', () => {
  const pgc = useTestCluster();

  it('is migrated by concurrent first opens exactly once (advisory lock)', async () => {
    const url = await pgc.cluster.createDatabase(freshDatabaseName());
    const opened = await Promise.all([openDatabase({ url }), openDatabase({ url }), openDatabase({ url })]);
    try {
      expect(opened.map((d) => d.appliedMigrations.length).sort()).toEqual([0, 0, INIT.length]);
      expect(opened[0].location).toBe(url);
    } finally {
      await Promise.all(opened.map((d) => d.close()));
    }
  });

  it('hides the password in the reported location', async () => {
    const url = (await pgc.cluster.createDatabase(freshDatabaseName())).replace('tqca@', 'tqca:s3cret@');
    const db = await openDatabase({ url });
    try {
      expect(db.location).not.toContain('s3cret');
    } finally {
      await db.close();
    }
  });

  it('rolls a failing migration back whole (the script runs as one statement list, not split on ";")', async () => {
    const url = await pgc.cluster.createDatabase(freshDatabaseName());
    await expect(applyMigrations(postgresMigrationAdapter(url), { dir: await migrationsWithBrokenOne() })).rejects.toThrow(/division by zero/);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      expect((await client.query(`SELECT to_regclass('half_done')::text AS t`)).rows[0].t).toBeNull();
      // the first migration's plpgsql function (";" inside $$ … $$) arrived intact
      expect((await client.query(`SELECT count(*)::int AS n FROM pg_proc WHERE proname = 'audit_event_append_only'`)).rows[0].n).toBe(1);
    } finally {
      await client.end();
    }
  });

  it('prepares a statement sent again once per connection, by name, and leaves a text sent once unnamed', async () => {
    const db = await openDatabase({ url: await pgc.cluster.createDatabase(freshDatabaseName()) });
    try {
      // One transaction, one connection: what it prepared is in its pg_prepared_statements.
      const prepared = await db.prisma.$transaction(async (tx) => {
        for (let i = 0; i < 3; i++) await tx.$queryRaw`SELECT count(*)::int AS n FROM operator WHERE username = ${`u${i}`}`;
        await tx.$queryRaw`SELECT count(*)::int AS once FROM operator WHERE id = ${1}`;
        return tx.$queryRaw<{ name: string; statement: string }[]>`SELECT name, statement FROM pg_prepared_statements WHERE statement LIKE '%FROM operator WHERE%' ORDER BY name`;
      });
      expect(prepared).toEqual([{ name: expect.stringMatching(/^tqca_/), statement: expect.stringContaining('username = $1') }]);
    } finally {
      await db.close();
    }
  });

  it.each(['pglite', 'postgresql'] as const)('reports unique and check violations by constraint name on %s', async (engine) => {
    const db = engine === 'pglite' ? await openDatabase({ dataDir: 'memory://' }) : await openDatabase({ url: await pgc.cluster.createDatabase(freshDatabaseName()) });
    try {
      const data = { username: 'alice', displayName: 'A', passwordHash: 'x', roles: ['ADMIN' as const] };
      await db.prisma.operator.create({ data });
      const duplicate = await db.prisma.operator.create({ data }).catch((e: unknown) => e);
      expect(constraintViolation(duplicate)).toEqual({ kind: 'unique', constraint: 'operator_username_key' });
      expect(violationError(duplicate, { operator_username_key: { code: 'OPERATOR_EXISTS', message: 'exists' } })).toEqual({ code: 'OPERATOR_EXISTS', message: 'exists' });
      const badName = await db.prisma.operator.create({ data: { ...data, username: 'Alice Smith' } }).catch((e: unknown) => e);
      expect(violationError(badName)).toMatchObject({ code: 'DB_CONSTRAINT', details: { kind: 'check', constraint: 'operator_username_check' } });
      const other = new Error('not a database error');
      expect(() => violationError(other)).toThrow(other);
    } finally {
      await db.close();
    }
  });
});

describe('creating a migration', () => {
  it('finds nothing to do when schema.prisma matches the migrations, and writes a --draft on request', async () => {
    const dir = await mkdtemp(join(scratch, 'create-'));
    await cp(MIGRATIONS_DIR, dir, { recursive: true });
    expect(await createMigration('nothing_changed', { dir })).toBeNull();
    const folder = await createMigration('hand_written', { dir, draft: true, now: new Date('2030-01-02T03:04:05Z') });
    expect(folder).toBe(join(dir, '20300102030405_hand_written'));
    expect(await readFile(join(folder!, 'migration.sql'), 'utf8')).toContain('empty migration');
    await expect(createMigration('Bad Name', { dir })).rejects.toThrow(/snake_case/);
  });
});
