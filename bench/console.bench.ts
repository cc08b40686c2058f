/**
 * `npm run bench:console`: the certificates page's server response time (the production build,
 * `next start`, an officer's real session cookie, full HTML) with 10,000 certificates
 * (BENCH_CERTIFICATES) against 100, measured in the same run: two servers of one build, each on its
 * own database, requests alternating between them so both see the same machine load. The page
 * pages on the server (searchCertificates: count + one page), so the target is ≤ 1.2×. Median of
 * 30 requests after 5 warm-up requests each, per URL.
 *
 * Seeding: one certificate goes through the CA services end to end (challenge, submit, review,
 * approve, issue); the rest, and their issuers, are written directly with Prisma in batches,
 * because the services' one-at-a-time issuance runs at about one per second on a shared machine. Each seeded row is
 * still real: its own fresh SM2 issuer key (even Y), an A1 record with a valid proof of
 * possession, and certificate bytes signed by the HSM root key (the software token, verified on
 * the host as every signature is) — only the audit events of those direct writes are missing, so
 * this database is for the bench alone. Four certificates per issuer (the cap), expiries spread
 * over the next 30 months so the expiring tiers select some.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encode } from 'next-auth/jwt';
import { Secret, TOTP } from 'otpauth';
import { uintToBytes } from '../lib/bytes';
import { beginEnrolment, confirmEnrolment, DEFAULT_SESSION_POLICY, signIn } from '../lib/ca';
import { createInstitution } from '../lib/ca/institutions';
import { issuerCertificate, issuerKeyData, type CalendarMonth } from '../lib/codec';
import { expiryMonth } from '../lib/codec/expiry';
import { sm3 } from '../lib/crypto/sm3';
import type { Operator } from '../lib/ca/context';
import { unwrap } from '../lib/errors';
import { openCa, type OpenCa } from '../lib/runtime/openCa';
import { consoleKeys } from '../lib/server/secrets';
import { activeRootKey, buildRequest, issuedCertificate, issuerKeyPair } from '../test/e2e/harness';
import { sealedOperatorSet } from '../test/support/operators';
import { startPostgres, type TestPostgres } from '../test/support/postgres';

const LARGE = Number(process.env.BENCH_CERTIFICATES ?? 10_000);
const SMALL = 100;
const WARM_UP = 5;
const ROUNDS = 30;
const PASSWORD = 'correct horse battery staple';
const FIRST_ISSUER = 0x00300000;
const BATCH = 200;
const URLS = ['/certificates', '/certificates?status=ACTIVE&sort=expiresAt&order=desc&page=3'];

const freePort = () =>
  new Promise<number>((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });

function monthsAhead(months: number): CalendarMonth {
  const now = new Date(Date.now() + 8 * 3_600_000); // CST
  const m = now.getUTCMonth() + months;
  return { year: now.getUTCFullYear() + Math.floor(m / 12), month: (m % 12) + 1 };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

interface Seeding {
  readonly ca: OpenCa['ca'];
  readonly alice: Operator;
  readonly bob: Operator;
  readonly root: { readonly id: number; readonly hsmKeyId: Uint8Array };
}

/** Seeds certificates number `from` … `to` - 1 (index i: issuer FIRST_ISSUER + i/4, serial i%4 + 1). */
async function seed({ ca, alice, bob, root }: Seeding, from: number, to: number) {
  for (let start = from; start < to; start += BATCH) {
    const indices = Array.from({ length: Math.min(BATCH, to - start) }, (_, k) => start + k);
    const newIssuers = indices.filter((i) => i % 4 === 0 && i > 0).map((i) => ({ kind: 'ISSUER' as const, code: Buffer.from(uintToBytes(FIRST_ISSUER + i / 4, 4)), nameZh: `基准发卡机构 ${i / 4}` }));
    await ca.prisma.institution.createMany({ data: newIssuers });
    const codes = [...new Set(indices.map((i) => FIRST_ISSUER + Math.floor(i / 4)))];
    const institutions = await ca.prisma.institution.findMany({ where: { kind: 'ISSUER', code: { in: codes.map((c) => uintToBytes(c, 4) as Uint8Array<ArrayBuffer>) } } });
    const institutionOf = new Map(institutions.map((inst) => [Buffer.from(inst.code).readUInt32BE(0), inst.id]));
    const rows = await Promise.all(
      indices.map(async (i) => {
        const issuerId = FIRST_ISSUER + Math.floor(i / 4);
        const serial = (i % 4) + 1;
        const expiry = monthsAhead(1 + (i % 30));
        const key = issuerKeyPair();
        const challenge = Buffer.from(sm3(uintToBytes(i, 4), Buffer.from('bench-challenge')).subarray(0, 16));
        const { a1 } = buildRequest({ issuerId, challenge: challenge.toString('hex'), serial, expiry, key });
        const keyData = { expiry, serial, publicKey: key.publicKey };
        const signature = unwrap(await ca.keys.sign({ id: root.hsmKeyId }, issuerKeyData.encode(keyData)));
        return { i, issuerId, serial, expiry, key, challenge, a1, bytes: issuerCertificate.encode({ ...keyData, rootSignature: signature }) };
      }),
    );
    const now = new Date();
    await ca.prisma.$transaction(async (tx) => {
      const challenges = await tx.challenge.createManyAndReturn({
        data: rows.map((r) => ({ institutionId: institutionOf.get(r.issuerId)!, value: r.challenge, issuedAt: now, expiresAt: new Date(now.getTime() + 86_400_000), usedAt: now })),
        select: { id: true },
      });
      const requests = await tx.certificateRequest.createManyAndReturn({
        data: rows.map((r, k) => ({
          institutionId: institutionOf.get(r.issuerId)!,
          a1Record: Buffer.from(r.a1),
          requestedSerial: r.serial,
          requestedExpiryMonth: r.expiry.month,
          requestedExpiryYear: r.expiry.year,
          publicKey: Buffer.from(r.key.publicKey.bytes),
          fingerprint: Buffer.from(sm3(r.key.publicKey.bytes).subarray(0, 8)),
          challengeId: challenges[k].id,
          state: 'ISSUED' as const,
          submittedAt: now,
          reviewedById: alice.id,
          reviewedAt: now,
          fingerprintConfirmedAt: now,
          approvedById: bob.id,
          approvedAt: now,
          rootKeyId: root.id,
          issuedAt: now,
        })),
        select: { id: true },
      });
      const number = (k: number) => BigInt(1 + rows[k].i);
      await tx.certificateNumberAllocation.createMany({
        data: rows.map((r, k) => ({ number: number(k), requestId: requests[k].id, rootKeyId: root.id, state: 'ISSUED' as const, reservedAt: now, completedAt: now, signedBytes: Buffer.from(r.bytes), signedAt: now })),
      });
      await tx.certificate.createMany({
        data: rows.map((r, k) => ({
          number: number(k),
          institutionId: institutionOf.get(r.issuerId)!,
          serial: r.serial,
          requestId: requests[k].id,
          rootKeyId: root.id,
          bytes: Buffer.from(r.bytes),
          publicKey: Buffer.from(r.key.publicKey.bytes),
          expiryMonth: r.expiry.month,
          expiryYear: r.expiry.year,
          expiresAt: new Date(expiryMonth.end(r.expiry).getTime() + 1),
          issuedAt: now,
        })),
      });
      // The counter moves past the seeded numbers, as issuance would have moved it.
      await tx.$executeRaw`UPDATE counter SET value = GREATEST(value, ${BigInt(to)}) WHERE name = 'certificate_number'`;
    }, { maxWait: 60_000, timeout: 300_000 }); // a batch of 200 rows, on a busy machine
  }
}

/** A CA with `count` certificates in its own database and data directory, and an officer's session cookie for it. */
async function prepareCa(postgres: TestPostgres, name: string, count: number, base: NodeJS.ProcessEnv) {
  const dataDir = mkdtempSync(join(tmpdir(), `tqca-bench-console-${name}-`));
  const env = { ...base, TQCA_DATA_DIR: dataDir, DATABASE_URL: await postgres.createDatabase(name) };
  const opened = unwrap(await openCa(env));
  try {
    const { ca } = opened;
    const { admin, alice, bob } = await sealedOperatorSet(ca, PASSWORD, [['alice', 'OFFICER'], ['bob', 'OFFICER']]);
    const h = { ca, admin, alice, bob, issuerId: FIRST_ISSUER };
    await activeRootKey(h, 0x81);
    const root = await ca.prisma.rootKey.findUniqueOrThrow({ where: { index: 0x81 } });
    unwrap(await createInstitution(ca, admin, { kind: 'ISSUER', code: uintToBytes(FIRST_ISSUER, 4), nameZh: '基准发卡机构 0' }));
    await issuedCertificate(h, 1, monthsAhead(12), 0x81); // the one certificate issued through the services
    await seed({ ca, alice, bob, root }, 1, count);
    process.stdout.write(`  ${name}: ${count} certificates\n`);

    // An officer's real console session: enrolled second factor, signed in through the service, the JWT next-auth would set.
    const keys = consoleKeys(env); // from TQCA_CONSOLE_KEY, as the server reads it
    const auth = { prisma: ca.prisma, now: () => new Date(), sealKey: keys.sealKey, policy: DEFAULT_SESSION_POLICY };
    const enrolment = unwrap(await beginEnrolment(auth, alice));
    const recovery = unwrap(await confirmEnrolment(auth, alice, new TOTP({ secret: Secret.fromBase32(enrolment!.secret) }).generate()));
    const session = unwrap(await signIn(auth, { username: 'alice', password: PASSWORD, code: recovery[0] }));
    return { env, dataDir, cookie: `tqca.session=${await encode({ token: { sid: session.id }, secret: keys.jwtSecret })}` };
  } finally {
    await opened.close();
  }
}

interface Served {
  readonly url: string;
  readonly cookie: string;
  readonly process: ChildProcess;
}

async function serve(env: NodeJS.ProcessEnv, cookie: string): Promise<Served> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let output = '';
  const server = spawn('npx', ['next', 'start', '-p', String(port), '-H', '127.0.0.1'], { env: { ...env, NEXTAUTH_URL: url }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  server.stdout!.on('data', (d) => (output += d));
  server.stderr!.on('data', (d) => (output += d));
  for (let i = 0; !(await fetch(`${url}/sign-in`).then((r) => r.ok, () => false)); i++) {
    if (i > 480 || server.exitCode !== null) throw new Error(`the console did not start:\n${output}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  return { url, cookie, process: server };
}

async function stop(server: ChildProcess) {
  if (server.exitCode !== null) return;
  const exited = new Promise((r) => server.once('exit', r));
  process.kill(-server.pid!, 'SIGTERM');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
}

async function timed(server: Served, path: string): Promise<number> {
  const started = performance.now();
  const response = await fetch(`${server.url}${path}`, { headers: { cookie: server.cookie }, redirect: 'manual' });
  const html = await response.text();
  const elapsed = performance.now() - started;
  if (response.status !== 200 || !html.includes('data-testid="certificates"')) throw new Error(`${path}: ${response.status}, not the certificates page`);
  return elapsed;
}

async function main() {
  const postgres = await startPostgres();
  const base = {
    ...process.env,
    NEXT_TELEMETRY_DISABLED: '1',
    UV_THREADPOOL_SIZE: '16',
    TQCA_NEXT_DIST_DIR: '.next-bench',
    // One console key for both servers and this process (consoleKeys reads it once per process).
    TQCA_CONSOLE_KEY: randomBytes(32).toString('hex'),
  };
  const dataDirs: string[] = [];
  const servers: Served[] = [];
  try {
    process.stdout.write('building the console (.next-bench)…\n');
    const built = spawnSync('npx', ['next', 'build'], { env: base, encoding: 'utf8' });
    if (built.status !== 0) throw new Error(`next build failed:\n${built.stdout}\n${built.stderr}`);
    process.stdout.write('seeding…\n');
    for (const [name, count] of [['small', SMALL], ['large', LARGE]] as const) {
      const prepared = await prepareCa(postgres, name, count, base);
      dataDirs.push(prepared.dataDir);
      servers.push(await serve(prepared.env, prepared.cookie));
    }
    const [small, large] = servers;
    // Interleaved, one request at a time: both servers see the same machine load.
    const results = [];
    for (const path of URLS) {
      for (let i = 0; i < WARM_UP; i++) for (const server of servers) await timed(server, path);
      const times = { small: [] as number[], large: [] as number[] };
      for (let i = 0; i < ROUNDS; i++) {
        times.small.push(await timed(small, path));
        times.large.push(await timed(large, path));
      }
      results.push({ path, small: median(times.small), large: median(times.large) });
    }

    process.stdout.write(`\ncertificates page, median of ${ROUNDS} interleaved requests (ms)\n`);
    process.stdout.write(`${'url'.padEnd(64)} ${String(SMALL).padStart(8)} ${String(LARGE).padStart(8)}  ratio (target ≤ 1.2×)\n`);
    for (const r of results) {
      process.stdout.write(`${r.path.padEnd(64)} ${r.small.toFixed(1).padStart(8)} ${r.large.toFixed(1).padStart(8)}  ${(r.large / r.small).toFixed(2)}×\n`);
    }
  } finally {
    for (const server of servers) await stop(server.process);
    await postgres.stop();
    for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
  }
}

await main();
