/**
 * The distribution page in Chromium against a console server of its own (a fresh first run). Three
 * acquirers and three bundle versions are made through the CA services in this process, on a clock
 * three days back (so the behind threshold, the publication lead of a day, has passed); the last
 * acknowledgements arrive over HTTP with the acquirers' real API tokens. An auditor (second factor
 * enrolled in the browser) reads the page: a current, a behind and a mismatched acquirer, the
 * propagation seconds of the revocation every acquirer acknowledged, and who has not acknowledged
 * version 3 (?version=3). axe-core in both languages, screenshots, no console errors.
 */
import { Secret, TOTP } from 'otpauth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toHex, uintToBytes } from '../../lib/bytes';
import { checkToken, createApiToken, loadTokenRecord, parseApiToken, type ApiClient } from '../../lib/ca/apiTokens';
import { revokeCertificate } from '../../lib/ca/certificates';
import type { Operator } from '../../lib/ca/context';
import { recordAcknowledgement, recordPolls } from '../../lib/ca/distribution';
import { sealGovernance } from '../../lib/ca/governance';
import { createInstitution } from '../../lib/ca/institutions';
import type { CaServices } from '../../lib/ca/services';
import { unwrap } from '../../lib/errors';
import { publish } from '../../lib/publication';
import { openCa, type OpenCa } from '../../lib/runtime/openCa';
import { activeRootKey, issuedCertificate } from '../e2e/harness';
import { bootstrapOperator } from '../support/operators';
import { checkInBothLanguages, launch, type Browser } from './chromium';
import { signInOverHttp } from './consoleHttp';
import { startConsole, type Console } from './server';

const PASSWORD = 'correct horse battery staple';
const ISSUER_ID = 0x00003001;
const ROOT_INDEX = 0x82;
const ACQUIRERS = ['current', 'behind', 'mismatch'] as const;
type Name = (typeof ACQUIRERS)[number];

let own: Console;
let opened: OpenCa;
let browser: Browser;
let url = '';
const base = Date.now() - 3 * 86_400_000;
const at = (seconds: number) => new Date(base + seconds * 1000);
let clock = at(0);
const acquirers = {} as Record<Name, { code: string; token: string; client: ApiClient }>;
const certificates: string[] = [];

async function bodySm3(ca: CaServices, version: number): Promise<Uint8Array> {
  return (await ca.prisma.publishedBundle.findUniqueOrThrow({ where: { version } })).bodySm3;
}

/** POST /api/v1/acknowledgements as the acquirer's TMS does, with its API token. */
async function acknowledgeOverHttp(name: Name, version: number, sm3: Uint8Array) {
  const response = await fetch(`${url}/api/v1/acknowledgements`, {
    method: 'POST',
    headers: { authorization: `Bearer ${acquirers[name].token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ version, bodySm3: toHex(sm3) }),
  });
  expect(response.status, await response.clone().text()).toBe(201);
  return ((await response.json()) as { acknowledgement: { matches: boolean } }).acknowledgement.matches;
}

beforeAll(async () => {
  own = await startConsole();
  url = own.url;
  opened = unwrap(await openCa({ ...process.env, ...own.caEnv }));
  const live = opened.ca;
  const admin = await live.prisma.operator.findUniqueOrThrow({ where: { username: 'admin' }, select: { id: true, username: true, displayName: true, roles: true } });
  const made: Record<string, Operator> = {};
  for (const [username, role] of [['admin2', 'ADMIN'], ['alice', 'OFFICER'], ['bob', 'OFFICER'], ['auditor', 'AUDITOR']] as const) made[username] = await bootstrapOperator(live, admin, username, role, PASSWORD);
  unwrap(await sealGovernance(live, admin));
  unwrap(await createInstitution(live, admin, { kind: 'ISSUER', code: uintToBytes(ISSUER_ID, 4), nameZh: '分发测试发卡机构' }));
  for (const name of ACQUIRERS) {
    const institution = unwrap(await createInstitution(live, admin, { kind: 'ACQUIRER', nameZh: `收单机构 ${name}`, nameEn: `Acquirer ${name}` }));
    const token = unwrap(await createApiToken(live, admin, { institutionId: institution.id, scope: 'ACQUIRER', label: 'TMS', expiresAt: new Date(Date.now() + 30 * 86_400_000) }));
    const client = unwrap(checkToken(await loadTokenRecord(live, token.view.id), parseApiToken(token.token)!, 'ACQUIRER', live.now()));
    acquirers[name] = { code: toHex(institution.code), token: token.token, client };
  }
  // From here on the clock runs three days back, and nothing publishes on change: the versions below are published by hand at their times.
  const ca: CaServices = { ...opened.ca, now: () => clock, changed: undefined };
  const h = { ca, admin, alice: made.alice!, bob: made.bob!, issuerId: ISSUER_ID };
  await activeRootKey(h, ROOT_INDEX);
  expect(unwrap(await publish(ca, 'rootKey')).version).toBe(1);
  for (const serial of [1, 2]) certificates.push((await issuedCertificate(h, serial, { year: 2028, month: serial }, ROOT_INDEX)).number);
  const acknowledge = async (name: Name, version: number, seconds: number) => {
    clock = at(seconds);
    const sm3 = await bodySm3(ca, version);
    unwrap(await recordAcknowledgement(ca, acquirers[name].client, { version, bodySm3: sm3 }, sm3));
  };
  // The first revocation: revoked at 100 s, listed from version 2 (160 s), acknowledged by the last acquirer at 400 s.
  clock = at(100);
  unwrap(await revokeCertificate(ca, made.bob!, parseInt(certificates[0]!, 16), 'keyCompromise'));
  clock = at(160);
  expect(unwrap(await publish(ca, 'revocation')).version).toBe(2);
  await acknowledge('current', 2, 200);
  await acknowledge('behind', 2, 250);
  await acknowledge('mismatch', 2, 400);
  // The second, in version 3: the behind acquirer never takes it, the mismatched one reports a different body SM3.
  clock = at(1_000);
  unwrap(await revokeCertificate(ca, made.bob!, parseInt(certificates[1]!, 16), 'superseded'));
  clock = at(1_060);
  expect(unwrap(await publish(ca, 'revocation')).version).toBe(3);
  expect(await acknowledgeOverHttp('current', 3, await bodySm3(ca, 3))).toBe(true);
  expect(await acknowledgeOverHttp('mismatch', 3, new Uint8Array(32))).toBe(false);
  // Each polled a minute ago: none is silent.
  const minuteAgo = new Date(Date.now() - 60_000);
  await recordPolls(ca, ACQUIRERS.map((name) => ({ institutionId: acquirers[name].client.institutionId, version: name === 'behind' ? 2 : 3, served: 1, notModified: 5, first: at(200), last: minuteAgo })));

  browser = await launch();
  // The auditor signs in (password only: no second factor yet) and enrols one in the browser.
  const cookie = await signInOverHttp(url, 'auditor', PASSWORD, '');
  const [name, value] = cookie.split(/=(.*)/s);
  await browser.context.addCookies([{ name: name!, value: value!, url }]);
  await browser.page.goto(`${url}/account/second-factor`);
  const secret = (await browser.page.textContent('[data-testid="totp-secret"]'))!.trim();
  await browser.page.fill('#code', new TOTP({ secret: Secret.fromBase32(secret), digits: 6, period: 30, algorithm: 'SHA1' }).generate());
  await browser.page.click('button[type="submit"]');
  await browser.page.waitForSelector('[data-testid="recovery-codes"]');
}, 600_000);

afterAll(async () => {
  await browser?.close();
  await opened?.close();
  await own?.stop();
});

async function open(path: string) {
  await browser.page.goto(`${url}${path}`);
  expect(new URL(browser.page.url()).pathname).toBe('/distribution');
}

const attributes = (testId: string, names: readonly string[]) =>
  browser.page.$$eval(`[data-testid="${testId}"]`, (elements, names) => elements.map((e) => Object.fromEntries(names.map((n) => [n, e.getAttribute(`data-${n}`)]))), names);


describe('the distribution page in Chromium', () => {
  it('shows each acquirer current, behind or mismatched, and the revocation propagation in seconds', async () => {
    await open('/distribution');
    expect(await attributes('acquirer-row', ['institution', 'status', 'acknowledged-version'])).toEqual([
      { institution: acquirers.current.code, status: 'current', 'acknowledged-version': '3' },
      { institution: acquirers.behind.code, status: 'behind', 'acknowledged-version': '2' },
      { institution: acquirers.mismatch.code, status: 'mismatch', 'acknowledged-version': '2' },
    ]);
    // Newest first: the second revocation waits for two acquirers; the first took 400 − 100 s.
    expect(await attributes('propagation-row', ['certificate', 'seconds'])).toEqual([
      { certificate: certificates[1], seconds: '' },
      { certificate: certificates[0], seconds: '300' },
    ]);
    expect(await checkInBothLanguages(browser.page, 'distribution-status')).toEqual({ 'zh-CN': [], en: [] });
  });

  it('lists who has not acknowledged version 3: the behind and the mismatched acquirer', async () => {
    await open('/distribution?version=3');
    expect(await attributes('unacknowledged-acquirer', ['institution'])).toEqual([{ institution: acquirers.behind.code }, { institution: acquirers.mismatch.code }]);
    expect(await checkInBothLanguages(browser.page, 'distribution-version-3')).toEqual({ 'zh-CN': [], en: [] });
    await open('/distribution?version=2');
    expect(await attributes('unacknowledged-acquirer', ['institution'])).toEqual([]);
    expect(await browser.page.locator('[data-testid="all-acknowledged"]').count()).toBe(1);
    await open('/distribution?version=9');
    expect(await browser.page.getAttribute('[data-error-code]', 'data-error-code')).toBe('BUNDLE_NOT_FOUND');
    expect(await attributes('acquirer-row', ['institution'])).toHaveLength(3);
  });

  it('logged no console error', () => {
    expect(browser.errors).toEqual([]);
  });
});
