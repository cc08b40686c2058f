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
 * transactions per kind, the kinds interleaved; and the tree's ratio in CPU time (this process and,
 * on PostgreSQL, the server's processes), which the load of a shared machine disturbs far less.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { appendAuditEvent, encodeEvent, SYSTEM_ACTOR, type AuditEventInput } from '../lib/audit';
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

const input = (i: number): AuditEventInput => ({ actor: SYSTEM_ACTOR, action: 'bench.append', objectType: 'bench', objectId: String(i), details, time: new Date() });

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
/** CPU milliseconds used so far by the database server's processes (none: PGlite runs in this one). */
type ServerCpu = () => number;

const processCpu = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

/**
 * The cluster's server processes (the postmaster and its children) from Linux's /proc: the CPU a
 * transaction costs does not change with the shared machine's load the way its wall-clock time does.
 */
async function clusterCpu(db: Database): Promise<ServerCpu> {
  const [{ pid }] = await db.prisma.$queryRaw<{ pid: number }[]>`SELECT split_part(pg_read_file('postmaster.pid'), E'\n', 1)::int AS pid`;
  const MS_PER_TICK = 10; // USER_HZ is 100
  return () => {
    let ticks = 0;
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      const stat = (() => {
        try {
          return readFileSync(`/proc/${entry}/stat`, 'utf8');
        } catch {
          return undefined; // gone meanwhile
        }
      })();
      // Fields after the command's closing parenthesis: state, ppid, …, utime (12th), stime (13th).
      const fields = stat?.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields && (Number(entry) === pid || Number(fields[1]) === pid)) ticks += Number(fields[11]) + Number(fields[12]);
    }
    return ticks * MS_PER_TICK;
  };
}

/** One round of `clients` × PER_ROUND / clients transactions: per second, and CPU ms (this process and the server) per transaction. */
async function round(dbs: Database[], op: Op, serverCpu: ServerCpu): Promise<{ rate: number; cpu: number }> {
  const server = serverCpu();
  const client = processCpu();
  const start = performance.now();
  await Promise.all(
    dbs.map(async (db, c) => {
      for (let i = 0; i < PER_ROUND / dbs.length; i++) await op(db, c * PER_ROUND + i);
    }),
  );
  const rate = PER_ROUND / ((performance.now() - start) / 1000);
  const cpu = processCpu() - client;
  return { rate, cpu: (cpu + serverCpu() - server) / PER_ROUND };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/**
 * Rounds of the three kinds interleaved (their order rotating), so that a change in the machine's
 * load meets all three alike: median rates, and the medians of each round's time and CPU ratios.
 */
async function rounds(dbs: Database[], ops: readonly Op[], serverCpu: ServerCpu) {
  for (const op of ops) await round(dbs, op, serverCpu);
  const perRound: { rate: number; cpu: number }[][] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const results: { rate: number; cpu: number }[] = [];
    for (let k = 0; k < ops.length; k++) {
      const at = (k + r) % ops.length;
      results[at] = await round(dbs, ops[at], serverCpu);
    }
    perRound.push(results);
  }
  return {
    rates: ops.map((_, k) => median(perRound.map((results) => results[k].rate))),
    timeRatio: (fast: number, slow: number) => median(perRound.map((results) => results[fast].rate / results[slow].rate)),
    cpuRatio: (cheap: number, dear: number) => median(perRound.map((results) => results[dear].cpu / results[cheap].cpu)),
  };
}

async function measure(label: string, dbs: Database[], serverCpu: ServerCpu = () => 0) {
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
  const { rates: [plain, chainOnly, audited], timeRatio, cpuRatio } = await rounds(dbs, [plainInsert, chainOnlyAppend, auditedAppend], serverCpu);
  const tx = (r: number) => `${r.toFixed(0).padStart(7)} tx/s`;
  const times = (r: number) => `×${r.toFixed(2)}`.padStart(7);
  console.log(`${label.padEnd(30)} ${tx(plain)} ${tx(chainOnly)} ${tx(audited)}  ${times(timeRatio(0, 2))} ${times(timeRatio(1, 2))}   ${times(cpuRatio(1, 2))}`);
}

console.log(
  `${'database'.padEnd(30)} ${'baseline'.padStart(12)} ${'chain only'.padStart(12)} ${'audited'.padStart(12)}   time ratios: audited/baseline, audited/chain only (the tree); the tree's CPU ratio (client and server)`,
);
const pglite = await openDatabase({ dataDir: 'memory://' });
await measure('PGlite (in memory), 1 client', [pglite]);
await pglite.close();

const cluster = await startPostgres();
try {
  const url = await cluster.createDatabase('bench');
  const dbs = await Promise.all([0, 1, 2, 3].map(() => openDatabase({ url })));
  const serverCpu = await clusterCpu(dbs[0]);
  await measure('PostgreSQL 15, 1 connection', dbs.slice(0, 1), serverCpu);
  await measure('PostgreSQL 15, 4 connections', dbs, serverCpu);
  await Promise.all(dbs.map((d) => d.close()));
} finally {
  await cluster.stop();
}
process.exit(0);
