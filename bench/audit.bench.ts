/**
 * `npm run bench:audit`: the cost of the audit chain. Per database (in-memory PGlite, a throwaway
 * PostgreSQL 15 cluster), transactions per second that append one audit event (lock the head row,
 * SM3, insert, move the head) against a baseline measured in the same run: transactions that
 * insert one row of the same shape into a table with no chain. On PostgreSQL also with four
 * concurrent connections, where the head row lock serialises appends and the baseline does not.
 * The audited column is the real append (chain and Merkle tree: leaf row, compact range in the
 * head); the chain-only column is the same append without the tree, into copies of the tables,
 * which is what an append cost before the tree: the "tree" ratio is the tree's cost.
 * Wall-clock, median of five rounds after a warm-up round.
 */
import { appendAuditEvent, canonicalJson, CHAIN_VERSION, encodeEvent, normalizeJson, SYSTEM_ACTOR } from '../lib/audit';
import { sm3 } from '../lib/crypto/sm3';
import { openDatabase, type Database } from '../lib/db/client';
import { startPostgres } from '../test/support/postgres';

const PER_ROUND = Number(process.env.BENCH_EVENTS ?? 200);
const details = { kind: 'ISSUER', code: '00000001', nameZh: '北京市政交通一卡通', contacts: [{ name: '王伟', email: 'wang@example.cn' }] };

async function plainInsert(db: Database, i: number) {
  await db.prisma.$transaction(async (tx) => {
    await tx.$executeRaw`INSERT INTO bench_plain (actor, action, object_id, details, time) VALUES ('system', 'bench.plain', ${String(i)}, ${JSON.stringify(details)}::jsonb, now())`;
  });
}

async function auditedAppend(db: Database, i: number) {
  await db.prisma.$transaction((tx) => appendAuditEvent(tx, { actor: 'system', action: 'bench.append', objectType: 'bench', objectId: String(i), details, time: new Date() }));
}

const canonicalDetails = normalizeJson(details, 'details');
if (!canonicalDetails.ok) throw new Error(canonicalDetails.error.message);
const canonical = canonicalDetails.value;

async function chainOnlyAppend(db: Database, i: number) {
  await db.prisma.$transaction(async (tx) => {
    const [head] = await tx.$queryRaw<{ seq: bigint; hash: Uint8Array }[]>`SELECT seq, hash FROM bench_chain_head WHERE id = 1 FOR UPDATE`;
    const fields = {
      chainVersion: CHAIN_VERSION, seq: BigInt(head.seq) + 1n, time: new Date(), actorId: null, actor: SYSTEM_ACTOR,
      action: 'bench.append', objectType: 'bench', objectId: String(i), details: canonical, prevHash: new Uint8Array(head.hash),
    };
    const hash = sm3(encodeEvent(fields));
    await tx.$executeRaw`
      WITH event AS (
        INSERT INTO bench_chain_event (seq, chain_version, time, actor_id, actor, action, object_type, object_id, details, prev_hash, hash)
        VALUES (${fields.seq}, ${fields.chainVersion}, ${fields.time}, ${fields.actorId}, ${fields.actor}, ${fields.action}, ${fields.objectType},
                ${fields.objectId}, ${canonicalJson(fields.details)}::jsonb, ${fields.prevHash}, ${hash})
        RETURNING seq, hash)
      UPDATE bench_chain_head SET seq = event.seq, hash = event.hash FROM event WHERE id = 1`;
  });
}

/** Median transactions per second over five rounds of `clients` × PER_ROUND / clients transactions. */
async function rate(dbs: Database[], op: (db: Database, i: number) => Promise<void>): Promise<number> {
  const round = async () => {
    const start = performance.now();
    await Promise.all(
      dbs.map(async (db, c) => {
        for (let i = 0; i < PER_ROUND / dbs.length; i++) await op(db, c * PER_ROUND + i);
      }),
    );
    return PER_ROUND / ((performance.now() - start) / 1000);
  };
  await round();
  const rates: number[] = [];
  for (let r = 0; r < 5; r++) rates.push(await round());
  return rates.sort((a, b) => a - b)[2];
}

async function measure(label: string, dbs: Database[]) {
  await dbs[0].prisma.$executeRawUnsafe(
    `CREATE TABLE IF NOT EXISTS bench_plain (id bigserial PRIMARY KEY, actor text, action text, object_id text, details jsonb, time timestamptz)`,
  );
  // Copies of the chain's tables without the tree (their triggers do not matter to the cost).
  await dbs[0].prisma.$executeRawUnsafe(`CREATE TABLE IF NOT EXISTS bench_chain_head (LIKE audit_chain_head INCLUDING DEFAULTS)`);
  await dbs[0].prisma.$executeRawUnsafe(`CREATE TABLE IF NOT EXISTS bench_chain_event (LIKE audit_event INCLUDING ALL)`);
  await dbs[0].prisma.$executeRawUnsafe(`INSERT INTO bench_chain_head SELECT * FROM audit_chain_head WHERE NOT EXISTS (SELECT FROM bench_chain_head)`);
  const plain = await rate(dbs, plainInsert);
  const chainOnly = await rate(dbs, chainOnlyAppend);
  const audited = await rate(dbs, auditedAppend);
  const tx = (r: number) => `${r.toFixed(0).padStart(7)} tx/s`;
  console.log(`${label.padEnd(30)} ${tx(plain)} ${tx(chainOnly)} ${tx(audited)}   ×${(plain / audited).toFixed(2)}   ×${(chainOnly / audited).toFixed(2)}`);
}

console.log(`${'database'.padEnd(30)} ${'baseline'.padStart(12)} ${'chain only'.padStart(12)} ${'audited'.padStart(12)}   time ratios: audited/baseline, audited/chain only (the tree)`);
const pglite = await openDatabase({ dataDir: 'memory://' });
await measure('PGlite (in memory), 1 client', [pglite]);
await pglite.close();

const cluster = await startPostgres();
try {
  const url = await cluster.createDatabase('bench');
  const dbs = await Promise.all([0, 1, 2, 3].map(() => openDatabase({ url })));
  await measure('PostgreSQL 15, 1 connection', dbs.slice(0, 1));
  await measure('PostgreSQL 15, 4 connections', dbs);
  await Promise.all(dbs.map((d) => d.close()));
} finally {
  await cluster.stop();
}
process.exit(0);
