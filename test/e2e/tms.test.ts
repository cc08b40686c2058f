/**
 * An acquirer's TMS journey with the real `tqca tms pull` against a real `next start` on
 * PostgreSQL (one build, one server; a second server only to play a server restored from an older
 * backup): the first pull trusts the root by its check value; an issued certificate arrives; a
 * revocation arrives by delta (the A4, one A3 fewer) and its propagation completes once the TMS
 * acknowledged; a root rotation is crossed by walking the versions in between; a proxy flipping one
 * byte is refused and the last good bundle kept; a bundle the server stopped replacing alarms as it
 * nears and passes its expiry; a server on an older copy of the database is refused as a rollback.
 * And a malformed TQCA_API_RATE stops the server at start-up.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseHex } from '../../lib/bytes';
import { createApiToken, createInstitution, revocationPropagation, revokeCertificate } from '../../lib/ca';
import { runTqca, type TqcaRun } from '../../lib/cli/testSupport';
import { unwrap } from '../../lib/errors';
import { DEFAULT_PUBLICATION_POLICY, publish } from '../../lib/publication';
import { openCa, type OpenCa } from '../../lib/runtime/openCa';
import { sealedOperatorSet } from '../support/operators';
import { startPostgres, type TestPostgres } from '../support/postgres';
import { CA_EXTENSIONS, CLIENT_EXTENSIONS, SERVER_EXTENSIONS, tlsIssuer } from '../support/tlsCertificates';
import { NEXT_BIN, serverGroup, SUITE_DIST_DIR, suiteBuild } from '../support/nextServer';
import { activeRootKey, issuedCertificate, PASSWORD, type CaUnderTest } from './harness';

// Each step runs the real binary several times (a cold start each): minutes on a loaded machine, not the default minute.
vi.setConfig({ testTimeout: 240_000 });

const HOUR = 3600 * 1000;
/** A policy under which the latest bundle is always due for replacement: a new version on demand. */
const DUE = { ...DEFAULT_PUBLICATION_POLICY, leadSeconds: DEFAULT_PUBLICATION_POLICY.lifetimeSeconds };

const servers = serverGroup(SUITE_DIST_DIR);
let postgres: TestPostgres;
let dir: string;
let env: Record<string, string>;
let backupUrl: string;
let opened: OpenCa;
let h: CaUnderTest;
let base: string;
let tokenFile: string;
let state: string;
let checkValue: string;
let secondCheckValue: string;

/** The CA in this process, on the server's database and token store: the operators' side of the journey. */
async function openTestCa(): Promise<OpenCa> {
  return unwrap(await openCa(env));
}

beforeAll(async () => {
  await suiteBuild();
  postgres = await startPostgres();
  dir = mkdtempSync(join(tmpdir(), 'tqca-tms-'));
  env = { DATABASE_URL: await postgres.createDatabase('tms'), TQCA_DATA_DIR: join(dir, 'ca'), TQCA_HSM_POOL_SIZE: '2', TQCA_API_RATE: '1000', TQCA_API_BURST: '1000' };
  opened = await openTestCa();
  const operators = await sealedOperatorSet(opened.ca, PASSWORD, [['alice', 'OFFICER'], ['bob', 'OFFICER']]);
  const issuer = unwrap(await createInstitution(opened.ca, operators.admin!, { kind: 'ISSUER', code: unwrap(parseHex('00001001')), nameZh: '发卡甲' }));
  const acquirer = unwrap(await createInstitution(opened.ca, operators.admin!, { kind: 'ACQUIRER', nameZh: '收单甲' }));
  const token = unwrap(await createApiToken(opened.ca, operators.admin!, { institutionId: acquirer.id, scope: 'ACQUIRER', label: 'TMS', expiresAt: new Date(Date.now() + 30 * 24 * HOUR) }));
  tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, `${token.token}\n`, { mode: 0o600 });
  h = { ca: opened.ca, admin: operators.admin!, alice: operators.alice!, bob: operators.bob!, issuerId: Buffer.from(issuer.code).readUInt32BE() };
  const root = await activeRootKey(h, 0x91);
  checkValue = root.checkValue;
  // The backup: a copy of the database as it is now (version 1), taken while nothing holds it open.
  await opened.close();
  const admin = new pg.Client({ connectionString: postgres.url });
  await admin.connect();
  // A closed pool's backends may still be on their way out; a template copy needs none left.
  await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'tms' AND pid <> pg_backend_pid()");
  await admin.query('CREATE DATABASE tms_backup TEMPLATE tms');
  await admin.end();
  backupUrl = env.DATABASE_URL.replace(/\/tms$/, '/tms_backup');
  opened = await openTestCa();
  h = { ...h, ca: opened.ca };
  ({ base } = await servers.startNext(env));
  state = join(dir, 'tms-state');
}, 900_000);

afterAll(async () => {
  servers.stopAll();
  await opened?.close();
  await postgres?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const pullFrom = (server: string, ...extra: string[]) => runTqca(['tms', 'pull', '--json', '--server', server, '--token-file', tokenFile, '--state', state, ...extra]);
const pull = (...extra: string[]) => pullFrom(base, ...extra);
const status = async (...extra: string[]) => (await runTqca(['tms', 'status', '--json', '--state', state, ...extra])).json;
const latest = async () => (await opened.ca.prisma.publishedBundle.findFirstOrThrow({ orderBy: { version: 'desc' } })).version;
const installedBytes = () => readFileSync(join(state, `bundle-${JSON.parse(readFileSync(join(state, 'state.json'), 'utf8')).version}.bin`));
const expectExit = (run: TqcaRun, code: number) => expect(run.exitCode, `${run.stdout}\n${run.stderr}`).toBe(code);

describe('tqca tms pull against a running server', () => {
  it('first pull: trusts the root by its check value, installs the latest version owner-only, acknowledges it; then 304', async () => {
    const untrusted = await runTqca(['tms', 'pull', '--json', '--server', base, '--token-file', tokenFile, '--state', join(dir, 'untrusted')]);
    expectExit(untrusted, 1);
    expect(untrusted.json.error.code).toBe('CLIENT_TRUST_MISSING');

    const first = await pull('--root-check', checkValue);
    expectExit(first, 0);
    expect(first.json).toMatchObject({ outcome: 'installed', verified: [{ version: await latest(), via: 'full' }], installed: { version: await latest(), signedBy: '91', trustedRoots: ['91'], acknowledged: true } });
    expect(statSync(state).mode & 0o777).toBe(0o700);
    expect(statSync(join(state, 'state.json')).mode & 0o777).toBe(0o600);

    const again = await pull();
    expectExit(again, 0);
    expect(again.json).toMatchObject({ outcome: 'current', verified: [] });
  });

  let kept: string;
  let revokedNumber: string;
  it('issuance: the new certificate arrives by delta', async () => {
    const one = await issuedCertificate(h, 1, { year: 2028, month: 6 }, 0x91);
    const two = await issuedCertificate(h, 2, { year: 2028, month: 7 }, 0x91);
    [revokedNumber, kept] = [one.number, two.number];
    const run = await pull();
    expectExit(run, 0);
    expect(run.json.outcome).toBe('installed');
    expect(run.json.verified.at(-1)).toMatchObject({ version: await latest(), via: 'delta' });
    expect((await status()).installed.certificateNumbers).toEqual([one.number, two.number]);
  });

  it('revocation: the A4 and one A3 fewer arrive by delta; once acknowledged, the propagation is complete', async () => {
    unwrap(await revokeCertificate(opened.ca, h.bob, parseInt(revokedNumber, 16), 'keyCompromise'));
    const [pending] = unwrap(await revocationPropagation(opened.ca));
    expect(pending).toMatchObject({ certificateNumber: revokedNumber, firstVersion: await latest(), completedAt: null });
    expect(pending!.pending).toHaveLength(1);

    const run = await pull();
    expectExit(run, 0);
    expect(run.json.verified).toEqual([{ version: await latest(), via: 'delta' }]);
    const installed = (await status()).installed;
    expect([installed.certificateNumbers, installed.revokedNumbers]).toEqual([[kept], [revokedNumber]]);

    const operator = { ...process.env, ...env, TQCA_OPERATOR: 'alice', TQCA_PASSWORD: PASSWORD };
    const report = await runTqca(['distribution', 'status', '--json'], { env: operator });
    expectExit(report, 0);
    const [done] = report.json.revocations;
    expect(done).toMatchObject({ certificateNumber: revokedNumber, firstVersion: await latest(), pending: [] });
    expect(Date.parse(done.completedAt) - Date.parse(done.revokedAt)).toBe(done.propagationMs);
  });

  it('root rotation: a manifest signed by a root not yet trusted is reached through the version the trusted root signed', async () => {
    const before = await latest();
    secondCheckValue = (await activeRootKey(h, 0x92)).checkValue;
    // The activation publishes twice: a version signed by 91 that lists 92, then one signed by 92.
    expect(await latest()).toBe(before + 2);
    const run = await pull();
    expectExit(run, 0);
    expect(run.json.verified.map((v: { version: number }) => v.version)).toEqual([before + 1, before + 2]);
    expect(run.json.installed).toMatchObject({ version: before + 2, signedBy: '92', trustedRoots: ['91', '92'], acknowledged: true });
  });

  it('a proxy flipping one byte of every bundle and delta: refused, the last good bundle kept; without it the version installs', async () => {
    unwrap(await publish(opened.ca, 'scheduled', { policy: DUE }));
    const proxy = await flippingProxy(new URL(base));
    try {
      const good = installedBytes();
      const run = await pullFrom(`http://127.0.0.1:${(proxy.address() as AddressInfo).port}`);
      expectExit(run, 1);
      expect(run.json.outcome).toBe('refused');
      expect(run.json.error.code).toBe('BODY_DIGEST_MISMATCH');
      expect(run.json.installed.version).toBe((await latest()) - 1);
      expect(installedBytes()).toEqual(good);
    } finally {
      proxy.close();
    }
    const direct = await pull();
    expectExit(direct, 0);
    expect(direct.json.installed.version).toBe(await latest());
  });

  it('the server stops publishing: the installed bundle alarms as it nears and passes its expiry, and a bundle past its expiry is refused', async () => {
    const expires = Date.parse((await status()).installed.expires);
    const near = await pull('--at', new Date(expires - 6 * HOUR).toISOString());
    expectExit(near, 3);
    expect([near.json.outcome, near.json.alarm.code]).toEqual(['current', 'CLIENT_BUNDLE_STALE']);
    const past = await pull('--at', new Date(expires + HOUR).toISOString());
    expectExit(past, 3);
    expect([past.json.outcome, past.json.alarm.code]).toEqual(['current', 'CLIENT_BUNDLE_EXPIRED']);
    expectExit(await runTqca(['tms', 'status', '--state', state, '--at', new Date(expires + HOUR).toISOString()]), 3);

    // A new version, but the client's clock is past its expiry too: refused, the old one kept, the alarm stands.
    const installed = (await status()).installed.version;
    unwrap(await publish(opened.ca, 'scheduled', { policy: DUE }));
    const late = await pull('--at', new Date(Date.parse((await status()).installed.expires) + 8 * 24 * HOUR).toISOString());
    expectExit(late, 3);
    expect([late.json.outcome, late.json.error.code, late.json.alarm.code, late.json.installed.version]).toEqual(['refused', 'BUNDLE_EXPIRED', 'CLIENT_BUNDLE_EXPIRED', installed]);
  });

  it('a server restored from an older backup, serving a lower version, is refused as a rollback', async () => {
    const installed = (await status()).installed.version;
    const restored = await servers.startNext({ ...env, DATABASE_URL: backupUrl });
    const run = await pullFrom(restored.base);
    expectExit(run, 1);
    expect(run.json).toMatchObject({ outcome: 'refused', offered: 1, error: { code: 'BUNDLE_ROLLBACK' }, installed: { version: installed } });
    restored.child.kill('SIGTERM');
  });
});

describe('tqca tms pull over HTTPS with a client certificate', () => {
  it('installs through the server’s own TLS with --ca-cert, --client-cert and --client-key; without a client certificate the handshake fails', async () => {
    const tls = join(dir, 'tls');
    const issue = tlsIssuer(tls);
    issue('ca', 'TQ-CA test TLS root', undefined, CA_EXTENSIONS);
    issue('server', '127.0.0.1', 'ca', SERVER_EXTENSIONS);
    issue('client', 'acquirer TMS', 'ca', CLIENT_EXTENSIONS);
    const tlsEnv = { TQCA_TLS_CERT: join(tls, 'server.pem'), TQCA_TLS_KEY: join(tls, 'server.key'), TQCA_TLS_CLIENT_CA: join(tls, 'ca.pem') };
    const { port, child } = await servers.start(() => ['scripts/tlsServer.mjs'], { ...env, ...tlsEnv }, () => /tqca: https:\/\/127\.0\.0\.1/.test(servers.log()));
    try {
      const https = ['tms', 'pull', '--json', '--server', `https://127.0.0.1:${port}`, '--token-file', tokenFile, '--state', join(dir, 'tls-state'), '--root-check', checkValue, '--root-check', secondCheckValue, '--ca-cert', join(tls, 'ca.pem')];
      const refused = await runTqca(https);
      expectExit(refused, 1);
      expect(refused.json.error.code).toBe('CLIENT_SERVER_UNREACHABLE');
      const installed = await runTqca([...https, '--client-cert', join(tls, 'client.pem'), '--client-key', join(tls, 'client.key')]);
      expectExit(installed, 0);
      // A fresh TMS is given the check values of the keys in use: 92 signs the current version.
      expect(installed.json).toMatchObject({ outcome: 'installed', installed: { version: await latest(), acknowledged: true } });
    } finally {
      child.kill('SIGTERM');
    }
  });
});

describe('start-up configuration', () => {
  it('a malformed TQCA_API_RATE stops the server with API_CONFIG_INVALID naming it', async () => {
    const child = spawn(process.execPath, [NEXT_BIN, 'start', '-p', '0', '-H', '127.0.0.1'], {
      env: { ...process.env, ...env, TQCA_API_RATE: 'fast', TQCA_NEXT_DIST_DIR: SUITE_DIST_DIR, NEXT_TELEMETRY_DISABLED: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code, output).toBe(2);
    expect(output).toContain('tqca: API_CONFIG_INVALID: TQCA_API_RATE must be a positive number, not "fast"');
  }, 120_000);
});

/** A reverse proxy in front of `target` that flips one byte near the end of every bundle and delta it passes on. */
async function flippingProxy(target: URL): Promise<Server> {
  const proxy = createServer((req, res) => {
    const upstream = request({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers }, (answer) => {
      const chunks: Buffer[] = [];
      answer.on('data', (c: Buffer) => chunks.push(c));
      answer.on('end', () => {
        const body = Buffer.concat(chunks);
        if (/^\/api\/v1\/bundles\/\d+/.test(req.url ?? '') && answer.statusCode === 200 && body.length > 40) body[body.length - 40]! ^= 0x01;
        const { 'transfer-encoding': _chunked, connection: _connection, ...headers } = answer.headers;
        res.writeHead(answer.statusCode ?? 502, { ...headers, 'content-length': String(body.length) });
        res.end(body);
      });
    });
    req.pipe(upstream);
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  return proxy;
}
