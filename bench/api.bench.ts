/**
 * `npm run bench:api`: the acquirers' poll against a real `next build` + `next start` on
 * 127.0.0.1 (the servers and helpers of test/e2e/api.test.ts, test/support/nextServer.ts), on a
 * throwaway PostgreSQL (test/support/postgres.ts) with the software token, load from autocannon
 * (CONNECTIONS connections, SECONDS s and at most MAX_REQUESTS requests per load).
 *
 * (a) the If-None-Match 304 answer of GET /api/v1/bundles/latest against GET /api/v1/health (a
 *     constant answer of the same server, no token), target ≥ 0.8×;
 * (b) that 304 path with SMALL and with LARGE certificates in the bundle, target flat within 10%;
 * (c) one publication at LARGE certificates against its floor (SM3 of the body plus two HSM
 *     signatures), measured as bench:publication does, on PostgreSQL here, in a process of its
 *     own that joins the seeded CA as a server does.
 *
 * Fair on a shared machine: both CAs are seeded first, then both servers run side by side, so
 * (a) and (b) compare loads of the same minutes, not of different ones. Each is warmed the same
 * and measured only once past its first minute timers (lib/server/ca.ts: the scheduled
 * publication, which then holds the latest bundle decoded, as a long-running server does; the
 * log check), in its steady state. WARM_ROUNDS uncounted and ROUNDS counted rounds follow, the
 * servers' order alternating: each loads both servers' /health, then both servers' 304 poll, so
 * the loads a ratio compares are seconds apart; no round overlaps a timer tick of either server
 * (its start, plus a multiple of the minute, plus TICK_WORK_MS): a timer landing in one size's
 * load would be drift, not the 304 path. The ratios are medians of the rounds' ratios; every
 * round and the load average are printed. Besides the rates, each load reports the server's CPU
 * time per answer (all its threads, GC included, from /proc): what other processes take of the
 * machine changes the rate, far less that, so a 304 path whose work grew with the bundle would
 * show there first.
 *
 * Ratios, not assertions: the machine is shared. BENCH_API_LARGE (default 10000) sets LARGE,
 * BENCH_API_ROUNDS (default 12) the rounds; TQCA_NEXT_BUILT=1 reuses the tree's existing
 * `next build`; BENCH_API_PARTS picks the parts (default abc; ab: the polls alone, no publication
 * measured; c: the publication alone, no build, no server).
 */
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';
import { joinedSoftToken, softToken, type TokenUnderTest } from '../hsm/testTokens';
import { createApiToken, createInstitution } from '../lib/ca';
import { unwrap } from '../lib/errors';
import { LOG_CHECK_INTERVAL_MS, PUBLICATION_INTERVAL_MS } from '../lib/server/ca';
import { startHarness } from '../test/e2e/harness';
import { buildNext, serverGroup } from '../test/support/nextServer';
import { startPostgres } from '../test/support/postgres';
import { PUBLICATION_ROUNDS, measurePublication, seedCertificates, type PublicationCost } from './seedCertificates';

const SMALL = 100;
const LARGE = Number(process.env.BENCH_API_LARGE ?? 10_000);
const ROUNDS = Number(process.env.BENCH_API_ROUNDS ?? 12);
const CONNECTIONS = 10;
const SECONDS = 2;
const WARM_ROUNDS = 3;
const MAX_REQUESTS = 50_000;
/** The server's timers whose work may grow with the CA (the 1 s manifest and token-state reads and the 5 s poll-count flush do not). */
const TIMERS_MS = [PUBLICATION_INTERVAL_MS, LOG_CHECK_INTERVAL_MS];
/** How long a tick's work may take on a loaded machine (the scheduled publication at LARGE). */
const TICK_WORK_MS = 5000;

interface Sample {
  /** Answers per second. */
  readonly rate: number;
  /** The server's CPU time (all its threads: GC and libuv too) per answer, ms. */
  readonly cpu: number;
}

/** One load against the server `pid`: every request answered `expectStatus`, no error. */
async function load(pid: number, url: string, headers: Record<string, string>, expectStatus: number): Promise<Sample> {
  const cpuBefore = cpuMs(pid);
  const result = await autocannon({ url, connections: CONNECTIONS, duration: SECONDS, maxOverallRequests: MAX_REQUESTS, headers });
  const cpu = cpuMs(pid) - cpuBefore;
  const answered = expectStatus === 304 ? result['3xx'] : result['2xx'];
  if (result.errors > 0 || answered !== result.requests.total) {
    throw new Error(`${url}: ${result.requests.total} requests, ${answered} answered ${expectStatus}, ${result.errors} errors, ${result.non2xx} not 2xx`);
  }
  return { rate: result.requests.total / (result.duration || SECONDS), cpu: cpu / result.requests.total };
}

/**
 * CPU time (user and system, ms) of process `pid` and its descendants so far, from Linux's /proc
 * (clock ticks of 10 ms); NaN where there is none. What other processes take of the machine
 * changes a server's rate, not the CPU it spends per answer.
 */
function cpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const own = (Number(fields[11]) + Number(fields[12])) * 10; // utime, stime: fields 14 and 15
    const children = readdirSync(`/proc/${pid}/task`).flatMap((task) => readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').split(' ').filter(Boolean));
    return children.reduce((sum, child) => sum + cpuMs(Number(child)), own);
  } catch {
    return NaN;
  }
}

/** A CA seeded and closed again; its token store and database stay for the server. */
interface Prepared {
  readonly url: string;
  readonly certificates: number;
  readonly token: TokenUnderTest;
  readonly apiToken: string;
  readonly publication?: Omit<PublicationCost, 'latest'>;
}

/** A CA with `certificates` certificates published and an acquirer's API token. */
async function prepare(url: string, certificates: number, publication: boolean): Promise<Prepared> {
  const token = softToken('softtoken');
  // One CA (and software token) open at a time: a process holds one token store.
  const h = await startHarness({ url, token });
  let apiToken: string;
  try {
    console.log(`seeding ${certificates} certificates…`);
    await seedCertificates(h, certificates);
    const acquirer = unwrap(await createInstitution(h.ca, h.admin, { kind: 'ACQUIRER', nameZh: '基准收单机构' }));
    apiToken = unwrap(await createApiToken(h.ca, h.admin, { institutionId: acquirer.id, scope: 'ACQUIRER', label: 'bench', expiresAt: new Date(Date.now() + 86_400_000) })).token;
  } finally {
    await h.close();
  }
  return { url, certificates, token, apiToken, publication: publication ? measurePublicationApart(url) : undefined };
}

const PUBLICATION_CHILD = 'publication';

/**
 * (c) in a process of its own that joins the seeded CA, as the server does, not in this one: its
 * heap still holds what seeding 10,000 certificates made (scavenges of 4–12 ms inside a publication).
 */
function measurePublicationApart(url: string): Omit<PublicationCost, 'latest'> {
  const r = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), PUBLICATION_CHILD, url], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`the publication's process failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Omit<PublicationCost, 'latest'>;
}

async function measurePublicationHere(url: string): Promise<void> {
  const h = await startHarness({ url, token: joinedSoftToken(), join: true });
  try {
    const { latest, ...cost } = await measurePublication(h);
    console.log(JSON.stringify(cost));
  } finally {
    await h.close();
  }
}

interface Server {
  readonly certificates: number;
  readonly pid: number;
  readonly base: string;
  readonly poll: Record<string, string>;
  /** When its minute timers were set: between asking for the server and its first answer. */
  readonly timersFrom: number;
  readonly timersTo: number;
}

/** The end of a server's timer tick (and its work) that would overlap the next `ms` from now, else null. */
function tickWithin(servers: readonly Server[], ms: number): number | null {
  const now = Date.now();
  for (const s of servers) {
    for (const period of TIMERS_MS) {
      for (let k = Math.max(1, Math.floor((now - s.timersTo) / period)); ; k++) {
        const from = s.timersFrom + k * period;
        const to = s.timersTo + k * period + TICK_WORK_MS;
        if (from > now + ms + 1000) break;
        if (to > now - 500) return to;
      }
    }
  }
  return null;
}

/** Waits until the next `ms` are free of every server's minute ticks. */
async function quiet(servers: readonly Server[], ms: number): Promise<void> {
  for (let until = tickWithin(servers, ms); until !== null; until = tickWithin(servers, ms)) await sleep(until - Date.now());
}

interface Round {
  readonly health: Sample;
  readonly notModified: Sample;
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

const loadAverage = () => loadavg().map((l) => l.toFixed(2)).join(' ');

async function measurePolls(prepared: readonly Prepared[]): Promise<void> {
  const group = serverGroup();
  const dataDirs: string[] = [];
  const exited: Promise<unknown>[] = [];
  try {
    const servers: Server[] = [];
    for (const p of prepared) {
      const dataDir = mkdtempSync(join(tmpdir(), 'tqca-bench-api-'));
      dataDirs.push(dataDir);
      const env = {
        ...p.token.env,
        DATABASE_URL: p.url,
        TQCA_DATA_DIR: dataDir,
        TQCA_PKCS11_MODULE: p.token.modulePath,
        TQCA_HSM_PROFILE: 'softtoken',
        TQCA_TOKEN_LABEL: p.token.tokenLabel,
        TQCA_HSM_PIN: p.token.pin,
        // The poll path is measured, not the per-token rate limit.
        TQCA_API_RATE: '10000000',
        TQCA_API_BURST: '10000000',
      };
      const timersFrom = Date.now();
      const { child, base: origin } = await group.startNext(env);
      exited.push(once(child, 'exit'));
      const base = `${origin}/api/v1`;
      const auth = { authorization: `Bearer ${p.apiToken}` };
      const etag = (await fetch(`${base}/bundles/latest`, { headers: auth })).headers.get('etag')!;
      servers.push({ certificates: p.certificates, pid: child.pid!, base, poll: { ...auth, 'if-none-match': etag }, timersFrom, timersTo: Date.now() });
    }
    const loadHealth = (s: Server) => load(s.pid, `${s.base}/health`, {}, 200);
    const loadPoll = (s: Server) => load(s.pid, `${s.base}/bundles/latest`, s.poll, 304);
    // Warm both the same (compilation, caches), then past every server's first ticks.
    for (const s of servers) {
      await loadHealth(s);
      await loadPoll(s);
    }
    const steady = Math.max(...servers.map((s) => s.timersTo + Math.max(...TIMERS_MS) + TICK_WORK_MS));
    console.log(`waiting ${Math.max(0, (steady - Date.now()) / 1000).toFixed(0)} s for the servers' first minute timers…`);
    await sleep(Math.max(0, steady - Date.now()));

    console.log(`load average before: ${loadAverage()}`);
    const rounds = servers.map((): Round[] => []);
    const shown = (x: Sample) => `${x.rate.toFixed(0)} req/s ${x.cpu.toFixed(2)} ms`;
    // The first WARM_ROUNDS rounds are not counted: the JIT is still at work in both.
    for (let r = -WARM_ROUNDS; r < ROUNDS; r++) {
      const order = r % 2 === 0 ? [0, 1] : [1, 0];
      await quiet(servers, 4 * SECONDS * 1000 + 2000);
      const health: Sample[] = [];
      const notModified: Sample[] = [];
      // The two sizes' /health side by side, then their polls: each pair (b) compares is adjacent.
      for (const i of order) health[i] = await loadHealth(servers[i]);
      for (const i of order) notModified[i] = await loadPoll(servers[i]);
      if (r < 0) continue;
      for (const i of order) rounds[i].push({ health: health[i], notModified: notModified[i] });
      const one = (i: number) => `${servers[i].certificates}: health ${shown(health[i])}, 304 ${shown(notModified[i])}`;
      console.log(`round ${r + 1} (${new Date().toISOString().slice(11, 19)}, load ${loadAverage()}): ${one(0)}; ${one(1)}`);
    }
    console.log(`load average after: ${loadAverage()} (rates, and the server's CPU ms per answer)`);

    const ratio = (values: readonly number[]) => `${median(values).toFixed(2)}× (rounds ${Math.min(...values).toFixed(2)}–${Math.max(...values).toFixed(2)})`;
    for (const [i, s] of servers.entries()) {
      const m = (pick: (x: Round) => Sample) => ({ rate: median(rounds[i].map((x) => pick(x).rate)), cpu: median(rounds[i].map((x) => pick(x).cpu)) });
      console.log(`${s.certificates} certificates, medians: GET /health ${shown(m((x) => x.health))}, GET /bundles/latest (304) ${shown(m((x) => x.notModified))}`);
    }
    const [small, large] = rounds;
    const againstHealth = (a: readonly Round[]) => ratio(a.map((x) => x.notModified.rate / x.health.rate));
    console.log(`(a) 304 / health at ${SMALL}: ${againstHealth(small)}, at ${LARGE}: ${againstHealth(large)} (target ≥ 0.8×)`);
    console.log(`(b) 304 at ${LARGE} / at ${SMALL}: ${ratio(large.map((x, i) => x.notModified.rate / small[i].notModified.rate))} (target within 0.9–1.1×)`);
    console.log(`    CPU per 304 at ${LARGE} / at ${SMALL}: ${ratio(large.map((x, i) => x.notModified.cpu / small[i].notModified.cpu))}`);
  } finally {
    group.stopAll();
    // Their poll counts are flushed on the way out, while the database is still there.
    await Promise.all(exited);
    for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
  }
}

const PARTS = process.env.BENCH_API_PARTS ?? 'abc';

async function main(): Promise<void> {
  const polls = /[ab]/.test(PARTS);
  if (polls) {
    console.log('next build…');
    buildNext('.next');
  }
  const pg = await startPostgres();
  const prepared: Prepared[] = [];
  try {
    const cas = [['bench_api_small', SMALL, false], ['bench_api_large', LARGE, PARTS.includes('c')]] as const;
    for (const [name, certificates, publication] of polls ? cas : cas.slice(1)) prepared.push(await prepare(await pg.createDatabase(name), certificates, publication));
    if (polls) await measurePolls(prepared);
    const cost = prepared[prepared.length - 1].publication;
    if (cost) console.log(`(c) publication at ${LARGE}, in a process joining the seeded CA: ${cost.publication.toFixed(1)} ms (median of ${PUBLICATION_ROUNDS}; not counted: the process's first ${cost.first.toFixed(1)} ms, then ${cost.warmUp.map((ms) => ms.toFixed(1)).join(', ')} ms), floor ${cost.floor.toFixed(1)} ms: ${cost.ratio.toFixed(2)}× (median of the rounds' ratios ${cost.ratios.map((r) => r.toFixed(2)).join(' ')}; target ≤ 2×)`);
  } finally {
    for (const p of prepared) p.token.dispose();
    await pg.stop();
  }
}

if (process.argv[2] === PUBLICATION_CHILD) await measurePublicationHere(process.argv[3]);
else await main();
