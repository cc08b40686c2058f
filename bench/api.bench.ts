/**
 * `npm run bench:api`: the acquirers' poll against a real `next build` + `next start` on
 * 127.0.0.1 (the servers and helpers of test/e2e/api.test.ts, test/support/nextServer.ts), on a
 * throwaway PostgreSQL (test/support/postgres.ts) with the software token, load from autocannon
 * (bounded: CONNECTIONS connections, at most SECONDS s and MAX_REQUESTS requests per run).
 *
 * (a) the If-None-Match 304 answer of GET /api/v1/bundles/latest against GET /api/v1/health (a
 *     constant answer of the same server, no token), target ≥ 0.8×;
 * (b) that 304 path with SMALL and with LARGE certificates in the bundle, target flat within 10%;
 * (c) one publication at LARGE certificates against its floor (SM3 of the body plus two HSM
 *     signatures), measured as bench:publication does, on PostgreSQL here.
 *
 * Ratios, not assertions: the machine is shared. BENCH_API_LARGE (default 10000) sets LARGE;
 * TQCA_NEXT_BUILT=1 reuses the tree's existing `next build`; BENCH_API_PARTS=c measures (c) alone
 * (no build, no server; default abc).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { createApiToken, createInstitution } from '../lib/ca';
import { unwrap } from '../lib/errors';
import { startHarness, type Harness } from '../test/e2e/harness';
import { buildNext, serverGroup } from '../test/support/nextServer';
import { startPostgres } from '../test/support/postgres';
import { measurePublication, seedCertificates, type PublicationCost } from './seedCertificates';

const SMALL = 100;
const LARGE = Number(process.env.BENCH_API_LARGE ?? 10_000);
const CONNECTIONS = 10;
const SECONDS = 5;
const MAX_REQUESTS = 50_000;

async function load(url: string, headers: Record<string, string>, expectStatus: number): Promise<number> {
  const result = await autocannon({ url, connections: CONNECTIONS, duration: SECONDS, maxOverallRequests: MAX_REQUESTS, headers });
  const answered = expectStatus === 304 ? result['3xx'] : result['2xx'];
  if (result.errors > 0 || answered !== result.requests.total) {
    throw new Error(`${url}: ${result.requests.total} requests, ${answered} answered ${expectStatus}, ${result.errors} errors, ${result.non2xx} not 2xx`);
  }
  return result.requests.total / (result.duration || SECONDS);
}

interface Measured {
  readonly certificates: number;
  readonly health: number;
  readonly notModified: number;
  readonly publication?: PublicationCost;
}

interface Prepared {
  readonly h: Harness;
  readonly url: string;
  readonly certificates: number;
  readonly token: string;
  readonly publication?: PublicationCost;
}

/** A CA with `certificates` certificates published and an acquirer's token. */
async function prepare(url: string, certificates: number, publication: boolean): Promise<Prepared> {
  const h = await startHarness({ url });
  console.log(`seeding ${certificates} certificates…`);
  await seedCertificates(h, certificates);
  const cost = publication ? await measurePublication(h) : undefined;
  const acquirer = unwrap(await createInstitution(h.ca, h.admin, { kind: 'ACQUIRER', nameZh: '基准收单机构' }));
  const { token } = unwrap(await createApiToken(h.ca, h.admin, { institutionId: acquirer.id, scope: 'ACQUIRER', label: 'bench', expiresAt: new Date(Date.now() + 86_400_000) }));
  return { h, url, certificates, token, publication: cost };
}

/** A server on the prepared database and token: /health, then the 304 poll, then /health again. */
async function measure(p: Prepared): Promise<Measured> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tqca-bench-api-'));
  const env = {
    ...p.h.token.env,
    DATABASE_URL: p.url,
    TQCA_DATA_DIR: dataDir,
    TQCA_PKCS11_MODULE: p.h.token.modulePath,
    TQCA_HSM_PROFILE: 'softtoken',
    TQCA_TOKEN_LABEL: p.h.token.tokenLabel,
    TQCA_HSM_PIN: p.h.token.pin,
    // The poll path is measured, not the per-token rate limit.
    TQCA_API_RATE: '10000000',
    TQCA_API_BURST: '10000000',
  };
  const { child, base: origin } = await serverGroup().startNext(env);
  try {
    const base = `${origin}/api/v1`;
    const auth = { authorization: `Bearer ${p.token}` };
    const etag = (await fetch(`${base}/bundles/latest`, { headers: auth })).headers.get('etag')!;
    const poll = { ...auth, 'if-none-match': etag };
    // Warm both paths (compilation, caches), then health before and after the polls.
    await load(`${base}/health`, {}, 200);
    await load(`${base}/bundles/latest`, poll, 304);
    const before = await load(`${base}/health`, {}, 200);
    const notModified = await load(`${base}/bundles/latest`, poll, 304);
    const after = await load(`${base}/health`, {}, 200);
    return { certificates: p.certificates, health: (before + after) / 2, notModified, publication: p.publication };
  } finally {
    child.kill('SIGTERM');
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const PARTS = process.env.BENCH_API_PARTS ?? 'abc';
const polls = /[ab]/.test(PARTS);
if (polls) {
  console.log('next build…');
  buildNext('.next');
}
const pg = await startPostgres();
try {
  // One CA (and software token) at a time: a process holds one token store.
  const runs: Measured[] = [];
  const cas = [['bench_api_small', SMALL, false], ['bench_api_large', LARGE, PARTS.includes('c')]] as const;
  for (const [name, certificates, publication] of polls ? cas : cas.slice(1)) {
    const p = await prepare(await pg.createDatabase(name), certificates, publication);
    try {
      runs.push(polls ? await measure(p) : { certificates, health: NaN, notModified: NaN, publication: p.publication });
    } finally {
      await p.h.close();
    }
  }
  if (polls) {
    const [small, large] = runs;
    const rate = (n: number) => `${n.toFixed(0)} req/s`;
    for (const m of runs) console.log(`${m.certificates} certificates: GET /health ${rate(m.health)}, GET /bundles/latest (304) ${rate(m.notModified)}`);
    console.log(`(a) 304 / health at ${SMALL}: ${(small.notModified / small.health).toFixed(2)}×, at ${LARGE}: ${(large.notModified / large.health).toFixed(2)}× (target ≥ 0.8×)`);
    console.log(`(b) 304 at ${LARGE} / at ${SMALL}: ${(large.notModified / small.notModified).toFixed(2)}× (target within 0.9–1.1×)`);
  }
  const cost = runs[runs.length - 1].publication;
  if (cost) console.log(`(c) publication at ${LARGE}: ${cost.publication.toFixed(1)} ms, floor ${cost.floor.toFixed(1)} ms: ${(cost.publication / cost.floor).toFixed(1)}× (target ≤ 2×)`);
} finally {
  await pg.stop();
}
