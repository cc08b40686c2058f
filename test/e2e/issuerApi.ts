/**
 * The issuer side of the API, registered into test/e2e/api.test.ts so it runs on that file's one
 * build and one server: the authorization matrix of the issuer endpoints, every §8 rejection the
 * API can reach with its typed code and nothing stored, the answers against the OpenAPI document,
 * the submission limit, and the reference client end to end with the real binaries (keygen →
 * request → two officers with `tqca request review|approve` → fetch --wait → `tqca cert verify`;
 * renew idle when far from expiry, exactly one request when near it, even when run twice).
 */
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { requestRecord, type RequestRecordFields } from '../../lib/codec';
import { sm2 } from '../../lib/crypto/sm2';
import {
  approveRequest,
  authenticate,
  createApiToken,
  createInstitution,
  issueCertificate,
  revokeApiToken,
  revokeCertificate,
  reviewRequest,
  type CaServices,
  type Operator,
  type ServiceContext,
} from '../../lib/ca';
import { openCa } from '../../lib/runtime/openCa';
import type { Database } from '../../lib/db/client';
import { runTqca } from '../../lib/cli/testSupport';
import { withKeyStore } from '../../lib/clients/issuer/pkcs11';
import { softToken } from '../../hsm/testTokens';
import { evenYPrivateKey } from '../../lib/clients/issuer/keys';

const DAY = 24 * 3600 * 1000;

export interface IssuerTokens {
  /** Issuer C: the §8 rejections. */
  readonly issuer: string;
  /** Issuer D: another issuer (404s, challenge and key of another issuer). */
  readonly other: string;
  /** Issuer E: the reference client's run and renewals. */
  readonly flow: string;
  readonly expired: string;
  readonly revoked: string;
  /** D's second token, for the submission limit. */
  readonly limited: string;
  /** An acquirer's token, of the wrong scope here. */
  readonly acquirer: string;
}

export interface IssuerHarness {
  readonly base: () => string;
  readonly env: () => Record<string, string>;
  readonly db: () => Database;
  readonly tokens: () => IssuerTokens;
  readonly password: string;
  readonly conforms: (response: Response, path: string, method: string) => Promise<unknown>;
}

/** Issuers C (given, with its token), D and E with tokens, C's expired and revoked tokens, and an acquirer's token. */
export async function seedIssuers(ca: CaServices, admin: Operator, issuer: { id: number; token: string }, acquirerId: number): Promise<IssuerTokens> {
  const make = async (ctx: ServiceContext, institutionId: number, expiresAt: Date, scope: 'ISSUER' | 'ACQUIRER' = 'ISSUER') =>
    (await createApiToken(ctx, admin, { institutionId, scope, label: 'issuer test', expiresAt }).then(must)).token;
  const issuerId = issuer.id;
  const inMonth = new Date(Date.now() + 30 * DAY);
  const other = await createInstitution(ca, admin, { kind: 'ISSUER', nameZh: '发卡丁' }).then(must);
  const flow = await createInstitution(ca, admin, { kind: 'ISSUER', nameZh: '发卡戊' }).then(must);
  const revoked = await make(ca, issuerId, inMonth);
  await revokeApiToken(ca, admin, revoked.slice(4, 20), 'test').then(must);
  const past = { prisma: ca.prisma, now: () => new Date(Date.now() - 2 * DAY) };
  return {
    issuer: issuer.token,
    other: await make(ca, other.id, inMonth),
    flow: await make(ca, flow.id, inMonth),
    expired: await make(past, issuerId, new Date(Date.now() - DAY)),
    revoked,
    limited: await make(ca, other.id, inMonth),
    acquirer: await make(ca, acquirerId, inMonth, 'ACQUIRER'),
  };
}

function must<T>(r: { ok: true; value: T } | { ok: false; error: unknown }): T {
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  return r.value;
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

export function describeIssuerApi(h: IssuerHarness): void {
  /** One API call; a 429 (the test server's low rate limits) is waited out, as the reference client does. */
  async function send(path: string, init: RequestInit = {}): Promise<Response> {
    for (;;) {
      const response = await fetch(`${h.base()}/api/v1${path}`, init);
      if (response.status !== 429) return response;
      await response.arrayBuffer();
      await new Promise((r) => setTimeout(r, 1000 * Number(response.headers.get('retry-after') ?? '1')));
    }
  }
  const challenge = async (token: string) => {
    const response = await send('/challenges', { method: 'POST', headers: bearer(token) });
    expect(response.status).toBe(201);
    return (await h.conforms(response, '/challenges', 'post')) as { issuerId: string; challenge: string; issuedAt: string };
  };
  const submit = (token: string, a1: Uint8Array | string, type = 'application/octet-stream') =>
    send('/requests', { method: 'POST', headers: { ...bearer(token), 'content-type': type }, body: typeof a1 === 'string' ? a1 : Buffer.from(a1) });

  /** An A1 record for `token`'s issuer over a fresh challenge, signed by `d` (or `signer`, for a bad proof). */
  async function a1For(token: string, change: Partial<RequestRecordFields> & { d?: Uint8Array; signer?: Uint8Array } = {}) {
    const c = await challenge(token);
    const d = change.d ?? evenYPrivateKey();
    const cst = new Date(Date.now() + 8 * 3600_000);
    const fields: RequestRecordFields = {
      issuerId: Number.parseInt(c.issuerId, 16),
      serial: 1 + Math.floor(Math.random() * 0xfffff0),
      expiry: { year: cst.getUTCFullYear() + 1, month: cst.getUTCMonth() + 1 },
      publicKey: sm2.publicKeyFromPrivate(d),
      challenge: Buffer.from(c.challenge, 'hex'),
      requestTime: Math.floor(Date.now() / 1000),
      ...change,
    };
    return { d, fields, bytes: requestRecord.encode({ ...fields, proofOfPossession: sm2.sign(requestRecord.toBeSigned(fields), change.signer ?? d) }) };
  }

  describe('issuer endpoints: authorization', () => {
    const ISSUER_ENDPOINTS = [
      { name: 'POST /challenges', path: '/challenges', doc: '/challenges', method: 'post' },
      { name: 'POST /requests', path: '/requests', doc: '/requests', method: 'post' },
      { name: 'GET /requests', path: '/requests', doc: '/requests', method: 'get' },
      { name: 'GET /requests/{id}', path: '/requests/1', doc: '/requests/{id}', method: 'get' },
      { name: 'GET /certificates', path: '/certificates', doc: '/certificates', method: 'get' },
      { name: 'GET /certificates/{number}', path: '/certificates/00000001', doc: '/certificates/{number}', method: 'get' },
    ] as const;
    const refusals: [string, () => Record<string, string>, number, string][] = [
      ['no token', () => ({}), 401, 'API_AUTHORIZATION_MISSING'],
      ['an acquirer token', () => bearer(h.tokens().acquirer), 403, 'API_SCOPE_FORBIDDEN'],
      ['an expired issuer token', () => bearer(h.tokens().expired), 401, 'API_TOKEN_EXPIRED'],
      ['a revoked issuer token', () => bearer(h.tokens().revoked), 401, 'API_TOKEN_REVOKED'],
    ];
    for (const e of ISSUER_ENDPOINTS) {
      it.each(refusals)(`${e.name} refuses %s`, async (_, headers, status, code) => {
        const init = e.method === 'post' ? { method: 'POST', headers: { 'content-type': 'application/octet-stream', ...headers() }, body: Buffer.alloc(161) } : { headers: headers() };
        const response = await send(e.path, init);
        expect(response.status).toBe(status);
        expect(await h.conforms(response, e.doc, e.method)).toMatchObject({ code, status });
      });
    }

    it('answers another issuer’s request and certificate with 404, and lists only the token’s own', async () => {
      const { bytes } = await a1For(h.tokens().other);
      const created = await submit(h.tokens().other, bytes);
      const { request } = (await h.conforms(created, '/requests', 'post')) as { request: { id: number; state: string; fingerprint: string } };
      expect([created.status, request.state]).toEqual([201, 'submitted']);
      const mine = await send(`/requests/${request.id}`, { headers: bearer(h.tokens().other) });
      expect(await h.conforms(mine, '/requests/{id}', 'get')).toMatchObject({ request: { id: request.id, state: 'submitted', certificateNumber: null } });
      const theirs = await send(`/requests/${request.id}`, { headers: bearer(h.tokens().issuer) });
      expect([theirs.status, ((await h.conforms(theirs, '/requests/{id}', 'get')) as { code: string }).code]).toEqual([404, 'REQUEST_UNKNOWN']);
      const listed = (await h.conforms(await send('/requests', { headers: bearer(h.tokens().issuer) }), '/requests', 'get')) as { requests: { id: number }[] };
      expect(listed.requests.map((r) => r.id)).not.toContain(request.id);
    });
  });

  describe('the reference issuer client end to end (real binaries)', () => {
    let work: string;
    let tokenFile: string;
    let checkValue: string;
    let rootKey: string;
    const officer = (name: string) => ({ env: { ...h.env(), TQCA_OPERATOR: name, TQCA_PASSWORD: h.password } });
    const connect = () => ['--server', h.base(), '--token-file', tokenFile];

    beforeAll(async () => {
      work = mkdtempSync(join(tmpdir(), 'tqca-issuer-'));
      tokenFile = join(work, 'token');
      writeFileSync(tokenFile, `${h.tokens().flow}\n`, { mode: 0o600 });
      const root = await h.db().prisma.rootKey.findUniqueOrThrow({ where: { index: 0x91 } });
      checkValue = Buffer.from(root.checkValue).toString('hex');
      rootKey = Buffer.from(root.publicKey).toString('hex');
    });

    it('keygen → request → review and approve by two officers → fetch --wait → cert verify; then renew only when due, once', async () => {
      const key = join(work, 'issuer.key');
      const made = await runTqca(['issuer', 'keygen', '--out', key, '--json']);
      expect(made.json, made.stdout + made.stderr).toMatchObject({ valid: true, key });
      expect(statSync(key).mode & 0o777).toBe(0o600);

      const cst = new Date(Date.now() + 8 * 3600_000);
      const expiry = `${String(cst.getUTCMonth() + 1).padStart(2, '0')}${String((cst.getUTCFullYear() + 1) % 100).padStart(2, '0')}`;
      const requested = await runTqca(['issuer', 'request', ...connect(), '--key', key, '--serial', '1a', '--expiry', expiry, '--json']);
      expect(requested.json, requested.stdout + requested.stderr).toMatchObject({ valid: true, state: 'submitted', fingerprint: made.json.fingerprint, serial: 0x1a });
      const id = String(requested.json.request);

      // Not issued yet: fetch without --wait says so and writes nothing.
      const early = await runTqca(['issuer', 'fetch', ...connect(), '--request', id, '--root-check', checkValue, '--out', join(work, 'early.cert'), '--json']);
      expect(early.json.error).toMatchObject({ code: 'CLIENT_NOT_ISSUED' });

      const waiting = runTqca(['issuer', 'fetch', ...connect(), '--request', id, '--wait', '--poll-seconds', '1', '--root-check', checkValue, '--out', join(work, 'issuer.cert'), '--a3-out', join(work, 'issuer.a3'), '--json']);
      const reviewed = await runTqca(['request', 'review', id, '--fingerprint', requested.json.fingerprint, '--json'], officer('alice'));
      expect(reviewed.json, reviewed.stdout + reviewed.stderr).toMatchObject({ valid: true });
      const approved = await runTqca(['request', 'approve', id, '--root-key', '91', '--json'], officer('bob'));
      expect(approved.json, approved.stdout + approved.stderr).toMatchObject({ valid: true });
      const fetched = await waiting;
      expect(fetched.json, fetched.stdout + fetched.stderr).toMatchObject({ valid: true, serial: 0x1a, rootKeyIndex: '91' });
      expect(readFileSync(join(work, 'issuer.cert'))).toHaveLength(106);
      expect(readFileSync(join(work, 'issuer.a3'))).toHaveLength(184);
      const verified = await runTqca(['cert', 'verify', '--root', rootKey, `@${join(work, 'issuer.cert')}`, '--json']);
      expect(verified.json, verified.stdout).toMatchObject({ valid: true, certificate: { serial: '00001a' } });

      // The fetch is attributed to the token in the audit chain.
      const fetches = await h.db().prisma.auditEvent.findMany({ where: { action: 'certificate.fetched' } });
      expect(fetches.map((e) => (e.details as { token: string }).token)).toContain(h.tokens().flow.slice(4, 20));

      // A root the client does not trust: verification fails and nothing is written.
      const untrusted = await runTqca(['issuer', 'fetch', ...connect(), '--request', id, '--root-check', 'ab'.repeat(32), '--out', join(work, 'untrusted.cert'), '--json']);
      expect(untrusted.json.error).toMatchObject({ code: 'CLIENT_ROOT_UNTRUSTED' });
      expect(() => statSync(join(work, 'untrusted.cert'))).toThrow();

      const flowRequests = () => h.db().prisma.certificateRequest.count({ where: { institution: { apiTokens: { some: { publicId: h.tokens().flow.slice(4, 20) } } } } });
      expect(await flowRequests()).toBe(1);
      const renew = (before: string, dir: string) => runTqca(['issuer', 'renew', ...connect(), '--before', before, '--key-dir', dir, '--json']);
      const far = await renew('30', work);
      expect(far.json, far.stdout + far.stderr).toMatchObject({ valid: true, action: 'none' });
      expect(await flowRequests()).toBe(1);
      const near = await renew('3650', work);
      expect(near.json, near.stdout + near.stderr).toMatchObject({ valid: true, action: 'requested', serial: 0x1b });
      // Run again, even from a machine that lost its files: the open request is found through the API.
      const again = await renew('3650', mkdtempSync(join(tmpdir(), 'tqca-issuer-lost-')));
      expect(again.json, again.stdout + again.stderr).toMatchObject({ valid: true, action: 'pending', request: near.json.request });
      expect(await flowRequests()).toBe(2);
    }, 300_000);

    it('keeps the key in the issuer’s own PKCS#11 token: keygen, request and renew with --pkcs11, and the certificate carries the token’s key', async () => {
      // The issuer's token is its own store; the CA's officers keep theirs (softToken sets the process's environment).
      const held = { TQCA_TOKEN_DIR: process.env.TQCA_TOKEN_DIR, TQCA_SOFTTOKEN_FAMILY: process.env.TQCA_SOFTTOKEN_FAMILY };
      const restore = () => {
        for (const [name, value] of Object.entries(held)) value === undefined ? delete process.env[name] : (process.env[name] = value);
      };
      const token = softToken('softtoken');
      restore();
      try {
        const pinFile = join(work, 'issuer.pin');
        writeFileSync(pinFile, `${token.pin}\n`, { mode: 0o600 });
        const inToken = ['--pkcs11', token.modulePath, '--token-label', token.tokenLabel, '--pin-file', pinFile];
        const issuerRun = (args: string[]) => runTqca([...args, '--json'], { env: token.env });

        const made = await issuerRun(['issuer', 'keygen', ...inToken, '--out', 'issuer-hsm-1']);
        expect(made.json, made.stdout + made.stderr).toMatchObject({ valid: true, key: 'pkcs11:issuer-hsm-1' });
        const inYear = new Date(Date.now() + 8 * 3600_000 + 365 * 86_400_000);
        const expiry = `${String(inYear.getUTCMonth() + 1).padStart(2, '0')}${String(inYear.getUTCFullYear() % 100).padStart(2, '0')}`;
        const requested = await issuerRun(['issuer', 'request', ...connect(), ...inToken, '--key', 'issuer-hsm-1', '--serial', '2a', '--expiry', expiry]);
        expect(requested.json, requested.stdout + requested.stderr).toMatchObject({ valid: true, state: 'submitted', fingerprint: made.json.fingerprint, serial: 0x2a });
        const id = String(requested.json.request);
        expect((await runTqca(['request', 'review', id, '--fingerprint', requested.json.fingerprint, '--json'], officer('alice'))).json).toMatchObject({ valid: true });
        expect((await runTqca(['request', 'approve', id, '--root-key', '91', '--json'], officer('bob'))).json).toMatchObject({ valid: true });
        const fetched = await issuerRun(['issuer', 'fetch', ...connect(), '--request', id, '--root-check', checkValue, '--out', join(work, 'hsm.cert')]);
        expect(fetched.json, fetched.stdout + fetched.stderr).toMatchObject({ valid: true, serial: 0x2a });
        const verified = await runTqca(['cert', 'verify', '--root', rootKey, `@${join(work, 'hsm.cert')}`, '--json']);
        expect(verified.json.certificate.issuerKey.x, verified.stdout).toBe(made.json.publicKey.slice(0, 64));

        // Renewal makes its fresh key in the token: the request left open by the file-key renewal above is rejected first.
        const open = await h.db().prisma.certificateRequest.findFirstOrThrow({ where: { state: 'SUBMITTED', institution: { apiTokens: { some: { publicId: h.tokens().flow.slice(4, 20) } } } } });
        expect((await runTqca(['request', 'reject', String(open.id), '--reason', 'superseded', '--json'], officer('alice'))).json).toMatchObject({ valid: true });
        const renewed = await issuerRun(['issuer', 'renew', ...connect(), ...inToken, '--before', '3650']);
        expect(renewed.json, renewed.stdout + renewed.stderr).toMatchObject({ valid: true, action: 'requested' });
        expect(renewed.json.key).toMatch(/^pkcs11:issuer-key-/);
        Object.assign(process.env, token.env);
        const found = await withKeyStore({ module: token.modulePath, tokenLabel: token.tokenLabel, pinFile, profile: 'softtoken' }, (store) => store.open(String(renewed.json.key).slice('pkcs11:'.length)));
        restore();
        const submitted = await h.db().prisma.certificateRequest.findUniqueOrThrow({ where: { id: Number(renewed.json.request) } });
        expect(found.ok && Buffer.from(found.value.publicKey.bytes).toString('hex')).toBe(Buffer.from(submitted.publicKey).toString('hex'));
      } finally {
        restore();
        token.dispose();
      }
    }, 300_000);
  });

  describe('every §8 rejection through HTTP: its typed code in a problem, nothing stored', () => {
    const tokenId = () => h.tokens().issuer.slice(4, 20);
    const stored = async () => {
      const prisma = h.db().prisma;
      const institution = { apiTokens: { some: { publicId: tokenId() } } };
      return { requests: await prisma.certificateRequest.count({ where: { institution } }), used: await prisma.challenge.count({ where: { institution, usedAt: { not: null } } }) };
    };
    let first: Awaited<ReturnType<typeof a1For>>;
    let firstRequest: { id: number; fingerprint: string };
    let firstCertificate: number;

    beforeAll(async () => {
      first = await a1For(h.tokens().issuer);
      const created = await submit(h.tokens().issuer, first.bytes);
      expect(created.status, await created.clone().text()).toBe(201);
      firstRequest = ((await created.json()) as { request: typeof firstRequest }).request;
    });

    /** Runs `act` as officer `name` on a CA opened in this process (on the server's database and token). */
    async function asOfficer<T>(name: string, act: (ca: CaServices, officer: Operator) => Promise<T>): Promise<T> {
      const opened = must(await openCa(h.env()));
      try {
        return await act(opened.ca, must(await authenticate(opened.ca, name, h.password)));
      } finally {
        await opened.close();
      }
    }

    const month = (ahead: number) => {
      const cst = new Date(Date.now() + 8 * 3600_000);
      const index = cst.getUTCFullYear() * 12 + cst.getUTCMonth() + ahead;
      return { year: Math.floor(index / 12), month: (index % 12) + 1 };
    };
    const now = () => Math.floor(Date.now() / 1000);
    // The service tests' list (lib/ca/requestChecks.test.ts), as far as HTTP reaches it. Not here:
    // ISSUER_UNKNOWN and ISSUER_NOT_ACTIVE (a token's issuer exists and is active, or the token is
    // refused: API_INSTITUTION_INACTIVE; another issuer id is API_INSTITUTION_MISMATCH), and the
    // ones that need another CA state than this server's (KEY_IS_ROOT_KEY: a root key with even Y;
    // EXPIRY_BEYOND_ROOT_KEY, ROOT_KEY_NONE_ACTIVE, ACTIVE_CERTIFICATE_CAP: the shared root key and
    // four certificates), which the service tests cover against the same check function.
    const cases: [string, number, string | undefined, () => Promise<Uint8Array | string>][] = [
      ['API_INSTITUTION_MISMATCH', 403, 'issuerId', async () => (await a1For(h.tokens().issuer, { issuerId: Number.parseInt((await challenge(h.tokens().other)).issuerId, 16) })).bytes],
      ['CHALLENGE_UNKNOWN', 400, 'challenge', async () => (await a1For(h.tokens().issuer, { challenge: Buffer.alloc(16, 7) })).bytes],
      ['CHALLENGE_ISSUER_MISMATCH', 400, 'challenge', async () => (await a1For(h.tokens().issuer, { challenge: Buffer.from((await challenge(h.tokens().other)).challenge, 'hex') })).bytes],
      ['CHALLENGE_USED', 409, 'challenge', async () => (await a1For(h.tokens().issuer, { challenge: first.fields.challenge })).bytes],
      [
        'CHALLENGE_EXPIRED',
        400,
        'challenge',
        async () => {
          const value = Buffer.alloc(16, 0xee);
          const institution = await h.db().prisma.institution.findFirstOrThrow({ where: { apiTokens: { some: { publicId: tokenId() } } } });
          await h.db().prisma.challenge.create({ data: { institutionId: institution.id, value, issuedAt: new Date(Date.now() - 2 * DAY), expiresAt: new Date(Date.now() - DAY) } });
          return (await a1For(h.tokens().issuer, { challenge: value })).bytes;
        },
      ],
      ['REQUEST_TIME_INVALID', 400, 'requestTime', async () => (await a1For(h.tokens().issuer, { requestTime: now() + 3600 })).bytes],
      ['REQUEST_TIME_INVALID', 400, 'requestTime', async () => (await a1For(h.tokens().issuer, { requestTime: now() - 3 * 3600 })).bytes],
      ['KEY_ALREADY_REQUESTED', 409, 'publicKey', async () => (await a1For(h.tokens().issuer, { d: first.d })).bytes],
      [
        'KEY_HELD_BY_OTHER_ISSUER',
        409,
        'publicKey',
        async () => {
          const theirs = await a1For(h.tokens().other);
          expect((await submit(h.tokens().other, theirs.bytes)).status).toBe(201);
          return (await a1For(h.tokens().issuer, { d: theirs.d })).bytes;
        },
      ],
      ['POP_INVALID', 400, 'proofOfPossession', async () => (await a1For(h.tokens().issuer, { signer: evenYPrivateKey() })).bytes],
      ['SERIAL_USED', 409, 'serial', async () => (await a1For(h.tokens().issuer, { serial: first.fields.serial })).bytes],
      ['EXPIRY_TOO_SOON', 400, 'expiry', async () => (await a1For(h.tokens().issuer, { expiry: month(0) })).bytes],
      ['EXPIRY_TOO_FAR', 400, 'expiry', async () => (await a1For(h.tokens().issuer, { expiry: month(37) })).bytes],
      [
        'KEY_ALREADY_CERTIFIED',
        409,
        'publicKey',
        async () => {
          // The first request reviewed, approved and issued by two officers: its key is certified now.
          await asOfficer('alice', async (ca, alice) => must(await reviewRequest(ca, alice, firstRequest.id, firstRequest.fingerprint)));
          const issued = await asOfficer('bob', async (ca, bob) => {
            must(await approveRequest(ca, bob, firstRequest.id, 0x91));
            return must(await issueCertificate(ca, bob, firstRequest.id));
          });
          firstCertificate = Number.parseInt(issued.number, 16);
          return (await a1For(h.tokens().issuer, { d: first.d })).bytes;
        },
      ],
      [
        'KEY_REVOKED',
        409,
        'publicKey',
        async () => {
          await asOfficer('alice', async (ca, alice) => must(await revokeCertificate(ca, alice, firstCertificate, 'keyCompromise')));
          return (await a1For(h.tokens().issuer, { d: first.d })).bytes;
        },
      ],
      // The decoder's refusals (the service decodes before it checks): a short record, an odd-Y key, a broken hex body.
      ['LENGTH_INVALID', 400, 'requestRecord', async () => (await a1For(h.tokens().issuer)).bytes.subarray(0, 160)],
      [
        'KEY_Y_ODD',
        400,
        'publicKey',
        async () => {
          const bytes = Uint8Array.from((await a1For(h.tokens().issuer)).bytes);
          // Y at bytes 45–76 replaced by p − Y: the same X, the odd point.
          const y = BigInt(`0x${Buffer.from(bytes.subarray(45, 77)).toString('hex')}`);
          bytes.set(Buffer.from((sm2.params.p - y).toString(16).padStart(64, '0'), 'hex'), 45);
          return bytes;
        },
      ],
      ['RECORD_TYPE', 400, 'tag', async () => Uint8Array.from((await a1For(h.tokens().issuer)).bytes, (b, i) => (i === 0 ? 0xa2 : b))],
      ['HEX_INVALID', 400, 'a1', async () => JSON.stringify({ a1: 'zz' })],
      ['API_BODY_TOO_LARGE', 400, undefined, async () => Buffer.alloc(2000).toString('hex')],
    ];

    it.each(cases)('%s (HTTP %i, field %s)', async (code, status, field, build) => {
      const body = await build();
      const before = await stored();
      const response = typeof body === 'string' && body.startsWith('{') ? await submit(h.tokens().issuer, body, 'application/json') : await submit(h.tokens().issuer, body);
      const problem = (await h.conforms(response, '/requests', 'post')) as { code: string; field?: string };
      expect([response.status, problem.code, problem.field]).toEqual([status, code, field]);
      expect(await stored()).toEqual(before);
      if (code !== 'API_BODY_TOO_LARGE' && code !== 'HEX_INVALID') {
        const refusal = await h.db().prisma.auditEvent.findFirst({ where: { action: 'certificateRequest.refused' }, orderBy: { seq: 'desc' } });
        expect(refusal?.details).toMatchObject({ token: tokenId(), code });
      }
    });

    it('accepts the A1 as JSON hex too, and answers what the document promises', async () => {
      const { bytes } = await a1For(h.tokens().issuer);
      const response = await submit(h.tokens().issuer, JSON.stringify({ a1: Buffer.from(bytes).toString('hex') }), 'application/json');
      expect(response.status).toBe(201);
      const { request } = (await h.conforms(response, '/requests', 'post')) as { request: { id: number } };
      expect(response.headers.get('location')).toBe(`/api/v1/requests/${request.id}`);
      const submitted = (await h.conforms(await send('/requests?state=submitted', { headers: bearer(h.tokens().issuer) }), '/requests', 'get')) as { requests: { id: number }[] };
      expect(submitted.requests.map((r) => r.id)).toContain(request.id);
      const bad = await send('/requests?state=pending', { headers: bearer(h.tokens().issuer) });
      expect([bad.status, ((await h.conforms(bad, '/requests', 'get')) as { code: string }).code]).toEqual([400, 'API_QUERY_INVALID']);
      const badId = await send('/requests/01', { headers: bearer(h.tokens().issuer) });
      expect([badId.status, ((await h.conforms(badId, '/requests/{id}', 'get')) as { code: string }).code]).toEqual([400, 'API_ID_INVALID']);
    });

    it('serves the issuer’s certificates (the one issued and revoked above) as JSON and as the 106 bytes; to another issuer, 404', async () => {
      const own = bearer(h.tokens().issuer);
      const number = firstCertificate.toString(16).toUpperCase().padStart(8, '0');
      const revoked = (await h.conforms(await send('/certificates?state=revoked', { headers: own }), '/certificates', 'get')) as { certificates: { number: string }[] };
      expect(revoked.certificates.map((c) => c.number)).toEqual([number]);
      const active = (await h.conforms(await send('/certificates?state=active', { headers: own }), '/certificates', 'get')) as { certificates: unknown[] };
      expect(active.certificates).toEqual([]);
      const json = (await h.conforms(await send(`/certificates/${number}`, { headers: own }), '/certificates/{number}', 'get')) as {
        certificate: { certificate: string; a3Record: string; state: string; revocationReason: string; serial: number; requestId: number };
      };
      expect(json.certificate).toMatchObject({ state: 'revoked', revocationReason: 'keyCompromise', serial: first.fields.serial, requestId: firstRequest.id });
      const binary = await send(`/certificates/${number}`, { headers: { ...own, accept: 'application/octet-stream' } });
      expect(Buffer.from((await h.conforms(binary, '/certificates/{number}', 'get')) as Uint8Array).toString('hex')).toBe(json.certificate.certificate);
      // The A3 carries the certificate at bytes 10–115.
      expect(json.certificate.a3Record.slice(20, 20 + 212)).toBe(json.certificate.certificate);
      const foreign = await send(`/certificates/${number}`, { headers: bearer(h.tokens().other) });
      expect([foreign.status, ((await h.conforms(foreign, '/certificates/{number}', 'get')) as { code: string }).code]).toEqual([404, 'CERTIFICATE_UNKNOWN']);
      const theirs = (await h.conforms(await send('/certificates', { headers: bearer(h.tokens().other) }), '/certificates', 'get')) as { certificates: { number: string }[] };
      expect(theirs.certificates.map((c) => c.number)).not.toContain(number);
      const request = (await h.conforms(await send(`/requests/${firstRequest.id}`, { headers: own }), '/requests/{id}', 'get')) as { request: { state: string; certificateNumber: string } };
      expect(request.request).toMatchObject({ state: 'issued', certificateNumber: number });
    });

    it('limits submissions per token: 429 with Retry-After, beyond the general rate', async () => {
      let limited: Response | undefined;
      for (let i = 0; i < 40 && !limited; i++) {
        const response = await fetch(`${h.base()}/api/v1/requests`, { method: 'POST', headers: { ...bearer(h.tokens().limited), 'content-type': 'application/octet-stream' }, body: Buffer.alloc(161) });
        if (response.status === 429) limited = response;
        else await response.arrayBuffer();
      }
      expect(limited).toBeDefined();
      expect(Number(limited!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(await h.conforms(limited!, '/requests', 'post')).toMatchObject({ code: 'API_RATE_LIMITED', details: { limit: 'submissions' } });
    });
  });
}
