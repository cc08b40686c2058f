import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ENGINES, useTestDatabase } from '../../test/support/databases';
import { openDatabase } from '../db/client';
import { Prisma } from '../db/generated/client';
import { TqException } from '../errors';
import { anticipatedHead, appendAuditEvent, GENESIS_HASH, verifyStoredChain, type AuditEventInput } from '.';

const run = promisify(execFile);

const event = (objectId: string, details: Record<string, unknown> = {}): AuditEventInput => ({
  actor: { id: 1, username: 'alice' },
  action: 'test.append',
  objectType: 'thing',
  objectId,
  details,
  time: new Date('2026-11-24T06:00:00.000Z'),
});

describe.each(ENGINES)('audit chain on %s', (engine) => {
  const t = useTestDatabase(engine);
  const append = (e: AuditEventInput) => t.db.prisma.$transaction((tx) => appendAuditEvent(tx, e));

  it('starts empty at the genesis head', async () => {
    expect(await t.db.prisma.auditChainHead.findUniqueOrThrow({ where: { id: 1 } })).toEqual({ id: 1, seq: 0n, hash: GENESIS_HASH, treeSize: 0n, treeHashes: new Uint8Array(0) });
    expect(await verifyStoredChain(t.db.prisma)).toEqual({ ok: true, value: { events: 0, lastSeq: 0n, lastHash: GENESIS_HASH } });
  });

  it('appends events with consecutive seqs, each chained to the previous hash, and moves the head', async () => {
    // The actor id must name an operator (foreign key); "system" needs none.
    const a = await t.db.prisma.$transaction((tx) => appendAuditEvent(tx, { ...event('a'), actor: 'system' }));
    const b = await t.db.prisma.$transaction((tx) => appendAuditEvent(tx, { ...event('b', { bytes: new Uint8Array([1, 2]), n: 10n ** 20n }), actor: 'system' }));
    expect([a.seq, b.seq]).toEqual([1n, 2n]);
    const rows = await t.db.prisma.auditEvent.findMany({ orderBy: { seq: 'asc' } });
    expect(rows.map((r) => r.objectId)).toEqual(['a', 'b']);
    expect(rows[0].prevHash).toEqual(GENESIS_HASH);
    expect(rows[1].prevHash).toEqual(rows[0].hash);
    expect(rows[1].details).toEqual({ bytes: '0102', n: '100000000000000000000' });
    expect(rows[1]).toMatchObject({ actor: 'system', actorId: null, chainVersion: 1 });
    expect(await t.db.prisma.auditChainHead.findUniqueOrThrow({ where: { id: 1 } })).toMatchObject({ seq: 2n, hash: b.hash });
    expect((await verifyStoredChain(t.db.prisma)).ok).toBe(true);
  });

  it('writes nothing when the transaction rolls back, and the next event takes the next seq', async () => {
    await expect(
      t.db.prisma.$transaction(async (tx) => {
        await appendAuditEvent(tx, { ...event('lost'), actor: 'system' });
        throw new Error('the change failed after its event');
      }),
    ).rejects.toThrow('the change failed');
    const next = await append({ ...event('c'), actor: 'system' });
    expect(next.seq).toBe(3n);
    expect(await t.db.prisma.auditEvent.count({ where: { objectId: 'lost' } })).toBe(0);
  });

  it('refuses malformed events with typed errors before touching the chain', async () => {
    for (const [patch, field] of [
      [{ action: 'Create' }, 'action'],
      [{ objectType: 'a b' }, 'objectType'],
      [{ objectId: '' }, 'objectId'],
      [{ time: new Date(Number.NaN) }, 'time'],
      [{ details: { x: Number.NaN } }, 'details.x'],
    ] as const) {
      const thrown = await append({ ...event('bad'), actor: 'system', ...patch }).catch((e: unknown) => e);
      expect(thrown).toBeInstanceOf(TqException);
      expect((thrown as TqException).error.field).toBe(field);
    }
    expect(await t.db.prisma.auditChainHead.findUniqueOrThrow({ where: { id: 1 } })).toMatchObject({ seq: 3n });
  });

  it('verifies while appends continue (up to the head it read first)', async () => {
    const verifying = verifyStoredChain(t.db.prisma);
    const appended = await append({ ...event('during'), actor: 'system' });
    const verified = await verifying;
    expect(verified.ok && verified.value.lastSeq).toBeLessThanOrEqual(appended.seq);
    expect((await verifyStoredChain(t.db.prisma)).ok).toBe(true);
  });

  it('is append-only: UPDATE, DELETE and TRUNCATE are refused by the database', async () => {
    await expect(t.db.prisma.$executeRawUnsafe(`UPDATE audit_event SET actor = 'mallory' WHERE seq = 2`)).rejects.toThrow(/append-only/);
    await expect(t.db.prisma.$executeRawUnsafe(`DELETE FROM audit_event WHERE seq = 3`)).rejects.toThrow(/append-only/);
    await expect(t.db.prisma.$executeRawUnsafe(`TRUNCATE audit_event`)).rejects.toThrow(/append-only/);
    expect(await t.db.prisma.auditEvent.count()).toBe(4);
  });

  it('a row changed behind the triggers breaks verification at that seq; a deleted last row breaks it at the head', async () => {
    await t.db.prisma.$executeRawUnsafe(`ALTER TABLE audit_event DISABLE TRIGGER USER`);
    await t.db.prisma.$executeRawUnsafe(`UPDATE audit_event SET details = '{"bytes":"0103","n":"100000000000000000000"}' WHERE seq = 2`);
    const tampered = await verifyStoredChain(t.db.prisma);
    expect(!tampered.ok && tampered.error).toMatchObject({ code: 'AUDIT_CHAIN_BROKEN', field: 'hash', details: { seq: '2' } });

    await t.db.prisma.$executeRawUnsafe(`UPDATE audit_event SET details = '{"n":"100000000000000000000","bytes":"0102"}' WHERE seq = 2`);
    expect((await verifyStoredChain(t.db.prisma)).ok).toBe(true); // key order in jsonb is not part of the hash

    await t.db.prisma.$executeRawUnsafe(`DELETE FROM audit_event WHERE seq = 4`);
    const truncated = await verifyStoredChain(t.db.prisma);
    expect(!truncated.ok && truncated.error).toMatchObject({ code: 'AUDIT_CHAIN_BROKEN', field: 'head' });
    await t.db.prisma.$executeRawUnsafe(`ALTER TABLE audit_event ENABLE TRIGGER USER`);
  });

  it('writes a change given alongside in the event’s statement; if that change fails, neither is written', async () => {
    const counter = (name: string, value: number) => Prisma.sql`row AS (INSERT INTO counter (name, value, updated_at) VALUES (${name}, ${value}, now()))`;
    const head = await t.db.prisma.auditChainHead.findUniqueOrThrow({ where: { id: 1 } });
    const written = await t.db.prisma.$transaction((tx) => appendAuditEvent(tx, { ...event('alongside'), actor: 'system' }, { writesAlongside: counter('alongside-test', 7) }));
    expect(written.seq).toBe(head.seq + 1n);
    expect(await t.db.prisma.counter.findUniqueOrThrow({ where: { name: 'alongside-test' } })).toMatchObject({ value: 7n });
    expect(await t.db.prisma.auditEvent.count({ where: { objectId: 'alongside' } })).toBe(1);
    // The same name again: the counter's primary key refuses the statement, event and all.
    const refused = await t.db.prisma.$transaction((tx) => appendAuditEvent(tx, { ...event('refused'), actor: 'system' }, { writesAlongside: counter('alongside-test', 8) })).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(TqException);
    expect((refused as TqException).error).toMatchObject({ code: 'AUDIT_WRITE_FAILED', message: expect.stringContaining('or the change written with it') });
    expect(await t.db.prisma.auditEvent.count({ where: { objectId: 'refused' } })).toBe(0);
    expect(await t.db.prisma.counter.findUniqueOrThrow({ where: { name: 'alongside-test' } })).toMatchObject({ value: 7n });
    expect((await t.db.prisma.auditChainHead.findUniqueOrThrow({ where: { id: 1 } })).seq).toBe(written.seq);
  });
});

describe('concurrent appends on postgresql', () => {
  const t = useTestDatabase('postgresql');

  it('from two connections and two processes never fork the chain', async () => {
    const other = await openDatabase({ url: t.url, migrate: false });
    const appendMany = (db: typeof other, name: string) =>
      Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          db.prisma.$transaction((tx) => appendAuditEvent(tx, { ...event(`${name}-${i}`), actor: 'system' })),
        ),
      );
    const worker = (name: string) =>
      run(process.execPath, ['--import', 'tsx', 'test/support/auditAppendWorker.ts', t.url!, '25', name]).then(({ stdout }) => JSON.parse(stdout) as string[]);
    try {
      const [p1, p2] = await Promise.all([worker('p1'), worker('p2'), appendMany(t.db, 'c1'), appendMany(other, 'c2')]);
      expect(p1).toHaveLength(25);
      expect(p2).toHaveLength(25);
    } finally {
      await other.close();
    }
    const rows = await t.db.prisma.auditEvent.findMany({ orderBy: { seq: 'asc' }, select: { seq: true } });
    expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: 70 }, (_, i) => BigInt(i + 1)));
    const verified = await verifyStoredChain(t.db.prisma);
    expect(verified.ok && verified.value.events).toBe(70);
  });

  it('waits for an append holding the head it read ahead, then follows that append, not the head it read', async () => {
    const other = await openDatabase({ url: t.url, migrate: false });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let locked!: () => void;
    const holding = new Promise<void>((resolve) => (locked = resolve));
    try {
      // Another connection's append, stopped between taking the head's lock and writing its event.
      const first = other.prisma.$transaction(async (tx) => {
        await tx.$queryRaw`SELECT id FROM audit_chain_head WHERE id = 1 FOR UPDATE`;
        locked();
        await gate;
        return appendAuditEvent(tx, { ...event('holder'), actor: 'system' });
      });
      await holding;
      const ahead = t.db.prisma.$transaction(async (tx) => {
        const head = anticipatedHead();
        const [row] = await tx.$queryRaw<{ head: string | null }[]>`SELECT ${head.column} AS head`;
        return appendAuditEvent(tx, { ...event('waiter'), actor: 'system' }, { anticipated: head.read(row.head) });
      });
      // Released only once the waiter's statement waits on the head's lock.
      for (let waiting = 0; waiting === 0; ) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        [{ waiting }] = await other.prisma.$queryRaw<{ waiting: number }[]>`SELECT count(*)::int AS waiting FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`;
      }
      release();
      const [holder, waiter] = await Promise.all([first, ahead]);
      expect(waiter.seq).toBe(holder.seq + 1n);
    } finally {
      release();
      await other.close();
    }
    const verified = await verifyStoredChain(t.db.prisma);
    expect(verified.ok).toBe(true);
  });
});
