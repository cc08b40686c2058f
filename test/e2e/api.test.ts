/**
 * The machine-client API end to end: one `next build`, one `next start` on PostgreSQL with the
 * software token, real HTTP. The authorization matrix (every endpoint × no token, malformed,
 * unknown, expired, revoked, wrong scope, another institution's object, the right token),
 * malformed input (never a 500), the rate limit's 429 with Retry-After, a revocation made by
 * another process honoured within a second, bundles published through the real pipeline served,
 * verified and patched by delta as a terminal would, 304 polls answered without a database query,
 * and every answer checked against the OpenAPI document, which a maintained validator accepts.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Validator } from '@seriousme/openapi-schema-validator';
import Ajv2020 from 'ajv/dist/2020';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPENAPI_DOCUMENT } from '../../lib/api/openapi';
import { applyDelta, verifyBundle, type TrustedRoot } from '../../lib/codec';
import { sm2 } from '../../lib/crypto/sm2';
import {
  approveAuditKey,
  approveCeremony,
  createApiToken,
  createInstitution,
  registerWitnessKey,
  requestAuditKey,
  requestRootKeyChange,
  requestRootKeyCreation,
  revokeApiToken,
  signLogCheckpoint,
  type ApiTokenScope,
  type Operator,
  type ServiceContext,
} from '../../lib/ca';
import { cosignCheckpoint } from '../../lib/log/checkpoint';
import { verifyConsistency } from '../../lib/log/merkle';
import { decodeBase64, encodeVkey, parseNote, softwareSigner, type NoteSigner } from '../../lib/log/note';
import { SM3_TREE } from '../../lib/audit';
import { openDatabase, type Database } from '../../lib/db/client';
import { unwrap } from '../../lib/errors';
import { DEFAULT_PUBLICATION_POLICY, publish } from '../../lib/publication';
import { openCa } from '../../lib/runtime/openCa';
import { runTqca } from '../../lib/cli/testSupport';
import { createWitnessKey } from '../../lib/log/witness';
import { toHex } from '../../lib/bytes';
import { sealedOperatorSet } from '../support/operators';
import { startPostgres, type TestPostgres } from '../support/postgres';
import { describeIssuerApi, seedIssuers, type IssuerTokens } from './issuerApi';
import { CA_EXTENSIONS, CLIENT_EXTENSIONS, SERVER_EXTENSIONS, tlsIssuer } from '../support/tlsCertificates';
import { serverGroup, SUITE_DIST_DIR, suiteBuild } from '../support/nextServer';

const PASSWORD = 'correct horse battery staple';
const DAY = 24 * 3600 * 1000;
const RATE = { TQCA_API_RATE: '2', TQCA_API_BURST: '30', TQCA_API_SUBMISSION_RATE: '2' };
/** A policy under which the latest bundle is always due for replacement. */
const DUE = { ...DEFAULT_PUBLICATION_POLICY, leadSeconds: DEFAULT_PUBLICATION_POLICY.lifetimeSeconds };

let pg: TestPostgres;
let dataDir: string;
const servers = serverGroup(SUITE_DIST_DIR);
let env: Record<string, string>;
let base: string;
let db: Database;
let admin: Operator;
const tokens = {} as Record<'acquirer' | 'other' | 'expired' | 'revoked' | 'issuer' | 'limited' | 'late' | 'witness', string>;
/** The auditor's witness whose key seed() registers, and the size of the first of the two checkpoints seed() signs. */
let witness: NoteSigner;
let firstCheckpointSize: number;
let auditorId: number;
let otherCode: string;
let issuerTokens: IssuerTokens;

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
    // A rollover key, announced: the bundles (and so /roots) list it ahead of use.
    const next = unwrap(await requestRootKeyCreation(ca, alice, { index: 0x92, environment: 'TEST', expiry: { year: 2031, month: 12, day: 31 } }));
    unwrap(await approveCeremony(ca, bob, next.id));
    unwrap(await approveCeremony(ca, bob, unwrap(await requestRootKeyChange(ca, alice, 'ANNOUNCE', 0x92)).id));

    const acquirer = unwrap(await createInstitution(ca, admin, { kind: 'ACQUIRER', nameZh: '收单甲' }));
    const other = unwrap(await createInstitution(ca, admin, { kind: 'ACQUIRER', nameZh: '收单乙' }));
    otherCode = Buffer.from(other.code).toString('hex');
    const issuer = unwrap(await createInstitution(ca, admin, { kind: 'ISSUER', nameZh: '发卡丙' }));
    const make = async (ctx: ServiceContext, institutionId: number, scope: ApiTokenScope, expiresAt: Date) =>
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
    issuerTokens = await seedIssuers(ca, admin, { id: issuer.id, token: tokens.issuer }, acquirer.id);

    // The audit log's witness: a checkpoint, the witness's key and token, a second checkpoint.
    unwrap(await approveAuditKey(ca, bob, unwrap(await requestAuditKey(ca, alice, 'tqca.test/api')).id));
    firstCheckpointSize = unwrap(await signLogCheckpoint(ca, alice, 'operator')).size;
    const auditor = unwrap(await createInstitution(ca, admin, { kind: 'PLATFORM', nameZh: '审计见证' }));
    auditorId = auditor.id;
    witness = softwareSigner('witness.test', 'cosignature', sm2.generatePrivateKey());
    unwrap(await registerWitnessKey(ca, admin, { institutionId: auditor.id, vkey: encodeVkey(witness) }));
    tokens.witness = await make(ca, auditor.id, 'WITNESS', inMonth);
    unwrap(await signLogCheckpoint(ca, alice, 'operator'));

    // The pipeline published after the changes above; one more version replaces the last (a lead
    // as long as the lifetime makes every bundle due), so there are at least two and a delta.
    unwrap(await publish(ca, 'scheduled', { policy: DUE }));
  } finally {
    await opened.close();
  }
}

beforeAll(async () => {
  await suiteBuild();
  // pg_stat_statements: the count of queries the servers run, for the 304 test.
  pg = await startPostgres({ settings: { shared_preload_libraries: 'pg_stat_statements' } });
  dataDir = mkdtempSync(join(tmpdir(), 'tqca-api-'));
  env = { DATABASE_URL: await pg.createDatabase('api'), TQCA_DATA_DIR: dataDir, TQCA_HSM_POOL_SIZE: '2', ...RATE };
  await seed(env);
  ({ base } = await servers.startNext(env));
  db = await openDatabase({ url: env.DATABASE_URL });
  await db.prisma.$executeRawUnsafe('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
}, 600_000);

afterAll(async () => {
  servers.stopAll();
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
  const bytes = new Uint8Array(await response.arrayBuffer());
  const text = Buffer.from(bytes).toString('utf8');
  const operation = (OPENAPI_DOCUMENT as unknown as Doc).paths[path]![method]!;
  let documented = operation.responses[String(response.status)];
  expect(documented, `${method} ${path} ${response.status} is documented`).toBeDefined();
  if (response.status === 304) {
    expect(text).toBe('');
    expect(documented!.content).toBeUndefined();
    return null;
  }
  if (documented!.$ref) documented = (OPENAPI_DOCUMENT.components.responses as Record<string, typeof documented>).Problem;
  const type = (response.headers.get('content-type') ?? '').split(';')[0]!;
  const media = documented!.content?.[type];
  expect(media, `${method} ${path} ${response.status} as ${type} is documented`).toBeDefined();
  if (type === 'application/octet-stream') return bytes;
  const body = JSON.parse(text) as unknown;
  const schema = JSON.parse(JSON.stringify(media!.schema).replaceAll('"#/components/', '"openapi#/components/')) as object;
  const validate = ajv.compile(schema);
  expect(validate(body), JSON.stringify(validate.errors)).toBe(true);
  return body;
}

describe('GET /health', () => {
  it('answers liveness without a token, as documented', async () => {
    const response = await fetch(`${base}/api/v1/health`);
    expect([response.status, response.headers.get('cache-control')]).toEqual([200, 'no-store']);
    expect(await conforms(response, '/health', 'get')).toEqual({ status: 'ok' });
  });
});

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
/** seed() publishes at least versions 1 and 2; 1000 never is. */
const UNPUBLISHED = 1000;
const ACK = (acquirer?: string) => JSON.stringify({ version: UNPUBLISHED, bodySm3: 'ab'.repeat(32), ...(acquirer ? { acquirer } : {}) });
const get = (headers: Record<string, string>) => ({ headers });
const ENDPOINTS = [
  { name: 'GET /roots', path: '/roots', doc: '/roots', method: 'get', init: get },
  { name: 'POST /acknowledgements', path: '/acknowledgements', doc: '/acknowledgements', method: 'post', init: (headers: Record<string, string>) => ({ method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: ACK() }) },
  { name: 'GET /bundles/latest', path: '/bundles/latest', doc: '/bundles/latest', method: 'get', init: get },
  { name: 'GET /bundles/{version}', path: '/bundles/2', doc: '/bundles/{version}', method: 'get', init: get },
  { name: 'GET /bundles/{version}/delta', path: '/bundles/2/delta?from=1', doc: '/bundles/{version}/delta', method: 'get', init: get },
  { name: 'GET /revocations', path: '/revocations', doc: '/revocations', method: 'get', init: get },
  { name: 'GET /log/checkpoint', path: '/log/checkpoint', doc: '/log/checkpoint', method: 'get', init: get },
  { name: 'GET /log/consistency', path: '/log/consistency?from=1&to=2', doc: '/log/consistency', method: 'get', init: get },
  {
    name: 'POST /log/cosignatures',
    path: '/log/cosignatures',
    doc: '/log/cosignatures',
    method: 'post',
    init: (headers: Record<string, string>) => ({ method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ note: 'x' }) }),
  },
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
    // GET /roots serves issuers too: they verify their certificates against its A2 records.
    it.each(endpoint.path === '/roots' ? refusals.filter(([name]) => name !== 'a token of the wrong scope') : refusals)(`${endpoint.name} refuses %s`, async (_, headers, status, code) => {
      const response = await call(endpoint.path, endpoint.init(headers()));
      expect(response.status).toBe(status);
      expect(response.headers.get('content-type')).toBe('application/problem+json');
      expect(await conforms(response, endpoint.doc, endpoint.method)).toMatchObject({ status, code, type: `urn:tqca:error:${code}`, instance: `/api/v1${endpoint.path.split('?')[0]}` });
    });
  }

  it('GET /roots answers the right token with the current bundle’s A2 records and their states, as JSON or bytes', async () => {
    const json = (await conforms(await call('/roots', { headers: bearer(tokens.acquirer) }), '/roots', 'get')) as {
      version: number;
      roots: { index: string; state: string; a2Record: string; checkValue: string }[];
    };
    expect(json.roots.map((r) => [r.index, r.state])).toEqual([['91', 'active'], ['92', 'announced']]);
    // Exactly the A2 records of the bundle it names, the latest.
    const latest = await db.prisma.publishedBundle.findFirstOrThrow({ orderBy: { version: 'desc' } });
    expect(json.version).toBe(latest.version);
    const a2s = Buffer.from(latest.a2Records).toString('hex');
    expect(a2s).toHaveLength(2 * 109 * latest.a2Count);
    expect(json.roots.map((r) => r.a2Record).join('')).toBe(a2s);
    expect(json.roots.map((r) => r.checkValue)).toEqual(json.roots.map((r) => r.a2Record.slice(-64)));
    expect(await conforms(await call('/roots', { headers: bearer(tokens.issuer) }), '/roots', 'get')).toEqual(json);
    const binary = await call('/roots', { headers: { ...bearer(tokens.acquirer), accept: 'application/octet-stream' } });
    expect(binary.headers.get('content-type')).toBe('application/octet-stream');
    expect(Buffer.from(await binary.arrayBuffer()).toString('hex')).toBe(a2s);
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
    // The right token reaches the service, which refuses a version that was never published.
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

// --- the audit log's witnesses ------------------------------------------------------------------
describe('witnesses: checkpoint, consistency proof, cosignature', () => {
  const asWitness = (init: RequestInit = {}) => ({ ...init, headers: { ...bearer(tokens.witness), ...(init.headers as Record<string, string>) } });
  const postNote = (note: string, token = tokens.witness) =>
    call('/log/cosignatures', { method: 'POST', headers: { 'content-type': 'application/json', ...bearer(token) }, body: JSON.stringify({ note }) });
  const codeOf = async (response: Response, path: string, method: string) => [response.status, ((await conforms(response, path, method)) as { code: string }).code];

  it('lets a witness check the new checkpoint against the one it cosigned, cosign it, and have it stored', async () => {
    const latest = ((await conforms(await call('/log/checkpoint', asWitness()), '/log/checkpoint', 'get')) as { checkpoint: { size: number; note: string } }).checkpoint;
    expect(latest.size).toBeGreaterThan(firstCheckpointSize);
    const body = (await conforms(await call(`/log/consistency?from=${firstCheckpointSize}&to=${latest.size}`, asWitness()), '/log/consistency', 'get')) as { consistency: { proof: string[] } };
    const first = await db.prisma.auditCheckpoint.findUniqueOrThrow({ where: { size: BigInt(firstCheckpointSize) } });
    const root = decodeBase64(unwrap(parseNote(latest.note)).text.split('\n')[2]!)!;
    const proof = body.consistency.proof.map((p) => decodeBase64(p)!);
    expect(verifyConsistency(SM3_TREE, firstCheckpointSize, latest.size, proof, new Uint8Array(first.root), root).ok).toBe(true);

    const cosigned = unwrap(await cosignCheckpoint(unwrap(parseNote(latest.note)), witness, BigInt(Math.floor(Date.now() / 1000))));
    const stored = await postNote(cosigned);
    expect(stored.status).toBe(201);
    expect(await conforms(stored, '/log/cosignatures', 'post')).toEqual({ cosignatures: { size: latest.size, added: ['witness.test'], note: cosigned } });
    const again = (await conforms(await call('/log/checkpoint', asWitness()), '/log/checkpoint', 'get')) as { checkpoint: { note: string } };
    expect(again.checkpoint.note).toBe(cosigned);
    expect(await db.prisma.auditCosignature.count({ where: { checkpointSize: BigInt(latest.size) } })).toBe(1);
  });

  it('refuses a cosignature by an unregistered key (403), of a checkpoint the CA did not sign (404), and bad sizes (400, 404)', async () => {
    const latest = ((await (await call('/log/checkpoint', asWitness())).json()) as { checkpoint: { size: number; note: string } }).checkpoint;
    const stranger = softwareSigner('stranger.test', 'cosignature', sm2.generatePrivateKey());
    const strangers = unwrap(await cosignCheckpoint(unwrap(parseNote(latest.note)), stranger, 1n));
    expect(await codeOf(await postNote(strangers), '/log/cosignatures', 'post')).toEqual([403, 'COSIGNATURE_UNVERIFIED']);
    const forged = unwrap(parseNote(latest.note)).text.replace(/^\d+$/m, String(latest.size + 1000));
    const unsigned = unwrap(await cosignCheckpoint({ text: forged, signatures: [] }, witness, 1n));
    expect(await codeOf(await postNote(unsigned), '/log/cosignatures', 'post')).toEqual([404, 'CHECKPOINT_UNKNOWN']);
    expect(await codeOf(await postNote('not a note'), '/log/cosignatures', 'post')).toEqual([400, 'LOG_NOTE_MALFORMED']);
    expect(await codeOf(await call(`/log/consistency?from=1&to=${latest.size + 1}`, asWitness()), '/log/consistency', 'get')).toEqual([404, 'CHECKPOINT_UNKNOWN']);
    expect(await codeOf(await call(`/log/consistency?from=${latest.size + 1}&to=${latest.size}`, asWitness()), '/log/consistency', 'get')).toEqual([400, 'PROOF_SIZES_INVALID']);
    expect(await codeOf(await call('/log/consistency?from=-1&to=2', asWitness()), '/log/consistency', 'get')).toEqual([400, 'API_TREE_SIZE_INVALID']);
    expect(await codeOf(await call('/log/checkpoint', { headers: bearer(tokens.acquirer) }), '/log/checkpoint', 'get')).toEqual([403, 'API_SCOPE_FORBIDDEN']);
    expect(servers.log()).not.toContain('unexpected fault');
  });

  it('tqca log witness --server fetches the checkpoint and proof, cosigns, and posts with the WITNESS token', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tqca-witness-'));
    try {
      const keyFile = join(dir, 'witness.key');
      const vkey = unwrap(await createWitnessKey(keyFile, 'cli-witness.test'));
      unwrap(await registerWitnessKey({ prisma: db.prisma, now: () => new Date() }, admin, { institutionId: auditorId, vkey }));
      writeFileSync(join(dir, 'token'), `${tokens.witness}\n`, { mode: 0o600 });
      const auditKey = toHex((await db.prisma.auditKey.findUniqueOrThrow({ where: { id: 1 } })).publicKey);
      const witnessArgs = ['--json', 'log', 'witness', '--key', keyFile, '--state', dir, '--audit-key', auditKey, '--server', base, '--token-file', join(dir, 'token')];
      const run = await runTqca(witnessArgs);
      expect(run.exitCode, run.stderr + run.stdout).toBe(0);
      expect(run.json).toMatchObject({ valid: true, previousSize: 0, stored: ['cli-witness.test'] });
      const stored = await db.prisma.auditCosignature.findMany({ where: { checkpointSize: BigInt(run.json.size) } });
      expect(stored).toHaveLength(2); // the witness of the test above, and this one
      // Again: the same checkpoint, consistent with the state (from its own size), nothing new stored.
      const again = await runTqca(witnessArgs);
      expect(again.json).toMatchObject({ valid: true, previousSize: run.json.size, stored: [] });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

// --- the issuer endpoints and the reference issuer client (test/e2e/issuerApi.ts) --------------
describeIssuerApi({
  base: () => base,
  env: () => env,
  db: () => db,
  tokens: () => issuerTokens,
  password: PASSWORD,
  conforms,
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
    expect(servers.log()).not.toContain('unexpected fault');
  });
});

// --- HTTPS (spec 9.2) ---------------------------------------------------------------------------
describe('HTTPS served by the CA itself', () => {
  const dir = () => join(dataDir, 'tls');
  let port: number;
  const curl = (...args: string[]) => {
    const r = spawnSync('curl', ['-sS', '--cacert', 'ca.pem', '-o', '/dev/null', '-w', '%{http_code}', ...args, `https://127.0.0.1:${port}/api/v1/roots`], { cwd: dir(), encoding: 'utf8' });
    return { exit: r.status, status: r.stdout };
  };

  beforeAll(async () => {
    const issue = tlsIssuer(dir());
    issue('ca', 'TQ-CA test TLS root', undefined, CA_EXTENSIONS);
    issue('rogue', 'another CA', undefined, CA_EXTENSIONS);
    issue('server', '127.0.0.1', 'ca', SERVER_EXTENSIONS);
    issue('client', 'acquirer TMS', 'ca', CLIENT_EXTENSIONS);
    issue('stranger', 'acquirer TMS', 'rogue', CLIENT_EXTENSIONS);
    const tls = { TQCA_TLS_CERT: join(dir(), 'server.pem'), TQCA_TLS_KEY: join(dir(), 'server.key'), TQCA_TLS_CLIENT_CA: join(dir(), 'ca.pem') };
    // A second server process on the same PostgreSQL, speaking TLS with client certificates.
    ({ port } = await servers.start(() => ['scripts/tlsServer.mjs'], { ...env, ...tls }, () => /https:\/\/127\.0\.0\.1/.test(servers.log())));
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

// --- bundles ------------------------------------------------------------------------------------
describe('bundles, deltas and revocations as a terminal fetches them', () => {
  // A second `next start` of the same build on the same PostgreSQL, with a rate limit a polling burst stays under.
  let fast: string;
  beforeAll(async () => {
    const limits = { TQCA_API_RATE: '100000', TQCA_API_BURST: '100000' };
    ({ base: fast } = await servers.startNext({ ...env, ...limits }));
  }, 120_000);
  const call = (path: string, init: RequestInit = {}) => fetch(`${fast}/api/v1${path}`, init);
  const acquirer = (accept?: string) => ({ headers: { ...bearer(tokens.acquirer), ...(accept ? { accept } : {}) } });
  const bytesOf = async (path: string, doc: string) => {
    const response = await call(path, acquirer('application/octet-stream'));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/octet-stream');
    return { response, bytes: (await conforms(response, doc, 'get')) as Uint8Array };
  };
  type Bundle = { version: number; publishedAt: Date; bodySm3: Uint8Array };
  const published = (): Promise<Bundle[]> => db.prisma.publishedBundle.findMany({ orderBy: { version: 'asc' }, select: { version: true, publishedAt: true, bodySm3: true } });

  it('GET /bundles/latest serves the newest manifest with a strong ETag, 304 on If-None-Match', async () => {
    const rows = await published();
    expect(rows.map((b) => b.version)).toEqual(rows.map((_, i) => i + 1));
    const newest = rows.at(-1)!;
    const response = await call('/bundles/latest', acquirer());
    const etag = response.headers.get('etag')!;
    expect(etag).toMatch(new RegExp(`^"${newest.version}-[0-9a-f]{32}"$`));
    const json = (await conforms(response, '/bundles/latest', 'get')) as { version: number; manifest: string; bodySm3: string };
    expect([json.version, json.bodySm3]).toEqual([newest.version, Buffer.from(newest.bodySm3).toString('hex')]);
    const { bytes, response: binary } = await bytesOf('/bundles/latest', '/bundles/latest');
    expect(bytes).toHaveLength(122);
    expect(Buffer.from(bytes).toString('hex')).toBe(json.manifest);
    expect(binary.headers.get('etag')).toBe(etag);

    const again = await call('/bundles/latest', { headers: { ...bearer(tokens.acquirer), 'if-none-match': `"1-stale", ${etag}` } });
    expect([again.status, again.headers.get('etag')]).toEqual([304, etag]);
    expect(await conforms(again, '/bundles/latest', 'get')).toBeNull();
    const stale = await call('/bundles/latest', { headers: { ...bearer(tokens.acquirer), 'if-none-match': '"1-stale"' } });
    expect(stale.status).toBe(200);
    await stale.arrayBuffer();
  });

  it('GET /bundles/{version} serves immutable bundles a terminal verifies (and one flipped byte fails); the delta rebuilds the newer byte for byte', async () => {
    const [older, newer] = (await published()).slice(-2) as [Bundle, Bundle];
    const root = await db.prisma.rootKey.findUniqueOrThrow({ where: { index: 0x91 } });
    // A terminal that trusts the root by its check value and takes every version from the first.
    let trusted: readonly TrustedRoot[] = [{ rootKeyIndex: 0x91, publicKey: unwrap(sm2.publicKeyFromBytes(root.publicKey)) }];
    let previous: Uint8Array | undefined;
    for (let v = 1; v < older.version; v++) {
      const bytes = (await bytesOf(`/bundles/${v}`, '/bundles/{version}')).bytes;
      trusted = unwrap(verifyBundle({ bundle: bytes, trustedRoots: trusted, previous, now: newer.publishedAt })).trustedRoots;
      previous = bytes;
    }
    const first = await bytesOf(`/bundles/${older.version}`, '/bundles/{version}');
    expect(first.response.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    const second = await bytesOf(`/bundles/${newer.version}`, '/bundles/{version}');
    const v1 = unwrap(verifyBundle({ bundle: first.bytes, trustedRoots: trusted, previous, now: older.publishedAt }));
    const v2 = unwrap(verifyBundle({ bundle: second.bytes, trustedRoots: v1.trustedRoots, previous: first.bytes, now: newer.publishedAt }));
    expect(v2.bundle.manifest.version).toBe(newer.version);
    const flipped = Uint8Array.from(second.bytes);
    flipped[flipped.length - 40]! ^= 0x01;
    expect(verifyBundle({ bundle: flipped, trustedRoots: v1.trustedRoots, previous: first.bytes, now: newer.publishedAt }).ok).toBe(false);
    const json = (await conforms(await call(`/bundles/${newer.version}`, acquirer()), '/bundles/{version}', 'get')) as { version: number; bundle: string };
    expect(json).toEqual({ version: newer.version, bundle: Buffer.from(second.bytes).toString('hex') });

    const deltaPath = `/bundles/${newer.version}/delta?from=${older.version}`;
    const delta = await bytesOf(deltaPath, '/bundles/{version}/delta');
    expect(Buffer.from(unwrap(applyDelta(first.bytes, delta.bytes)))).toEqual(Buffer.from(second.bytes));
    const deltaJson = (await conforms(await call(deltaPath, acquirer()), '/bundles/{version}/delta', 'get')) as { delta: string };
    expect(deltaJson.delta).toBe(Buffer.from(delta.bytes).toString('hex'));
  });

  it('GET /revocations serves the latest bundle’s A4', async () => {
    const { bytes } = await bytesOf('/revocations', '/revocations');
    const bundle = await bytesOf(`/bundles/${(await published()).at(-1)!.version}`, '/bundles/{version}');
    // The A4 closes the bundle (TQ-CERT-1 §12.1).
    expect(Buffer.from(bundle.bytes.subarray(bundle.bytes.length - bytes.length))).toEqual(Buffer.from(bytes));
    const json = (await conforms(await call('/revocations', acquirer()), '/revocations', 'get')) as { revocationList: string };
    expect(json.revocationList).toBe(Buffer.from(bytes).toString('hex'));
  });

  it.each([
    ['version 0', '/bundles/0', 'version'],
    ['a version beyond uint32', '/bundles/4294967296', 'version'],
    ['a version with a suffix', '/bundles/1x', 'version'],
    ['a negative version', '/bundles/-1', 'version'],
    ['a huge version', `/bundles/${'9'.repeat(40)}`, 'version'],
    ['a leading zero', '/bundles/01', 'version'],
    ['a bad delta target', '/bundles/2x/delta?from=1', 'version'],
    ['no from', '/bundles/2/delta', 'from'],
    ['from 0', '/bundles/2/delta?from=0', 'from'],
    ['from as text', '/bundles/2/delta?from=one', 'from'],
    ['from beyond uint32', '/bundles/2/delta?from=4294967296', 'from'],
    ['from not older than the version', '/bundles/2/delta?from=2', 'from'],
  ])('refuses %s with a 400 problem', async (_, path, field) => {
    const response = await call(path, acquirer());
    expect(response.status).toBe(400);
    const doc = path.includes('/delta') ? '/bundles/{version}/delta' : '/bundles/{version}';
    expect(await conforms(response, doc, 'get')).toMatchObject({ code: 'API_VERSION_INVALID', field });
    expect(servers.log()).not.toContain('unexpected fault');
  });

  it('answers a version never published with 404 BUNDLE_NOT_FOUND', async () => {
    for (const path of [`/bundles/${UNPUBLISHED}`, `/bundles/${UNPUBLISHED}/delta?from=1`]) {
      const response = await call(path, acquirer());
      expect(response.status, path).toBe(404);
      expect(await conforms(response, path.includes('/delta') ? '/bundles/{version}/delta' : '/bundles/{version}', 'get')).toMatchObject({ code: 'BUNDLE_NOT_FOUND' });
    }
  });

  it('answers a burst of 304 polls without a database query per poll', async () => {
    // PostgreSQL's own count of each statement run in the API database (pg_stat_statements counts
    // each as it ends; this test's own reads of the count left out). The servers' timers keep
    // querying (manifest watch and token state once a second per process, the poll flush every
    // 5 s, publication and the live log check once a minute), so each statement's calls during the
    // burst are compared with its calls in the same time spent idle, measured right after it: a
    // query per poll would add POLLS calls to one statement, a timer tick only a few.
    const calls = async () =>
      new Map(
        (
          await db.prisma.$queryRaw<{ id: bigint; query: string; n: bigint }[]>`SELECT queryid AS id, min(query) AS query, sum(calls)::bigint AS n FROM pg_stat_statements
            WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND query NOT LIKE '%pg_stat_statements%' GROUP BY queryid`
        ).map((r) => [String(r.id), { query: r.query, n: Number(r.n) }]),
      );
    const added = (from: Awaited<ReturnType<typeof calls>>, to: Awaited<ReturnType<typeof calls>>) =>
      new Map([...to].map(([id, { query, n }]) => [id, { query, n: n - (from.get(id)?.n ?? 0) }]));
    const etag = (await call('/bundles/latest', acquirer())).headers.get('etag')!;
    const poll = { headers: { ...bearer(tokens.acquirer), 'if-none-match': etag } };
    const POLLS = 300;
    const before = await calls();
    const started = Date.now();
    for (let i = 0; i < POLLS; i++) expect((await call('/bundles/latest', poll)).status).toBe(304);
    const elapsed = Date.now() - started;
    const burst = added(before, await calls());
    const idleBefore = await calls();
    await new Promise((r) => setTimeout(r, elapsed));
    const idle = added(idleBefore, await calls());
    // The margin: timer ticks falling on either side of a window run each of their statements a few times.
    const margin = 10;
    const perPoll = [...burst].filter(([id, { n }]) => n > (idle.get(id)?.n ?? 0) + margin).map(([id, { query, n }]) => `${n} calls (idle ${idle.get(id)?.n ?? 0}): ${query}`);
    expect(perPoll, `statements run more often during ${POLLS} polls in ${elapsed} ms than idle`).toEqual([]);
    expect(before.size, 'pg_stat_statements counts this database').toBeGreaterThan(0);

    // The polls are counted all the same, in the batch the server flushes every 5 s.
    const version = Number(/^"(\d+)-/.exec(etag)![1]);
    const counted = () => db.prisma.distributionPoll.findMany({ where: { version, institution: { apiTokens: { some: { publicId: tokens.acquirer.slice(4, 20) } } } } });
    let rows = await counted();
    for (let i = 0; i < 80 && rows.reduce((n, r) => n + Number(r.notModified), 0) < POLLS; i++) {
      await new Promise((r) => setTimeout(r, 100));
      rows = await counted();
    }
    expect(rows.reduce((n, r) => n + Number(r.notModified), 0)).toBeGreaterThanOrEqual(POLLS);
  });

  it('records an acknowledgement of a real version with its body SM3, and a mismatching hash as an alarm', async () => {
    const { version, bodySm3: published_ } = (await published()).at(-1)!;
    const bodySm3 = Buffer.from(published_).toString('hex');
    const ack = (hash: string) => call('/acknowledgements', { method: 'POST', headers: { 'content-type': 'application/json', ...bearer(tokens.acquirer) }, body: JSON.stringify({ version, bodySm3: hash }) });
    const right = await ack(bodySm3);
    expect(right.status).toBe(201);
    expect(await conforms(right, '/acknowledgements', 'post')).toMatchObject({ acknowledgement: { version, bodySm3, matches: true } });
    const wrong = await ack('ab'.repeat(32));
    expect(wrong.status).toBe(201);
    const alarm = (await conforms(wrong, '/acknowledgements', 'post')) as { acknowledgement: { id: number; matches: boolean } };
    expect(alarm.acknowledgement.matches).toBe(false);
    const events = await db.prisma.auditEvent.findMany({ where: { action: { in: ['distribution.acknowledged', 'distribution.alarm'] } }, select: { action: true } });
    expect(events.map((e) => e.action)).toEqual(['distribution.acknowledged', 'distribution.alarm']);
  });

  it('serves a version another process published within about a second, from every server process', async () => {
    const latest = async (server: string, token: string) => ((await (await fetch(`${server}/api/v1/bundles/latest`, { headers: bearer(token) })).json()) as { version: number }).version;
    // Both servers hold the current manifest in memory before the new version exists.
    const current = (await published()).at(-1)!.version;
    expect([await latest(fast, tokens.acquirer), await latest(base, tokens.other)]).toEqual([current, current]);
    const opened = unwrap(await openCa(env));
    let publishedAt: number;
    let target: number;
    try {
      target = current + 1;
      expect(unwrap(await publish(opened.ca, 'scheduled', { policy: DUE })).version).toBe(target);
      publishedAt = Date.now();
    } finally {
      await opened.close();
    }
    // The watch refreshes every REFRESH_MS (1 s); the margin is the poll and one refresh's query.
    const seenBy = async (server: string, token: string, every: number) => {
      while ((await latest(server, token)) !== target && Date.now() - publishedAt < 5000) await new Promise((r) => setTimeout(r, every));
      return Date.now() - publishedAt;
    };
    // The first server's token is under its low rate limit: it polls more slowly.
    const [fastSeen, baseSeen] = await Promise.all([seenBy(fast, tokens.acquirer, 20), seenBy(base, tokens.other, 100)]);
    expect(fastSeen).toBeLessThan(1500);
    expect(baseSeen).toBeLessThan(1500);
  });
});
