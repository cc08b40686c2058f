/**
 * The embedded database shared through its holder's socket, on a real PGlite directory: a second
 * opener joins instead of failing; clients and the holder get the one session a whole
 * transaction at a time (never interleaved, so advisory locks and read-modify-write stay exact);
 * a client that leaves mid-transaction is rolled back; the socket is its owner's alone; a holder
 * SIGKILLed under a client's open transaction leaves it DB_HOLDER_GONE and nothing half-written.
 */
import { spawn } from 'node:child_process';
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../cli/testSupport';
import { replyToThrown } from '../cli/main';
// The command line's database session registers what a lost holder means (lib/cli/faults.ts).
import '../cli/commands/databaseSession';
import { PGlite } from '@electric-sql/pglite';
import { embeddedHolderGone, openDatabase, type Database } from './client';
import { serveEmbedded } from './embeddedServer';
import { servedSocket, socketDirOf, socketPathOf, SOCKET_PORT } from './embeddedSocket';

const scratch = mkdtempSync(join(tmpdir(), 'tqca-served-'));
const dataDir = join(scratch, 'db');
let holder: Database;

const client = async (): Promise<pg.Client> => {
  const c = new pg.Client({ host: socketDirOf(dataDir), port: SOCKET_PORT, user: 'postgres', database: 'postgres' });
  await c.connect();
  return c;
};
const counter = async (): Promise<number> => Number((await holder.prisma.$queryRawUnsafe<{ n: number }[]>('SELECT n FROM served_counter WHERE id = 1'))[0].n);

beforeAll(async () => {
  holder = await openDatabase({ dataDir, serve: true });
  await holder.prisma.$executeRawUnsafe('CREATE TABLE served_counter (id int PRIMARY KEY, n int NOT NULL)');
  await holder.prisma.$executeRawUnsafe('INSERT INTO served_counter VALUES (1, 0)');
  await holder.prisma.$executeRawUnsafe('CREATE TABLE served_row (v int NOT NULL)');
}, 120_000);
afterAll(async () => {
  await holder?.close();
  rmSync(scratch, { recursive: true, force: true });
});

describe('the embedded database served by its holder', () => {
  it('lets a second opener join through the socket, both seeing what the other commits', async () => {
    expect(holder.embedded).toEqual({ role: 'holder', serving: true });
    // A second server never joins: it would lose its database when the holder stops.
    await expect(openDatabase({ dataDir, serve: true })).rejects.toMatchObject({ error: { code: 'DB_IN_USE' } });
    const joined = await openDatabase({ dataDir });
    try {
      expect(joined.embedded).toEqual({ role: 'joined' });
      await joined.prisma.$executeRawUnsafe('INSERT INTO served_row VALUES (1)');
      expect(await holder.prisma.$queryRawUnsafe('SELECT v FROM served_row')).toEqual([{ v: 1 }]);
      await holder.prisma.$executeRawUnsafe('INSERT INTO served_row VALUES (2)');
      expect(await joined.prisma.$queryRawUnsafe('SELECT v FROM served_row ORDER BY v')).toEqual([{ v: 1 }, { v: 2 }]);
    } finally {
      await joined.close();
      await holder.prisma.$executeRawUnsafe('DELETE FROM served_row');
    }
  });

  it('keeps the session for one client from BEGIN to COMMIT: another client’s statement waits for it', async () => {
    const [a, b] = await Promise.all([client(), client()]);
    try {
      const order: string[] = [];
      await a.query('BEGIN');
      await a.query('UPDATE served_counter SET n = n + 1 WHERE id = 1');
      const waiting = b.query('SELECT n FROM served_counter WHERE id = 1').then((r) => {
        order.push('b read');
        return Number(r.rows[0].n);
      });
      for (let i = 0; i < 3; i++) {
        await a.query('SELECT 1 AS one');
        order.push(`a ${i}`);
      }
      await a.query('COMMIT');
      order.push('a committed');
      const seen = await waiting;
      expect(order).toEqual(['a 0', 'a 1', 'a 2', 'a committed', 'b read']);
      expect(seen).toBe(await counter());
    } finally {
      await Promise.all([a.end(), b.end()]);
    }
  });

  it('never runs a client’s statement inside the holder’s own transaction, nor the other way round', async () => {
    const c = await client();
    try {
      const before = await counter();
      let read: Promise<number> | undefined;
      await holder.prisma.$transaction(async (tx) => {
        await tx.$executeRawUnsafe('UPDATE served_counter SET n = n + 100 WHERE id = 1');
        read = c.query('SELECT n FROM served_counter WHERE id = 1').then((r) => Number(r.rows[0].n));
        await tx.$queryRawUnsafe('SELECT 1 AS one');
        await tx.$executeRawUnsafe('UPDATE served_counter SET n = n - 99 WHERE id = 1');
      });
      // Inside the holder's transaction the client would have read before + 100.
      expect(await read).toBe(before + 1);
      await c.query('BEGIN');
      await c.query('UPDATE served_counter SET n = n + 100 WHERE id = 1');
      const holderRead = counter();
      await c.query('UPDATE served_counter SET n = n - 100 WHERE id = 1');
      await c.query('COMMIT');
      expect(await holderRead).toBe(before + 1);
    } finally {
      await c.end();
    }
  });

  it('loses no update when the holder and two clients read-modify-write under pg_advisory_xact_lock', async () => {
    const ROUNDS = 12;
    const before = await counter();
    const [a, b] = await Promise.all([client(), client()]);
    const seen: number[] = [];
    const viaClient = async (c: pg.Client) => {
      for (let i = 0; i < ROUNDS; i++) {
        await c.query('BEGIN');
        await c.query('SELECT 1 AS locked FROM pg_advisory_xact_lock(7)');
        const n = Number((await c.query('SELECT n FROM served_counter WHERE id = 1 FOR UPDATE')).rows[0].n);
        seen.push(n);
        await c.query('UPDATE served_counter SET n = $1 WHERE id = 1', [n + 1]);
        await c.query('COMMIT');
      }
    };
    const viaHolder = async () => {
      for (let i = 0; i < ROUNDS; i++) {
        await holder.prisma.$transaction(async (tx) => {
          await tx.$queryRawUnsafe('SELECT 1 AS locked FROM pg_advisory_xact_lock(7)');
          const [{ n }] = await tx.$queryRawUnsafe<{ n: number }[]>('SELECT n FROM served_counter WHERE id = 1 FOR UPDATE');
          seen.push(Number(n));
          await tx.$executeRawUnsafe(`UPDATE served_counter SET n = ${Number(n) + 1} WHERE id = 1`);
        });
      }
    };
    try {
      await Promise.all([viaClient(a), viaClient(b), viaHolder()]);
    } finally {
      await Promise.all([a.end(), b.end()]);
    }
    expect(await counter()).toBe(before + 3 * ROUNDS);
    // Every transaction read a different value: each saw the one before it committed.
    expect(new Set(seen).size).toBe(3 * ROUNDS);
  }, 120_000);

  it('rolls back what a departed client had open, in a transaction or between Execute and its Sync', async () => {
    const a = await client();
    a.on('error', () => {});
    await a.query('BEGIN');
    await a.query('INSERT INTO served_row VALUES (10)');
    const ended = new Promise((resolve) => a.once('end', resolve));
    (a as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
    await ended;
    // Statements sent without their Sync form an implicit transaction that a Sync would commit.
    await sendWithoutSync('INSERT INTO served_row VALUES (11)');
    expect(await holder.prisma.$queryRawUnsafe('SELECT v FROM served_row')).toEqual([]);
    // And the session is free again for everybody.
    const b = await client();
    expect((await b.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    await b.end();
  });

  it('disconnects a client that sits in a transaction without a word, so that it cannot stall the holder', async () => {
    const idleDir = join(scratch, 'idle');
    mkdirSync(idleDir, { mode: 0o700 });
    const pglite = await PGlite.create();
    const server = await serveEmbedded(pglite, join(idleDir, 'db'), { idleTurnMs: 200 });
    try {
      const c = new pg.Client({ host: socketDirOf(join(idleDir, 'db')), port: SOCKET_PORT, user: 'postgres', database: 'postgres' });
      c.on('error', () => {});
      await c.connect();
      await c.query('CREATE TABLE idle_row (v int)');
      const ended = new Promise((resolve) => c.once('end', resolve));
      // However slow this machine, the client is cut off after BEGIN or after the INSERT, never before.
      await c.query('BEGIN');
      await c.query('INSERT INTO idle_row VALUES (1)').catch(() => {});
      await ended;
      // The holder has the session again, without the departed client's row.
      expect((await pglite.query('SELECT count(*)::int AS n FROM idle_row')).rows).toEqual([{ n: 0 }]);
    } finally {
      await server.close();
      await pglite.close();
    }
  });

  it('serves on a socket only its owner can reach, and a client refuses one that others could', () => {
    const socket = lstatSync(socketPathOf(dataDir));
    const dir = lstatSync(socketDirOf(dataDir));
    expect(socket.isSocket()).toBe(true);
    expect([socket.mode & 0o777, dir.mode & 0o777, socket.uid, dir.uid]).toEqual([0o600, 0o700, process.getuid!(), process.getuid!()]);
    expect(servedSocket(dataDir)).toBe(socketPathOf(dataDir));

    const other = join(scratch, 'other');
    expect(servedSocket(other)).toBeUndefined();
    mkdirSync(socketDirOf(other), { mode: 0o755 });
    chmodSync(socketDirOf(other), 0o755);
    expect(() => servedSocket(other)).toThrow(expect.objectContaining({ error: expect.objectContaining({ code: 'DB_SOCKET_UNSAFE', details: expect.objectContaining({ mode: '0755' }) }) }));
    chmodSync(socketDirOf(other), 0o700);
    writeFileSync(socketPathOf(other), 'not a socket', { mode: 0o600 });
    expect(() => servedSocket(other)).toThrow(expect.objectContaining({ error: expect.objectContaining({ code: 'DB_SOCKET_UNSAFE', details: expect.objectContaining({ path: socketPathOf(other) }) }) }));
  });
});

// A holder in a process of its own: serves the database in TQCA_TEST_DB until it is killed.
const HOLDER = `
import { openDatabase } from './lib/db/client.ts';
const db = await openDatabase({ dataDir: process.env.TQCA_TEST_DB, serve: true });
await db.prisma.$executeRawUnsafe('CREATE TABLE IF NOT EXISTS kept (v int NOT NULL)');
process.stdout.write('ready');
setInterval(() => {}, 1000);`;

describe('a holder that dies under its clients', () => {
  it('fails the client’s transaction with DB_HOLDER_GONE; the next opener takes over and finds only what was committed', async () => {
    const killedDir = join(scratch, 'killed');
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', HOLDER], { cwd: projectRoot, env: { ...process.env, TQCA_TEST_DB: killedDir }, stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
    await new Promise((resolve) => child.stdout!.once('data', resolve));
    const joined = await openDatabase({ dataDir: killedDir });
    expect(joined.embedded).toEqual({ role: 'joined' });
    await joined.prisma.$executeRawUnsafe('INSERT INTO kept VALUES (1)');
    expect(embeddedHolderGone()).toBeUndefined();
    const failed = await joined.prisma
      .$transaction(async (tx) => {
        await tx.$executeRawUnsafe('INSERT INTO kept VALUES (2)');
        child.kill('SIGKILL');
        expect(await exited).toBe('SIGKILL');
        await tx.$queryRawUnsafe('SELECT 1 AS one');
      })
      .then(
        () => undefined,
        (thrown: unknown) => thrown,
      );
    expect(failed).toBeDefined();
    expect(embeddedHolderGone()).toMatchObject({ code: 'DB_HOLDER_GONE', details: { dataDir: killedDir } });
    // The command line reports it as that, not as INTERNAL.
    expect(JSON.parse(replyToThrown(failed).stdout)).toMatchObject({ valid: false, error: { code: 'DB_HOLDER_GONE' } });
    await joined.close();

    const taken = await openDatabase({ dataDir: killedDir });
    try {
      expect(taken.embedded).toEqual({ role: 'holder', serving: false });
      expect(await taken.prisma.$queryRawUnsafe('SELECT v FROM kept')).toEqual([{ v: 1 }]);
    } finally {
      await taken.close();
    }
  }, 120_000);
});

/** Connects, sends Parse/Bind/Execute of `sql` and a Flush (no Sync), waits for CommandComplete, disconnects. */
async function sendWithoutSync(sql: string): Promise<void> {
  const socket = connect(socketPathOf(dataDir));
  const message = (type: string, body: Buffer) => Buffer.concat([Buffer.from(type), int32(body.length + 4), body]);
  const int32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeInt32BE(n);
    return b;
  };
  const cstr = (s: string) => Buffer.from(`${s}\0`);
  let received = Buffer.alloc(0);
  const until = (type: number) =>
    new Promise<void>((resolve) => {
      const check = () => {
        for (let at = 0; at + 5 <= received.length; at += 1 + received.readInt32BE(at + 1)) {
          if (received[at] === type) {
            socket.off('data', onData);
            return resolve();
          }
        }
      };
      const onData = (d: Buffer) => {
        received = Buffer.concat([received, d]);
        check();
      };
      socket.on('data', onData);
      check();
    });
  await new Promise((resolve) => socket.once('connect', resolve));
  const params = Buffer.concat([cstr('user'), cstr('postgres'), cstr('database'), cstr('postgres'), Buffer.from([0])]);
  socket.write(Buffer.concat([int32(params.length + 8), int32(196608), params]));
  await until(0x5a);
  received = Buffer.alloc(0);
  socket.write(
    Buffer.concat([
      message('P', Buffer.concat([cstr(''), cstr(sql), Buffer.from([0, 0])])),
      message('B', Buffer.concat([cstr(''), cstr(''), Buffer.from([0, 0, 0, 0, 0, 0])])),
      message('E', Buffer.concat([cstr(''), int32(0)])),
      message('H', Buffer.alloc(0)),
    ]),
  );
  await until(0x43);
  socket.destroy();
  await new Promise((resolve) => socket.once('close', resolve));
}
