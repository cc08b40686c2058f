/**
 * The CA through the `tqca` binary, each command a separate process as an operator runs it:
 * dual control holds in the CLI exactly as in the services (same officer can neither create and
 * activate a root key, nor review and approve a request, nor request and approve a re-target).
 * PostgreSQL, because several processes share the database; the software token store is shared
 * the same way.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTqca } from '../../lib/cli/testSupport';
import { startPostgres, type TestPostgres } from '../support/postgres';
import { approveCeremony, requestRootKeyChange } from '../../lib/ca/rootKeys';
import { unwrap } from '../../lib/errors';
import { activeRootKey, approvedRequests, buildRequest, PASSWORD, startHarness, type Harness } from './harness';

let postgres: TestPostgres;
let h: Harness;
let env: Record<string, string>;

beforeAll(async () => {
  postgres = await startPostgres();
  const url = await postgres.createDatabase('cli');
  h = await startHarness({ url });
  env = { DATABASE_URL: url, ...h.token.env, TQCA_TOKEN_LABEL: h.token.tokenLabel, TQCA_HSM_PIN: h.token.pin, TQCA_HSM_POOL_SIZE: '2' };
});
afterAll(async () => {
  await h?.close();
  await postgres?.stop();
});

/** The environment of a process run by `operator` (with `password`). */
const operatorEnv = (operator: string, password = PASSWORD): NodeJS.ProcessEnv => ({ ...process.env, ...env, TQCA_OPERATOR: operator, TQCA_PASSWORD: password });
const as = (operator: string, args: string[]) => runTqca(['--json', ...args], { env: operatorEnv(operator) });

async function ok(operator: string, args: string[]) {
  const run = await as(operator, args);
  expect(run.json?.error, `${args.join(' ')}: ${run.stderr}`).toBeUndefined();
  expect(run.exitCode).toBe(0);
  return run.json;
}

async function refused(operator: string, args: string[], code: string) {
  const run = await as(operator, args);
  expect(run.json).toMatchObject({ valid: false, error: { code } });
  expect(run.exitCode).toBe(1);
}

describe('tqca root, request and cert as two officers', () => {
  it('issues and revokes a certificate, with dual control enforced at every step', async () => {
    const created = await ok('alice', ['root', 'create', '--index', '90', '--environment', 'test', '--expiry', '311231']);
    await refused('alice', ['root', 'approve', String(created.ceremony.id)], 'DUAL_CONTROL_SAME_OFFICER');
    expect((await ok('bob', ['root', 'approve', String(created.ceremony.id)])).ceremony.status).toBe('EXECUTED');

    // bob asks to activate the key alice created: alice may not approve it, and neither may bob.
    const byBob = await ok('bob', ['root', 'activate', '90']);
    await refused('alice', ['root', 'approve', String(byBob.ceremony.id)], 'DUAL_CONTROL_SAME_OFFICER');
    await refused('bob', ['root', 'approve', String(byBob.ceremony.id)], 'DUAL_CONTROL_SAME_OFFICER');
    await ok('bob', ['root', 'cancel', String(byBob.ceremony.id)]);
    const byAlice = await ok('alice', ['root', 'activate', '90']);
    await ok('bob', ['root', 'approve', String(byAlice.ceremony.id)]);
    const [root] = (await ok('alice', ['root', 'list'])).rootKeys;
    expect(root).toMatchObject({ index: '90', state: 'ACTIVE' });

    const { challenge } = await ok('alice', ['request', 'challenge', '00001001']);
    const { a1 } = buildRequest({ issuerId: h.issuerId, challenge: challenge.challenge, serial: 0x123, expiry: { year: 2028, month: 3 } });
    const { request } = await ok('alice', ['request', 'submit', Buffer.from(a1).toString('hex')]);
    expect(request).toMatchObject({ state: 'SUBMITTED', serial: 0x123 });
    await refused('alice', ['request', 'submit', Buffer.from(a1).toString('hex')], 'CHALLENGE_USED');
    await ok('alice', ['request', 'review', String(request.id), '--fingerprint', request.fingerprint]);
    await refused('alice', ['request', 'approve', String(request.id), '--root-key', '90'], 'DUAL_CONTROL_SAME_OFFICER');
    const issued = await ok('bob', ['request', 'approve', String(request.id), '--root-key', '90']);
    expect(issued.certificate).toMatchObject({ number: '00000001', status: 'ACTIVE', serial: 0x123 });

    const verified = await runTqca(['cert', 'verify', '--root', root.publicKey, issued.certificate.certificate]);
    expect(verified.json).toMatchObject({ valid: true });

    expect((await ok('bob', ['cert', 'list', '--expiring', '1000'])).warnings).toMatchObject([{ certificate: { number: '00000001' }, tier: 90 }]);
    expect((await ok('bob', ['cert', 'list', '--expiring', '30'])).warnings).toEqual([]);
    // --issuer and --status narrow the warnings as they narrow the plain list.
    expect((await ok('bob', ['cert', 'list', '--expiring', '1000', '--issuer', '00001001'])).warnings).toHaveLength(1);
    expect((await ok('bob', ['cert', 'list', '--expiring', '1000', '--issuer', '00009999'])).warnings).toEqual([]);
    expect((await ok('bob', ['cert', 'list', '--expiring', '1000', '--status', 'REVOKED'])).warnings).toEqual([]);
    expect((await ok('alice', ['cert', 'revoke', '00000001', '--reason', 'keyCompromise'])).certificate.status).toBe('REVOKED');
    expect((await ok('bob', ['cert', 'list', '--expiring', '1000'])).warnings).toEqual([]);
    expect((await ok('bob', ['cert', 'list', '--expiring', '1000', '--status', 'REVOKED'])).warnings).toMatchObject([{ certificate: { number: '00000001', status: 'REVOKED' } }]);
    expect((await ok('bob', ['cert', 'show', '00000001'])).certificate).toMatchObject({ status: 'REVOKED', revocationReason: 'keyCompromise' });
    const table = await runTqca(['cert', 'list', '--status', 'REVOKED'], { env: operatorEnv('bob') });
    expect(table.stdout).toMatch(/^number\s+issuer\s+serial/);
    expect(table.stdout).toMatch(/00000001\s+00001001\s+291\s+0328\s+REVOKED\s+90\s+keyCompromise/);
  }, 300_000);

  it('re-targets a request whose root key was retired, under dual control, and lists the numbers with their signed bytes', async () => {
    // Set up through the services on the same database and token: two keys, a request under the first, then its retirement.
    await activeRootKey(h, 0x94);
    await activeRootKey(h, 0x95);
    const [requestId] = await approvedRequests(h, 0x94, 1, 1);
    unwrap(await approveCeremony(h.ca, h.bob, unwrap(await requestRootKeyChange(h.ca, h.alice, 'RETIRE', 0x94)).id));

    await refused('bob', ['request', 'issue', String(requestId)], 'ROOT_KEY_NOT_USABLE');
    const { retarget } = await ok('alice', ['request', 'retarget', String(requestId), '--root-key', '95', '--reason', 'root key 94 retired']);
    expect(retarget).toMatchObject({ status: 'PENDING', fromRootKeyIndex: '94', toRootKeyIndex: '95' });
    await refused('alice', ['request', 'retarget-approve', String(retarget.id)], 'DUAL_CONTROL_SAME_OFFICER');
    expect((await ok('bob', ['request', 'retarget-approve', String(retarget.id)])).retarget.status).toBe('APPROVED');
    const { certificate } = await ok('bob', ['request', 'issue', String(requestId)]);
    expect(certificate.rootKeyIndex).toBe('95');

    const { numbers } = await ok('bob', ['cert', 'numbers', '--state', 'ISSUED']);
    expect(numbers.find((n: { number: string }) => n.number === certificate.number)).toMatchObject({ state: 'ISSUED', rootKeyIndex: '95', signed: certificate.certificate });
  }, 300_000);

  it('announces a rollover key with root announce and root approve; activating it before the lead is refused', async () => {
    const created = await ok('alice', ['root', 'create', '--index', '96', '--environment', 'test', '--expiry', '311231']);
    await ok('bob', ['root', 'approve', String(created.ceremony.id)]);
    await refused('bob', ['root', 'approve', String((await ok('alice', ['root', 'activate', '96'])).ceremony.id)], 'ROOT_KEY_NOT_ANNOUNCED');
    const announce = await ok('alice', ['root', 'announce', '96']);
    expect(announce.ceremony).toMatchObject({ action: 'ANNOUNCE', status: 'PENDING', rootKeyIndex: '96' });
    await refused('alice', ['root', 'approve', String(announce.ceremony.id)], 'DUAL_CONTROL_SAME_OFFICER');
    expect((await ok('bob', ['root', 'approve', String(announce.ceremony.id)])).ceremony.status).toBe('EXECUTED');
    expect((await ok('alice', ['root', 'list'])).rootKeys.find((k: { index: string }) => k.index === '96')).toMatchObject({ state: 'ANNOUNCED', announcedBy: h.bob.id });
    await refused('bob', ['root', 'approve', String((await ok('alice', ['root', 'activate', '96'])).ceremony.id)], 'ROOT_KEY_ANNOUNCEMENT_TOO_RECENT');
  }, 300_000);

  it('refuses an operator who does not authenticate, and one who is not an officer', async () => {
    const wrong = await runTqca(['root', 'list'], { env: operatorEnv('alice', 'not the password') });
    expect(wrong.json).toMatchObject({ valid: false, error: { code: 'AUTHENTICATION_FAILED' } });
    const nobody = await runTqca(['root', 'list'], { env: operatorEnv('', '') });
    expect(nobody.json).toMatchObject({ valid: false, error: { code: 'AUTHENTICATION_REQUIRED' } });
    await refused('admin', ['root', 'create', '--index', '91', '--environment', 'test', '--expiry', '311231'], 'OPERATOR_FORBIDDEN');
  }, 120_000);
});
