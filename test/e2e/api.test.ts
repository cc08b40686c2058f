/**
 * The machine-client API end to end: one `next build`, one `next start` on PostgreSQL with the
 * software token, real HTTP. The authorization matrix (every endpoint × no token, malformed,
 * unknown, expired, revoked, wrong scope, another institution's object, the right token),
 * malformed input (never a 500), the rate limit's 429 with Retry-After, a revocation made by
 * another process honoured within a second, and every answer checked against the OpenAPI
 * document, which a maintained validator accepts.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Validator } from '@seriousme/openapi-schema-validator';
import Ajv2020 from 'ajv/dist/2020';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPENAPI_DOCUMENT } from '../../lib/api/openapi';
import { createApiToken, createInstitution, revokeApiToken, approveCeremony, requestRootKeyChange, requestRootKeyCreation, type Operator, type ServiceContext } from '../../lib/ca';
import { openDatabase, type Database } from '../../lib/db/client';
import { unwrap } from '../../lib/errors';
import { openCa } from '../../lib/runtime/openCa';
import { projectRoot } from '../../lib/cli/testSupport';
import { sealedOperatorSet } from '../support/operators';
import { startPostgres, type TestPostgres } from '../support/postgres';

const PASSWORD = 'correct horse battery staple';
const DAY = 24 * 3600 * 1000;
const RATE = { TQCA_API_RATE: '2', TQCA_API_BURST: '30' };

let pg: TestPostgres;
let dataDir: string;
const children: ChildProcess[] = [];
let env: Record<string, string>;
let base: string;
let db: Database;
let admin: Operator;
const tokens = {} as Record<'acquirer' | 'other' | 'expired' | 'revoked' | 'issuer' | 'limited' | 'late', string>;
let otherCode: string;
let serverLog = '';

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

async function seed(env: Record<string, string>) {
  const opened = unwrap(await openCa(env));
  try {
    const { ca } = opened;
    const operators = await sealedOperatorSet(ca, PASSWORD, [['alice', 'OFFICER'], ['bob', 'OFFICER']]);
    admin = operators.admin!;
    const [alice, bob] = [operators.alice!, operators.bob!];
    const created = unwrap(await requestRootKeyCreation(ca, alice, { index: 0x91, environment: 'TEST', expiry: { year: 2031, month: 12, day: 31 } }));
    unwrap(await approveCeremony(ca, bob, created.id));
    unwrap(await approveCeremony(ca, bob, unwrap(await requestRootKeyChange(ca, alice, 'ACTIVATE', 0x91)).id));

    const acquirer = unwrap(await createInstitution(ca, admin, { kind: 'ACQUIRER', nameZh: '收单甲' }));
    const other = unwrap(await createInstitution(ca, admin, { kind: 'ACQUIRER', nameZh: '收单乙' }));
    otherCode = Buffer.from(other.code).toString('hex');
    const issuer = unwrap(await createInstitution(ca, admin, { kind: 'ISSUER', nameZh: '发卡丙' }));
    const make = async (ctx: ServiceContext, institutionId: number, scope: 'ACQUIRER' | 'ISSUER', expiresAt: Date) =>
      unwrap(await createApiToken(ctx, admin, { institutionId, scope, label: 'test', expiresAt })).token;
    const inMonth = new Date(Date.now() + 30 * DAY);
    tokens.acquirer = await make(ca, acquirer.id, 'ACQUIRER', inMonth);
    tokens.other = await make(ca, other.id, 'ACQUIRER', inMonth);
    tokens.limited = await make(ca, acquirer.id, 'ACQUIRER', inMonth);
    tokens.late = await make(ca, acquirer.id, 'ACQUIRER', inMonth);
    tokens.issuer = await make(ca, issuer.id, 'ISSUER', inMonth);
    tokens.revoked = await make(ca, acquirer.id, 'ACQUIRER', inMonth);
    unwrap(await revokeApiToken(ca, admin, tokens.revoked.slice(4, 20), 'test'));
    // Created two days ago, valid for one.
    const past = { prisma: ca.prisma, now: () => new Date(Date.now() - 2 * DAY) };
    tokens.expired = await make(past, acquirer.id, 'ACQUIRER', new Date(Date.now() - DAY));
  } finally {
    await opened.close();
  }
}

/** Starts `args` (next start, or the TLS entry) on a free port; resolves once `ready(port)` says it listens. */
async function startServer(args: (port: number) => string[], env: Record<string, string>, ready: (port: number) => boolean | Promise<boolean>): Promise<{ child: ChildProcess; port: number }> {
  const port = await freePort();
  const child = spawn(process.execPath, args(port), { cwd: projectRoot, env: { ...process.env, ...env, PORT: String(port), NEXT_TELEMETRY_DISABLED: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  child.stdout!.on('data', (d) => (serverLog += d));
  child.stderr!.on('data', (d) => (serverLog += d));
  for (let i = 0; i < 300; i++) {
    if (await Promise.resolve(ready(port)).catch(() => false)) return { child, port };
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the server did not come up:\n${serverLog}`);
}

beforeAll(async () => {
  const build = spawnSync(process.execPath, [join(projectRoot, 'node_modules/next/dist/bin/next'), 'build'], { cwd: projectRoot, env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' }, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`next build failed:\n${build.stdout}\n${build.stderr}`);
  pg = await startPostgres();
  dataDir = mkdtempSync(join(tmpdir(), 'tqca-api-'));
  env = { DATABASE_URL: await pg.createDatabase('api'), TQCA_DATA_DIR: dataDir, TQCA_HSM_POOL_SIZE: '2', ...RATE };
  await seed(env);
  const next = join(projectRoot, 'node_modules/next/dist/bin/next');
  const { port } = await startServer((p) => [next, 'start', '-p', String(p), '-H', '127.0.0.1'], env, async (p) => (await fetch(`http://127.0.0.1:${p}/api/v1/openapi.json`)).ok);
  base = `http://127.0.0.1:${port}`;
  db = await openDatabase({ url: env.DATABASE_URL });
}, 600_000);

afterAll(async () => {
  for (const child of children) child.kill('SIGTERM');
  await db?.close();
  await pg?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

// --- the OpenAPI document and responses against it ---------------------------------------------
const ajv = new Ajv2020({ strict: false, allErrors: true });
ajv.addFormat('date-time', { type: 'string', validate: (s: string) => !Number.isNaN(Date.parse(s)) });
ajv.addSchema({ $id: 'openapi', components: OPENAPI_DOCUMENT.components } as object);
type Doc = { paths: Record<string, Record<string, { responses: Record<string, { $ref?: string; content?: Record<string, { schema: object }> }> }>> };

/** Checks a real response against the document: a documented status, content type and schema. */
async function conforms(response: Response, path: string, method: string): Promise<unknown> {
  const text = await response.text();
  const operation = (OPENAPI_DOCUMENT as unknown as Doc).paths[path]![method]!;
  let documented = operation.responses[String(response.status)];
  expect(documented, `${method} ${path} ${response.status} is documented`).toBeDefined();
  if (documented!.$ref) documented = (OPENAPI_DOCUMENT.components.responses as Record<string, typeof documented>).Problem;
  const type = (response.headers.get('content-type') ?? '').split(';')[0]!;
  const media = documented!.content?.[type];
  expect(media, `${method} ${path} ${response.status} as ${type} is documented`).toBeDefined();
  if (type === 'application/octet-stream') return new Uint8Array(Buffer.from(text, 'latin1'));
  const body = JSON.parse(text) as unknown;
  const schema = JSON.parse(JSON.stringify(media!.schema).replaceAll('"#/components/', '"openapi#/components/')) as object;
  const validate = ajv.compile(schema);
  expect(validate(body), JSON.stringify(validate.errors)).toBe(true);
  return body;
}

describe('the OpenAPI document', () => {
  it('is valid OpenAPI 3.1 and is what /api/v1/openapi.json serves', async () => {
    const validator = new Validator();
    const result = await validator.validate(JSON.parse(JSON.stringify(OPENAPI_DOCUMENT)) as Record<string, unknown>);
    expect(result.errors ?? [], JSON.stringify(result.errors)).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
    expect(await (await fetch(`${base}/api/v1/openapi.json`)).json()).toEqual(JSON.parse(JSON.stringify(OPENAPI_DOCUMENT)));
  });
});

// --- authorization -----------------------------------------------------------------------------
const ACK = (acquirer?: string) => JSON.stringify({ version: 1, bodySm3: 'ab'.repeat(32), ...(acquirer ? { acquirer } : {}) });
const ENDPOINTS = [
  { name: 'GET /roots', path: '/roots', method: 'get', init: (headers: Record<string, string>) => ({ headers }) },
  { name: 'POST /acknowledgements', path: '/acknowledgements', method: 'post', init: (headers: Record<string, string>) => ({ method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: ACK() }) },
] as const;

const call = (path: string, init: RequestInit = {}) => fetch(`${base}/api/v1${path}`, init);
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe('authorization matrix', () => {
  const refusals: [string, () => Record<string, string>, number, string][] = [
    ['no token', () => ({}), 401, 'API_AUTHORIZATION_MISSING'],
    ['a malformed header', () => ({ authorization: `Basic ${tokens.acquirer}` }), 401, 'API_AUTHORIZATION_MALFORMED'],
    ['a malformed token', () => bearer(tokens.acquirer.slice(0, -1)), 401, 'API_AUTHORIZATION_MALFORMED'],
    ['an unknown token', () => bearer(`tqt_0000000000000000_${tokens.acquirer.slice(-43)}`), 401, 'API_CREDENTIALS_REJECTED'],
    ['a wrong secret', () => bearer(`${tokens.acquirer.slice(0, 21)}${'A'.repeat(43)}`), 401, 'API_CREDENTIALS_REJECTED'],
    ['an expired token', () => bearer(tokens.expired), 401, 'API_TOKEN_EXPIRED'],
    ['a revoked token', () => bearer(tokens.revoked), 401, 'API_TOKEN_REVOKED'],
    ['a token of the wrong scope', () => bearer(tokens.issuer), 403, 'API_SCOPE_FORBIDDEN'],
  ];
  for (const endpoint of ENDPOINTS) {
    it.each(refusals)(`${endpoint.name} refuses %s`, async (_, headers, status, code) => {
      const response = await call(endpoint.path, endpoint.init(headers()));
      expect(response.status).toBe(status);
      expect(response.headers.get('content-type')).toBe('application/problem+json');
      expect(await conforms(response, endpoint.path, endpoint.method)).toMatchObject({ status, code, type: `urn:tqca:error:${code}`, instance: `/api/v1${endpoint.path}` });
    });
  }

  it('GET /roots answers the right token with the active root keys’ A2 records, as JSON or bytes', async () => {
    const json = (await conforms(await call('/roots', { headers: bearer(tokens.acquirer) }), '/roots', 'get')) as { roots: { index: string; a2Record: string; checkValue: string }[] };
    expect(json.roots.map((r) => r.index)).toEqual(['91']);
    expect(json.roots[0]!.a2Record).toHaveLength(218);
    const binary = await call('/roots', { headers: { ...bearer(tokens.acquirer), accept: 'application/octet-stream' } });
    expect(binary.headers.get('content-type')).toBe('application/octet-stream');
    expect(Buffer.from(await binary.arrayBuffer()).toString('hex')).toBe(json.roots[0]!.a2Record);
    // last_used_at: written once for these two requests (at most once a minute per token).
    const used = () => db.prisma.apiToken.findUniqueOrThrow({ where: { publicId: tokens.acquirer.slice(4, 20) } }).then((t) => t.lastUsedAt);
    for (let i = 0; i < 50 && (await used()) === null; i++) await new Promise((r) => setTimeout(r, 50));
    const first = await used();
    expect(first).not.toBeNull();
    await (await call('/roots', { headers: bearer(tokens.acquirer) })).arrayBuffer();
    await new Promise((r) => setTimeout(r, 200));
    expect(await used()).toEqual(first);
  });

  it('POST /acknowledgements refuses another institution’s acquirer code, and a version that was never published', async () => {
    const init = (body: string) => ({ method: 'POST', headers: { 'content-type': 'application/json', ...bearer(tokens.acquirer) }, body });
    const mismatch = await call('/acknowledgements', init(ACK(otherCode)));
    expect([mismatch.status, ((await conforms(mismatch, '/acknowledgements', 'post')) as { code: string }).code]).toEqual([403, 'API_INSTITUTION_MISMATCH']);
    // Nothing is published on this branch yet (lib/publication): the right token reaches the service, which refuses the version.
    const unknown = await call('/acknowledgements', init(ACK()));
    expect([unknown.status, ((await conforms(unknown, '/acknowledgements', 'post')) as { code: string }).code]).toEqual([404, 'ACKNOWLEDGED_VERSION_UNKNOWN']);
  });

  it('honours a revocation made by another process within about a second, with no restart', async () => {
    expect((await call('/roots', { headers: bearer(tokens.late) })).status).toBe(200);
    unwrap(await revokeApiToken({ prisma: db.prisma, now: () => new Date() }, admin, tokens.late.slice(4, 20), 'moved host'));
    await new Promise((r) => setTimeout(r, 2100));
    const response = await call('/roots', { headers: bearer(tokens.late) });
    expect([response.status, ((await response.json()) as { code: string }).code]).toEqual([401, 'API_TOKEN_REVOKED']);
  });

  it('limits each token’s rate: 429 with Retry-After, and other tokens are unaffected', async () => {
    const statuses: number[] = [];
    let limited: Response | undefined;
    for (let i = 0; i < 40 && !limited; i++) {
      const r = await call('/roots', { headers: bearer(tokens.limited) });
      statuses.push(r.status);
      if (r.status === 429) limited = r;
      else await r.arrayBuffer();
    }
    expect(limited, statuses.join(',')).toBeDefined();
    expect(Number(limited!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await conforms(limited!, '/roots', 'get')).toMatchObject({ status: 429, code: 'API_RATE_LIMITED' });
    expect((await call('/roots', { headers: bearer(tokens.other) })).status).toBe(200);
  });
});

// --- malformed input ---------------------------------------------------------------------------
describe('malformed input gets a 4xx problem, never a 500', () => {
  const post = (body: BodyInit, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
    call('/acknowledgements', { method: 'POST', headers: { ...bearer(tokens.other), ...headers }, body });
  it.each([
    ['bad JSON', () => post('{"version": 1,'), 'API_BODY_INVALID'],
    ['a JSON array', () => post('[]'), 'API_BODY_INVALID'],
    ['an unknown member', () => post(JSON.stringify({ version: 1, bodySm3: 'ab'.repeat(32), extra: 1 })), 'API_BODY_INVALID'],
    ['a short body SM3', () => post(JSON.stringify({ version: 1, bodySm3: 'ab' })), 'API_BODY_INVALID'],
    ['version 0', () => post(JSON.stringify({ version: 0, bodySm3: 'ab'.repeat(32) })), 'API_VERSION_INVALID'],
    ['a version beyond uint32', () => post(JSON.stringify({ version: 2 ** 32, bodySm3: 'ab'.repeat(32) })), 'API_VERSION_INVALID'],
    ['a version as text', () => post(JSON.stringify({ version: '1', bodySm3: 'ab'.repeat(32) })), 'API_VERSION_INVALID'],
    ['a non-JSON content type', () => post('version=1', { 'content-type': 'application/x-www-form-urlencoded' }), 'API_MEDIA_TYPE'],
    ['an oversized body', () => post(JSON.stringify({ version: 1, bodySm3: 'ab'.repeat(32), pad: 'x'.repeat(100_000) })), 'API_BODY_TOO_LARGE'],
    ['a wrong Accept', () => call('/roots', { headers: { ...bearer(tokens.other), accept: 'text/html' } }), 'API_NOT_ACCEPTABLE'],
    ['an Accept refusing everything', () => call('/roots', { headers: { ...bearer(tokens.other), accept: 'application/json;q=0, */*;q=0' } }), 'API_NOT_ACCEPTABLE'],
    ['a huge Accept', () => call('/roots', { headers: { ...bearer(tokens.other), accept: `application/x-${'a'.repeat(4000)}` } }), 'API_NOT_ACCEPTABLE'],
  ])('%s', async (_, send, code) => {
    const response = await send();
    expect(response.status).toBe(400);
    const path = new URL(response.url).pathname.replace('/api/v1', '');
    expect(await conforms(response, path, path === '/roots' ? 'get' : 'post')).toMatchObject({ code });
    expect(serverLog).not.toContain('unexpected fault');
  });
});

// --- HTTPS (spec 9.2) ---------------------------------------------------------------------------
describe('HTTPS served by the CA itself', () => {
  const dir = () => join(dataDir, 'tls');
  const openssl = (...args: string[]) => {
    const r = spawnSync('openssl', args, { cwd: dir(), encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${r.stderr}`);
  };
  /** A P-256 key and a certificate for `cn` signed by `ca` (self-signed when ca is undefined). */
  const issue = (name: string, cn: string, ca: string | undefined, extensions: string) => {
    writeFileSync(join(dir(), `${name}.ext`), `${extensions}\n`);
    openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`);
    if (ca === undefined) openssl('x509', '-req', '-in', `${name}.csr`, '-key', `${name}.key`, '-out', `${name}.pem`, '-days', '2', '-extfile', `${name}.ext`);
    else openssl('x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', '-extfile', `${name}.ext`);
  };
  let port: number;
  const curl = (...args: string[]) => {
    const r = spawnSync('curl', ['-sS', '--cacert', 'ca.pem', '-o', '/dev/null', '-w', '%{http_code}', ...args, `https://127.0.0.1:${port}/api/v1/roots`], { cwd: dir(), encoding: 'utf8' });
    return { exit: r.status, status: r.stdout };
  };

  beforeAll(async () => {
    mkdirSync(dir());
    issue('ca', 'TQ-CA test TLS root', undefined, 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign');
    issue('rogue', 'another CA', undefined, 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign');
    issue('server', '127.0.0.1', 'ca', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth');
    issue('client', 'acquirer TMS', 'ca', 'extendedKeyUsage=clientAuth');
    issue('stranger', 'acquirer TMS', 'rogue', 'extendedKeyUsage=clientAuth');
    const tls = { TQCA_TLS_CERT: join(dir(), 'server.pem'), TQCA_TLS_KEY: join(dir(), 'server.key'), TQCA_TLS_CLIENT_CA: join(dir(), 'ca.pem') };
    // A second server process on the same PostgreSQL, speaking TLS with client certificates.
    ({ port } = await startServer(() => ['scripts/tlsServer.mjs'], { ...env, ...tls }, () => /https:\/\/127\.0\.0\.1/.test(serverLog)));
  });

  it('answers a client whose certificate the client CA signed', () => {
    expect(curl('--cert', 'client.pem', '--key', 'client.key', '-H', `Authorization: Bearer ${tokens.other}`)).toEqual({ exit: 0, status: '200' });
    expect(curl('--cert', 'client.pem', '--key', 'client.key')).toEqual({ exit: 0, status: '401' });
  });

  it('refuses in the handshake a client without a certificate or with another CA’s', () => {
    for (const args of [[], ['--cert', 'stranger.pem', '--key', 'stranger.key']]) {
      const r = curl(...args, '-H', `Authorization: Bearer ${tokens.other}`);
      expect(r.exit, args.join(' ')).not.toBe(0);
      expect(r.status).toBe('000');
    }
  });
});
