/**
 * The one transaction wrapper every CA service step runs in: refusals and constraint violations
 * come back as typed errors with everything rolled back; other failures propagate.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../db/client';
import { refuse, transact } from './transaction';

let db: Database;
beforeAll(async () => {
  db = await openDatabase({ dataDir: 'memory://' });
});
afterAll(() => db?.close());

const insertCounter = (name: string) => (tx: Parameters<Parameters<typeof transact>[1]>[0]) =>
  tx.$executeRaw`INSERT INTO counter (name, value, updated_at) VALUES (${name}, 0, now())`;
const counters = async (name: string) => (await db.prisma.$queryRaw<{ n: bigint }[]>`SELECT count(*) AS n FROM counter WHERE name = ${name}`)[0].n;

describe('transact', () => {
  it('answers a refusal as its typed error and keeps nothing the step wrote', async () => {
    const result = await transact(db.prisma, async (tx) => {
      await insertCounter('refused')(tx);
      refuse('REQUEST_STATE', 'no', { field: 'x' });
    });
    expect(result).toEqual({ ok: false, error: { code: 'REQUEST_STATE', message: 'no', field: 'x' } });
    expect(await counters('refused')).toBe(0n);
  });

  it('maps a unique violation by a concurrent writer to the named error, else DB_CONSTRAINT', async () => {
    expect((await transact(db.prisma, insertCounter('taken'))).ok).toBe(true);
    const named = await transact(db.prisma, insertCounter('taken'), { counter_pkey: { code: 'OPERATOR_EXISTS', message: 'exists' } });
    expect(named).toEqual({ ok: false, error: { code: 'OPERATOR_EXISTS', message: 'exists' } });
    const unnamed = await transact(db.prisma, insertCounter('taken'));
    expect(unnamed.ok ? null : unnamed.error).toMatchObject({ code: 'DB_CONSTRAINT', details: { kind: 'unique', constraint: 'counter_pkey' } });
    expect(await counters('taken')).toBe(1n);
  });

  it('lets failures that are not the step’s rules propagate', async () => {
    await expect(transact(db.prisma, async () => { throw new Error('bug'); })).rejects.toThrow('bug');
  });
});
