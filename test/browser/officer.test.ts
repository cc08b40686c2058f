/**
 * The officers' screens in Chromium against a console server of their own (test/browser/server.ts
 * startConsole: the suite's build, a fresh first run, so the story does not depend on what the
 * other files did to the shared one): officers A (alice) and B (bob), made through the CA services
 * in this process beside the server (the embedded database the console serves, the same software token), enrol in the browser, run the root-key
 * ceremony (A requests, B approves and the HSM generates the key, A requests activation, B
 * approves), review (A) and approve/issue (B) a request submitted here with a fresh SM2 key, find
 * the certificate, download it and verify the binary with the real `tqca cert verify`, and revoke
 * it with the typed confirmation. The requester never sees their own approve button, and a forged
 * post of B's approve form with A's cookie is refused by the service. Step-up is enforced by the
 * server action: a session whose second factor is older than 5 minutes is refused until it steps up.
 * axe-core on every officer page in both languages; no console errors.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Secret, TOTP } from 'otpauth';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toHex, uintToBytes } from '../../lib/bytes';
import { createInstitution } from '../../lib/ca/institutions';
import type { Operator } from '../../lib/ca/context';
import { sealGovernance } from '../../lib/ca/governance';
import { issueChallenge, submitRequest } from '../../lib/ca/requests';
import { listCeremonies, listRootKeys } from '../../lib/ca/rootKeys';
import { sm3 } from '../../lib/crypto/sm3';
import { unwrap } from '../../lib/errors';
import { openCa, type OpenCa } from '../../lib/runtime/openCa';
import { buildRequest } from '../e2e/harness';
import { bootstrapOperator } from '../support/operators';
import type { SignedInOperator } from './administration';
import { launch, screenshot, type Browser } from './chromium';
import { officerForms } from './officerForms';
import { startConsole, type Console } from './server';

let url = '';
let ownConsole: Console;
const PASSWORD = 'correct horse battery staple';
const ISSUER_ID = 0x00002001;
const ROOT_INDEX = '81';

interface Officer extends SignedInOperator {
  /** Filled in at enrolment, below. */
  totpSecret: string;
  recovery: string[];
  operator: Operator;
  browser: Browser;
  page: Page;
}

let opened: OpenCa;
let alice: Officer;
let bob: Officer;
let requestId = 0;
let certificateNumber = '';
const workDir = mkdtempSync(join(tmpdir(), 'tqca-officer-'));

const totp = (o: Officer) => new TOTP({ secret: Secret.fromBase32(o.totpSecret), digits: 6, period: 30, algorithm: 'SHA1' }).generate();

async function cookieOf(o: Officer): Promise<string> {
  return (await o.browser.context.cookies(url)).map((c) => `${c.name}=${c.value}`).join('; ');
}

// The server's URL is known once the console starts (beforeAll).
let forms: ReturnType<typeof officerForms>;
const signIn = (o: Officer, code: string) => forms.signIn(o, code);
const visit = async (o: Officer, path: string) => void (await forms.visit(o, path));
const submit = (o: Officer, id: string) => forms.submit(o, id);
const stepUp = (o: Officer, path: string) => forms.stepUp(o, path);
const act = (o: Officer, path: string, id: string, fill?: () => Promise<void>) => forms.act(o, path, id, fill);
const checkPages = (o: Officer, name: string) => forms.checkPages(o, `officer-${name}`);

/** The hidden fields of a form as the server rendered it (no script), to post it by hand. */
async function formFields(html: string, formId: string): Promise<[string, string][]> {
  const form = html.match(new RegExp(`<form[^>]*data-form="${formId}"[^>]*>([\\s\\S]*?)</form>`));
  expect(form, `form ${formId} in the page`).not.toBeNull();
  return [...form![1].matchAll(/<input type="hidden" name="([^"]+)"(?: value="([^"]*)")?/g)].map(([, n, v]) => [n, decodeHtml(v ?? '')]);
}

async function postForm(path: string, fields: [string, string][], headers: Record<string, string>): Promise<Response> {
  const body = new FormData();
  for (const [n, v] of fields) body.append(n, v);
  return fetch(`${url}${path}`, { method: 'POST', body, headers: { origin: url, 'sec-fetch-site': 'same-origin', ...headers }, redirect: 'manual' });
}

/**
 * The refused approvals the service recorded for an object (lib/ca/refusals.ts): proof that a
 * forged post reached the service, was refused there, and changed nothing else.
 */
async function refusals(objectType: string, id: number) {
  const events = await opened.ca.prisma.auditEvent.findMany({ where: { action: `${objectType}.approvalRefused`, objectId: String(id) }, orderBy: { seq: 'asc' } });
  return events.map((e) => ({ actor: e.actor, code: (e.details as { code: string }).code }));
}

/** The officer's session, second factor proved long ago (as after 10 idle-free minutes of work). */
async function ageSecondFactor(o: Officer) {
  await opened.ca.prisma.consoleSession.updateMany({ where: { operatorId: o.operator.id, endedAt: null }, data: { secondFactorAt: new Date(Date.now() - 10 * 60_000) } });
}

beforeAll(async () => {
  ownConsole = await startConsole();
  url = ownConsole.url;
  forms = officerForms(url);
  opened = unwrap(await openCa({ ...process.env, ...ownConsole.caEnv }));
  const { ca } = opened;
  // The first administrator (still on its one-time password, which the console test replaces) makes the set and seals it.
  const admin = await ca.prisma.operator.findUniqueOrThrow({ where: { username: 'admin' }, select: { id: true, username: true, displayName: true, roles: true } });
  await bootstrapOperator(ca, admin, 'admin2', 'ADMIN', PASSWORD);
  const officers = [];
  for (const username of ['alice', 'bob']) officers.push({ username, operator: await bootstrapOperator(ca, admin, username, 'OFFICER', PASSWORD) });
  unwrap(await sealGovernance(ca, admin));
  unwrap(await createInstitution(ca, admin, { kind: 'ISSUER', code: uintToBytes(ISSUER_ID, 4), nameZh: '浏览器测试发卡机构' }));
  [alice, bob] = await Promise.all(officers.map(async (o) => ({ ...o, password: PASSWORD, browser: await launch(), totpSecret: '', lastStep: -1, recovery: [] as string[] }) as Officer));
  for (const o of [alice, bob]) o.page = o.browser.page;
});

afterAll(async () => {
  await Promise.all([alice?.browser.close(), bob?.browser.close()]);
  await opened?.close();
  await ownConsole?.stop();
  rmSync(workDir, { recursive: true, force: true });
});

describe('the officer screens in Chromium', () => {
  it('officers A and B sign in and enrol their second factor', async () => {
    for (const o of [alice, bob]) {
      await signIn(o, '');
      await o.page.waitForURL(`${url}/account/second-factor`);
      o.totpSecret = (await o.page.textContent('[data-testid="totp-secret"]'))!.trim();
      await o.page.fill('#code', totp(o));
      await o.page.click('button[type="submit"]');
      await o.page.waitForSelector('[data-testid="recovery-codes"]');
      o.recovery = await o.page.locator('[data-testid="recovery-codes"] li').allTextContents();
      expect(o.recovery).toHaveLength(10);
    }
  });

  it('runs the root-key ceremony: A requests, B approves and the HSM generates the key, then activation', async () => {
    await visit(alice, '/root-keys');
    await checkPages(alice, 'root-keys-empty');
    const expiry = new Date(Date.now() + 5 * 365 * 86_400_000).toISOString().slice(0, 10);
    const fill = async () => {
      await alice.page.fill('#new-root-key-index', ROOT_INDEX);
      await alice.page.selectOption('#new-root-key-environment', 'TEST');
      await alice.page.fill('#new-root-key-expiry', expiry);
    };

    // Step-up is the action's rule: with the second factor 10 minutes old, the request is refused and links to the step-up page.
    await ageSecondFactor(alice);
    await fill();
    expect(await submit(alice, 'new-root-key')).toBe('STEP_UP_REQUIRED');
    expect(await listCeremonies(opened.ca)).toEqual([]);
    await alice.page.click('form[data-form="new-root-key"] a[href^="/step-up"]');
    await alice.page.waitForURL((u) => u.pathname === '/step-up' && u.searchParams.get('next') === '/root-keys');
    await alice.page.fill('#code', alice.recovery.shift()!);
    await alice.page.click('button[type="submit"]');
    await alice.page.waitForURL(`${url}/root-keys`);
    await fill();
    expect(await submit(alice, 'new-root-key')).toBe('done');

    const [create] = await listCeremonies(opened.ca, { status: 'PENDING' });
    expect(create).toMatchObject({ action: 'CREATE', rootKeyIndex: ROOT_INDEX, requestedBy: alice.operator.id });
    const item = alice.page.locator(`[data-ceremony="${create.id}"]`);
    await item.waitFor();
    expect(await item.locator('[data-testid="requested-by"]').textContent()).toMatch(/alice.*CST/);
    // The requester is not offered the approval; the service refuses it anyway (below).
    expect(await alice.page.locator(`form[data-form="approve-${create.id}"]`).count()).toBe(0);
    expect(await item.locator('[data-testid="awaiting-second"]').count()).toBe(1);
    await checkPages(alice, 'root-keys-pending');

    // A forged post: B's approve form, as the server renders it, sent with A's cookie (A's step-up is fresh).
    await visit(bob, '/root-keys'); // B's session, touched within the server's idle limit
    const bobsPage = await (await fetch(`${url}/root-keys`, { headers: { cookie: await cookieOf(bob) } })).text();
    const approveFields = await formFields(bobsPage, `approve-${create.id}`);
    const forged = await postForm('/root-keys', approveFields, { cookie: await cookieOf(alice) });
    expect(forged.status).toBe(200);
    expect(await refusals('rootKeyCeremony', create.id)).toEqual([{ actor: 'alice', code: 'DUAL_CONTROL_SAME_OFFICER' }]);
    const crossSite = await postForm('/root-keys', approveFields, { cookie: await cookieOf(bob), 'sec-fetch-site': 'cross-site' });
    expect(await crossSite.text()).toContain('CROSS_SITE_REQUEST');
    expect((await listCeremonies(opened.ca, { status: 'PENDING' })).map((c) => c.id)).toEqual([create.id]);

    await visit(bob, '/root-keys');
    expect(await bob.page.locator(`[data-ceremony="${create.id}"] [data-testid="requested-by"]`).textContent()).toContain('alice');
    expect(await act(bob, '/root-keys', `approve-${create.id}`)).toBe('done');
    const key = bob.page.locator(`[data-testid="root-keys"] [data-index="${ROOT_INDEX}"]`);
    await key.waitFor();
    expect(await key.getAttribute('data-state')).toBe('PENDING');
    const [stored] = await listRootKeys(opened.ca);
    const shownCheck = (await key.locator('[data-testid="check-value"]').textContent())!.trim();
    const shownA2 = (await key.locator('[data-testid="a2-record"]').textContent())!.trim();
    expect(shownA2).toBe(stored.a2Record);
    expect(shownA2).toHaveLength(218);
    // The check value handed over out of band: SM3 over the A2 record's bytes 1–72 (profile §4.2).
    expect(shownCheck).toBe(toHex(sm3(Buffer.from(shownA2, 'hex').subarray(1, 73))));
    await key.locator('summary').click();
    await checkPages(bob, 'root-keys-generated');

    expect(await act(alice, '/root-keys', `activate-${ROOT_INDEX}`)).toBe('done');
    const activation = (await listCeremonies(opened.ca, { status: 'PENDING' }))[0];
    expect(activation).toMatchObject({ action: 'ACTIVATE', requestedBy: alice.operator.id });
    expect(await act(bob, '/root-keys', `approve-${activation.id}`)).toBe('done');
    await expect.poll(() => bob.page.getAttribute(`[data-testid="root-keys"] [data-index="${ROOT_INDEX}"]`, 'data-state')).toBe('ACTIVE');
    expect((await listRootKeys(opened.ca))[0].state).toBe('ACTIVE');
  });

  it('A reviews a submitted request with the fingerprint heard out of band; B approves and the certificate is issued', async () => {
    const { ca } = opened;
    const challenge = unwrap(await issueChallenge(ca, alice.operator, ISSUER_ID));
    const expiry = new Date(Date.now() + 400 * 86_400_000);
    const { a1 } = buildRequest({ issuerId: ISSUER_ID, challenge: challenge.challenge, serial: 7, expiry: { year: expiry.getUTCFullYear(), month: expiry.getUTCMonth() + 1 } });
    const request = unwrap(await submitRequest(ca, alice.operator, a1));
    requestId = request.id;

    await visit(alice, '/requests?state=SUBMITTED');
    await alice.page.click(`[data-request="${requestId}"] a`);
    await alice.page.waitForURL(`${url}/requests/${requestId}`);
    expect((await alice.page.textContent('[data-testid="fingerprint"]'))!.trim()).toBe(request.fingerprint);
    expect(await alice.page.textContent('[data-testid="a1-fields"]')).toContain(request.publicKey.slice(0, 64));
    expect(await alice.page.textContent('[data-testid="pop"]')).toMatch(/持有证明：第 0–96 字节上的签名可用|Proof of possession: the signature/);
    expect(await alice.page.locator('[data-testid="checks"] li').count()).toBe(7);
    await checkPages(alice, 'request-submitted');

    const path = `/requests/${requestId}`;
    expect(await act(alice, path, 'review', () => alice.page.fill('#review-fingerprint', '0000000000000000'))).toBe('FINGERPRINT_MISMATCH');
    expect(await alice.page.getAttribute('#review-fingerprint', 'aria-invalid')).toBe('true');
    expect(await alice.page.evaluate(() => document.activeElement?.id)).toBe('review-fingerprint');
    expect(await act(alice, path, 'review', () => alice.page.fill('#review-fingerprint', request.fingerprint.toUpperCase()))).toBe('done');
    await alice.page.waitForSelector('[data-testid="awaiting-second"]');
    expect(await alice.page.locator('form[data-form="approve"]').count()).toBe(0);

    // B's approve form posted with A's cookie, A's second factor just proved: the reviewer may not approve.
    await stepUp(alice, path);
    await visit(bob, path);
    const bobsPage = await (await fetch(`${url}/requests/${requestId}`, { headers: { cookie: await cookieOf(bob) } })).text();
    const forged = await postForm(`/requests/${requestId}`, [...(await formFields(bobsPage, 'approve')), ['rootKeyIndex', ROOT_INDEX]], { cookie: await cookieOf(alice) });
    expect(forged.status).toBe(200);
    expect(await refusals('certificateRequest', requestId)).toEqual([{ actor: 'alice', code: 'DUAL_CONTROL_SAME_OFFICER' }]);
    expect((await opened.ca.prisma.certificateRequest.findUniqueOrThrow({ where: { id: requestId } })).state).toBe('SUBMITTED');

    expect(await act(bob, path, 'approve', async () => void (await bob.page.selectOption('#approve-rootKeyIndex', ROOT_INDEX)))).toBe('done');
    await bob.page.waitForSelector('[data-testid="certificate-link"]');
    certificateNumber = (await bob.page.textContent('[data-testid="certificate-link"]'))!.trim();
    expect(certificateNumber).toMatch(/^[0-9A-F]{8}$/);
    expect(await bob.page.getAttribute('[data-testid="request-status"] dd[data-state]', 'data-state')).toBe('ISSUED');
    await checkPages(bob, 'request-issued');
  });

  it('finds the certificate by a server-side search; its downloaded binary verifies with tqca cert verify', async () => {
    await visit(bob, `/certificates?number=${certificateNumber}`);
    expect(await bob.page.textContent('[data-testid="certificate-total"]')).toMatch(/1/);
    await checkPages(bob, 'certificates');
    await bob.page.setViewportSize({ width: 768, height: 1024 });
    expect(await bob.page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(768);
    await screenshot(bob.page, 'officer-certificates.en.tablet');
    await bob.page.setViewportSize({ width: 1280, height: 900 });

    await bob.page.click(`[data-number="${certificateNumber}"] a`);
    await bob.page.waitForURL(`${url}/certificates/${certificateNumber}`);
    await checkPages(bob, 'certificate');
    const downloading = bob.page.waitForEvent('download');
    await bob.page.click('[data-testid="download-binary"]');
    const file = join(workDir, 'certificate.bin');
    await (await downloading).saveAs(file);
    const bytes = readFileSync(file);
    expect(bytes).toHaveLength(106);
    // The session's cookie before the CLI runs (npx may take longer than the server's 20 s idle limit).
    const cookie = await cookieOf(bob);
    const hex = await fetch(`${url}/certificates/${certificateNumber}/download?format=hex`, { headers: { cookie, 'sec-fetch-site': 'same-origin' } });
    expect((await hex.text()).trim()).toBe(bytes.toString('hex'));
    // The handler's own rules: another site, no session, or a malformed format are refused.
    const crossSite = await fetch(`${url}/certificates/${certificateNumber}/download?format=binary`, { headers: { cookie, 'sec-fetch-site': 'cross-site' } });
    expect(crossSite.status).toBe(403);
    expect((await crossSite.json()).code).toBe('CROSS_SITE_REQUEST');
    const anonymous = await fetch(`${url}/certificates/${certificateNumber}/download?format=binary`, { redirect: 'manual' });
    expect(anonymous.status).toBe(307); // proxy.ts: no session cookie, off to sign-in
    const forgedCookie = await fetch(`${url}/certificates/${certificateNumber}/download?format=binary`, { headers: { cookie: 'tqca.session=forged' } });
    expect(forgedCookie.status).toBe(401); // the handler's own check
    expect((await forgedCookie.json()).code).toBe('AUTHENTICATION_REQUIRED');
    const malformed = await fetch(`${url}/certificates/${certificateNumber}/download?format=pem`, { headers: { cookie } });
    expect(await malformed.json()).toMatchObject({ status: 400, code: 'FORM_INVALID', field: 'format' });
    const root = (await listRootKeys(opened.ca))[0].publicKey;
    const verified = JSON.parse(execFileSync('npx', ['tqca', 'cert', 'verify', '--root', root, `@${file}`], { encoding: 'utf8' }));
    expect(verified.valid).toBe(true);
    // The same check refuses the file with one bit of the root signature flipped.
    bytes[105] ^= 1;
    writeFileSync(file, bytes);
    const tampered = spawnSync('npx', ['tqca', 'cert', 'verify', '--root', root, `@${file}`], { encoding: 'utf8' });
    expect(tampered.status).toBe(1);
    expect(JSON.parse(tampered.stdout).valid).toBe(false);
  });

  it('revokes only after the typed confirmation matches the number', async () => {
    const path = `/certificates/${certificateNumber}`;
    const number = BigInt(`0x${certificateNumber}`);
    const fill = (typed: string) => async () => {
      await bob.page.selectOption('#revoke-reason', 'superseded');
      await bob.page.fill('#revoke-confirmation', typed);
    };
    expect(await act(bob, path, 'revoke', fill('00000000'))).toBe('CONFIRMATION_MISMATCH');
    expect(await bob.page.getAttribute('#revoke-confirmation', 'aria-invalid')).toBe('true');
    expect((await opened.ca.prisma.certificate.findUniqueOrThrow({ where: { number } })).status).toBe('ACTIVE');
    expect(await act(bob, path, 'revoke', fill(certificateNumber.toLowerCase()))).toBe('done');
    await expect.poll(() => bob.page.getAttribute('[data-testid="certificate-facts"] dd[data-status]', 'data-status')).toBe('REVOKED');
    const stored = await opened.ca.prisma.certificate.findUniqueOrThrow({ where: { number } });
    expect(stored).toMatchObject({ status: 'REVOKED', revocationReason: 'SUPERSEDED', revokedById: bob.operator.id });
  });

  it('shows everyone whether the CA can sign', async () => {
    await visit(alice, '/signing');
    expect(await alice.page.getAttribute('[data-testid="can-sign"]', 'data-can-sign')).toBe('true');
    expect(await alice.page.locator('[data-testid="no-quorum"]').count()).toBe(1); // the evaluation profile: a PIN, no shares
    await checkPages(alice, 'signing');
    await visit(alice, '/requests');
    await checkPages(alice, 'requests');
  });

  it('logged no console error on any officer page', () => {
    expect([...alice.browser.errors, ...bob.browser.errors]).toEqual([]);
  });
});

function decodeHtml(text: string): string {
  return text.replace(/&quot;/g, '"').replace(/&#x27;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}
