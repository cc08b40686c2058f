/**
 * `npm run bench:audit`: the cost of the audit chain. Per database (in-memory PGlite, a throwaway
 * PostgreSQL 15 cluster), transactions per second that append one audit event (lock the head row,
 * SM3, insert, move the head) against a baseline measured in the same run: transactions that
 * insert one row of the same shape into a table with no chain. On PostgreSQL also with four
 * concurrent connections, where the head row lock serialises appends and the baseline does not.
 * The audited column is the real append (chain and Merkle tree: leaf row, compact range in the
 * head); the chain-only column is the same append without the tree, into copies of the tables,
 * which is what an append cost before the tree: the "tree" ratio is the tree's cost.
 * Wall-clock: a warm-up round of each kind, then BENCH_ROUNDS (15) rounds of BENCH_EVENTS (100)
 * transactions per kind, the kinds interleaved.
 */
import { appendAuditEvent, encodeEvent, SYSTEM_ACTOR } from '../lib/audit';
import { unchainedEvent } from '../lib/audit/append';
import { sm3 } from '../lib/crypto/sm3';
import { openDatabase, type Database } from '../lib/db/client';
import { startPostgres } from '../test/support/postgres';

const PER_ROUND = Number(process.env.BENCH_EVENTS ?? 100);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15);
const details = { kind: 'ISSUER', code: '00000001', nameZh: '北京市政交通一卡通', contacts: [{ name: '王伟', email: 'wang@example.cn' }] };

async function plainInsert(db: Database, i: number) {
  await db.prisma.$transaction(async (tx) => {
    await tx.$executeRaw`INSERT INTO bench_plain (actor, action, object_id, details, time) VALUES ('system', 'bench.plain', ${String(i)}, ${JSON.stringify(details)}::jsonb, now())`;
  });
}

const input = (i: number) => ({ actor: SYSTEM_ACTOR, action: 'bench.append', objectType: 'bench', objectId: String(i), details, time: new Date() });

async function auditedAppend(db: Database, i: number) {
  await db.prisma.$transaction((tx) => appendAuditEvent(tx, input(i)));
}

// appendAuditEvent without the tree: the same checks and the same lock, the chain hash only, no
// leaf row, and a head row of the chain's own three columns.
async function chainOnlyAppend(db: Database, i: number) {
  await db.prisma.$transaction(async (tx) => {
    const event = unchainedEvent(input(i));
    const [head] = await tx.$queryRaw<{ seq: bigint; hash: Uint8Array }[]>`SELECT seq, hash FROM bench_chain_head WHERE id = 1 FOR UPDATE`;
    const fields = { ...event.fields, seq: BigInt(head.seq) + 1n, prevHash: new Uint8Array(head.hash) };
    const hash = sm3(encodeEvent(fields, event.detailsText));
    await tx.$executeRaw`
      WITH event AS (
        INSERT INTO bench_chain_event (seq, chain_version, time, actor_id, actor, action, object_type, object_id, details, prev_hash, hash)
        VALUES (${fields.seq}, ${fields.chainVersion}, ${fields.time}, ${fields.actorId}, ${fields.actor}, ${fields.action}, ${fields.objectType},
                ${fields.objectId}, ${event.detailsText}::jsonb, ${fields.prevHash}, ${hash})
        RETURNING seq, hash)
      UPDATE bench_chain_head SET seq = event.seq, hash = event.hash FROM event WHERE id = 1`;
  });
}

type Op = (db: Database, i: number) => Promise<void>;

/** Transactions per second of one round: `clients` × PER_ROUND / clients transactions. */
async function round(dbs: Database[], op: Op): Promise<number> {
  const start = performance.now();
  await Promise.all(
    dbs.map(async (db, c) => {
      for (let i = 0; i < PER_ROUND / dbs.length; i++) await op(db, c * PER_ROUND + i);
    }),
  );
  return PER_ROUND / ((performance.now() - start) / 1000);
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/**
 * Rounds of the three kinds interleaved (their order rotating), so that a change in the machine's
 * load meets all three alike: median rates, and the medians of each round's time ratios.
 */
async function rates(dbs: Database[], ops: readonly Op[]) {
  for (const op of ops) await round(dbs, op);
  const perRound: number[][] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const rates: number[] = [];
    for (let k = 0; k < ops.length; k++) {
      const at = (k + r) % ops.length;
      rates[at] = await round(dbs, ops[at]);
    }
    perRound.push(rates);
  }
  return {
    rates: ops.map((_, k) => median(perRound.map((rates) => rates[k]))),
    ratio: (fast: number, slow: number) => median(perRound.map((rates) => rates[fast] / rates[slow])),
  };
}

async function measure(label: string, dbs: Database[]) {
  await dbs[0].prisma.$executeRawUnsafe(
    `CREATE TABLE IF NOT EXISTS bench_plain (id bigserial PRIMARY KEY, actor text, action text, object_id text, details jsonb, time timestamptz)`,
  );
  // The chain's tables without the tree: the event table's copy with its constraints, indexes and
  // foreign key (its triggers fire on UPDATE and DELETE only), and the head as it was before the tree.
  await dbs[0].prisma.$executeRawUnsafe(
    `CREATE TABLE IF NOT EXISTS bench_chain_head (id integer PRIMARY KEY CHECK (id = 1), seq bigint NOT NULL CHECK (seq >= 0), hash bytea NOT NULL CHECK (octet_length(hash) = 32))`,
  );
  await dbs[0].prisma.$executeRawUnsafe(
    `CREATE TABLE IF NOT EXISTS bench_chain_event (LIKE audit_event INCLUDING ALL, FOREIGN KEY (actor_id) REFERENCES operator (id) ON DELETE SET NULL ON UPDATE CASCADE)`,
  );
  await dbs[0].prisma.$executeRawUnsafe(`INSERT INTO bench_chain_head SELECT id, seq, hash FROM audit_chain_head WHERE NOT EXISTS (SELECT FROM bench_chain_head)`);
  const { rates: [plain, chainOnly, audited], ratio } = await rates(dbs, [plainInsert, chainOnlyAppend, auditedAppend]);
  const tx = (r: number) => `${r.toFixed(0).padStart(7)} tx/s`;
  console.log(`${label.padEnd(30)} ${tx(plain)} ${tx(chainOnly)} ${tx(audited)}   ×${ratio(0, 2).toFixed(2)}   ×${ratio(1, 2).toFixed(2)}`);
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
