/**
 * The whole product as its three kinds of users meet it, on one console of its own (a fresh first
 * run: startConsole), in Chromium and with the real `npx tqca` clients against the console's HTTP
 * API and its database, as one unbroken story:
 *
 *   administrator (zh-CN): first sign-in → forced password change → TOTP → the bootstrap set
 *     (a second administrator, officers A and B, an auditor) created and sealed → an issuer and an
 *     acquirer registered, their API tokens created (the secret read off the page once);
 *   officers (English): enrol → root-key ceremony (A requests, B approves, activation likewise) →
 *     `tqca issuer keygen` + `request` over the API → A reviews with the fingerprint the CLI
 *     printed, B approves and issues → `tqca issuer fetch --wait` (waiting since before the
 *     review) verifies it → `tqca tms pull` installs a bundle listing it, /distribution shows the
 *     acquirer current → B revokes (typed confirmation), which publishes the next version →
 *     `tqca tms pull` installs its A4 → /distribution times the propagation → the audit key
 *     (officers, CLI), a witness key registered (administrator, CLI) with a WITNESS token made in
 *     the browser, `tqca log witness` cosigns the latest checkpoint over the API;
 *   auditor (English): sees the cosignature on /audit/checkpoints, downloads the export, which
 *     `npx tqca log verify` accepts, and is offered no action anywhere.
 *
 * Every page visited is checked with axe-core, kept as a screenshot (journey-<page>.<lang>) and
 * must leave no console error. /bundles, /distribution and /audit are addressed only by their
 * routes and data-testid attributes (CONTRACT.md), never by visible text.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTqca, type TqcaRun } from '../../lib/cli/testSupport';
import { operatorScreens, tokenSecretPart, type SignedInOperator } from './administration';
import { screenshot, seriousViolations } from './chromium';
import { officerForms } from './officerForms';
import { startConsole, type Console } from './server';

const ROOT_INDEX = '81';
const WITNESS_NAME = 'auditor.example/w1';

let server: Console;
let screens: ReturnType<typeof operatorScreens>;
let forms: ReturnType<typeof officerForms>;
const dir = mkdtempSync(join(tmpdir(), 'tqca-journey-'));
const oneTimePasswords = new Map<string, string>();
let admin: SignedInOperator;
let officerA: SignedInOperator;
let officerB: SignedInOperator;
let auditor: SignedInOperator;
/** What the story carries from step to step. */
const story = {
  issuer: { id: 0, code: '' },
  acquirer: { id: 0, code: '' },
  issuerToken: join(dir, 'issuer.token'),
  acquirerToken: join(dir, 'acquirer.token'),
  witnessToken: join(dir, 'witness.token'),
  tmsState: join(dir, 'tms'),
  rootCheck: '',
  requestId: 0,
  fingerprint: '',
  /** The certificate number, 8 lower-case hex digits (the contract's form). */
  certificate: '',
  fetching: undefined as Promise<TqcaRun> | undefined,
  issuedVersion: 0,
  revokedVersion: 0,
  auditKey: '',
  witnessVkey: '',
  cosignedSize: 0,
};

/** `npx tqca …` as a child process; with an operator, against the console's database as that operator. */
function tqca(args: string[], operator?: SignedInOperator): Promise<TqcaRun> {
  const env = operator ? { ...server.caEnv, TQCA_OPERATOR: operator.username, TQCA_PASSWORD: operator.password } : {};
  return runTqca(['--json', ...args], { via: 'npx', env });
}

async function succeeded(run: Promise<TqcaRun>) {
  const done = await run;
  expect(done.exitCode, `${done.stdout}\n${done.stderr}`).toBe(0);
  return done.json;
}

/** The page as the operator sees it: in their language, no serious axe violation, no console error, kept as a screenshot. */
async function look(o: SignedInOperator, name: string, language: 'zh-CN' | 'en') {
  const page = o.browser!.page;
  expect(await page.getAttribute('html', 'lang'), name).toBe(language);
  await page.waitForFunction(() => document.title !== '');
  expect(await seriousViolations(page), name).toEqual([]);
  await screenshot(page, `journey-${name}.${language}`);
  expect(o.browser!.errors, name).toEqual([]);
}

async function speak(o: SignedInOperator, language: 'zh-CN' | 'en') {
  const page = o.browser!.page;
  if ((await page.getAttribute('html', 'lang')) === language) return;
  await page.click(`button[name="locale"][value="${language}"]`);
  await page.waitForFunction((l) => document.documentElement.lang === l, language);
}

function writeToken(file: string, secret: string | undefined) {
  expect(secret).toMatch(/^tqt_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
}

const pull = () => succeeded(tqca(['tms', 'pull', '--server', server.url, '--token-file', story.acquirerToken, '--state', story.tmsState, ...(existsSync(story.tmsState) ? [] : ['--root-check', story.rootCheck])]));

beforeAll(async () => {
  server = await startConsole();
  screens = operatorScreens(server.url);
  forms = officerForms(server.url);
});

afterAll(async () => {
  for (const b of screens?.browsers ?? []) await b.close();
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('the whole journey: administrator, officers, issuer, acquirer, witness and auditor on one console', () => {
  it('the first administrator signs in with the printed one-time password, replaces it and enrols TOTP (zh-CN)', async () => {
    admin = await screens.onboard(server.firstAdmin.username, server.firstAdmin.password);
    expect(existsSync(server.firstRunFile)).toBe(false); // the one-time password's file goes with it
    const page = admin.browser!.page;
    await page.waitForSelector('[data-testid="hsm-health"]');
    await look(admin, 'dashboard', 'zh-CN');
  });

  it('creates the bootstrap set (a second administrator, two officers, an auditor) and seals it', async () => {
    const page = await screens.open(admin, '/operators');
    expect(await page.getAttribute('[data-testid="seal-state"]', 'data-sealed')).toBe('false');
    for (const [username, name, role] of [
      ['admin2', '第二管理员', 'ADMIN'],
      ['officer-a', '业务员甲', 'OFFICER'],
      ['officer-b', '业务员乙', 'OFFICER'],
      ['auditor', '审计员', 'AUDITOR'],
    ] as const) {
      const created = await screens.createOperator(page, admin, username, name, role);
      expect(created, username).toMatchObject({ notice: 'applied' });
      oneTimePasswords.set(username, created.secret!);
    }
    expect(await screens.submit(page, admin, '#seal')).not.toHaveProperty('error');
    await page.waitForSelector('[data-testid="seal-state"][data-sealed="true"]');
    await look(admin, 'operators', 'zh-CN');
  });

  it('the officers sign in, replace their one-time passwords and enrol (English)', async () => {
    officerA = await screens.onboard('officer-a', oneTimePasswords.get('officer-a')!);
    officerB = await screens.onboard('officer-b', oneTimePasswords.get('officer-b')!);
    for (const o of [officerA, officerB]) {
      await speak(o, 'en');
      await look(o, `dashboard-${o.username}`, 'en');
    }
  });

  it('root-key ceremony: A requests, B approves and the HSM generates the key; A requests activation, B approves', async () => {
    const expiry = new Date(Date.now() + 5 * 365 * 86_400_000).toISOString().slice(0, 10);
    const requested = await forms.act(officerA, '/root-keys', 'new-root-key', async () => {
      const page = officerA.browser!.page;
      await page.fill('#new-root-key-index', ROOT_INDEX);
      await page.selectOption('#new-root-key-environment', 'TEST');
      await page.fill('#new-root-key-expiry', expiry);
    });
    expect(requested).toBe('done');
    const approveForm = async () => {
      const page = await forms.visit(officerB, '/root-keys');
      return (await page.locator('form[data-form^="approve-"]').getAttribute('data-form'))!;
    };
    const approveCreate = await approveForm();
    await look(officerB, 'root-keys-pending', 'en');
    expect(await forms.act(officerB, '/root-keys', approveCreate)).toBe('done');
    const key = officerB.browser!.page.locator(`[data-testid="root-keys"] [data-index="${ROOT_INDEX}"]`);
    await key.waitFor();
    expect(await key.getAttribute('data-state')).toBe('PENDING');
    // The check value the acquirer's TMS is told out of band, for its first pull.
    story.rootCheck = (await key.locator('[data-testid="check-value"]').textContent())!.trim();
    expect(story.rootCheck).toMatch(/^[0-9a-fA-F]{64}$/);

    expect(await forms.act(officerA, '/root-keys', `activate-${ROOT_INDEX}`)).toBe('done');
    const approveActivation = await approveForm();
    expect(approveActivation).not.toBe(approveCreate);
    expect(await forms.act(officerB, '/root-keys', approveActivation)).toBe('done');
    await expect.poll(() => officerB.browser!.page.getAttribute(`[data-testid="root-keys"] [data-index="${ROOT_INDEX}"]`, 'data-state'), { timeout: 30_000 }).toBe('ACTIVE');
    await look(officerB, 'root-keys', 'en');
  });

  it('the administrator registers an issuer and an acquirer and creates their API tokens, each secret shown once', async () => {
    const register = async (kind: 'ISSUER' | 'ACQUIRER', nameZh: string, nameEn: string, contact: string) => {
      const id = await screens.registerInstitution(admin, kind, nameZh, nameEn, contact);
      const code = (await admin.browser!.page.textContent('[data-testid="institution-code"]'))!.trim().toLowerCase();
      expect(code).toMatch(/^[0-9a-f]{8}$/);
      return { id, code };
    };
    story.issuer = await register('ISSUER', '旅程城市一卡通', 'Journey City Card', '王五');
    await look(admin, 'institution', 'zh-CN');
    story.acquirer = await register('ACQUIRER', '旅程公交集团', 'Journey Transit Group', '赵六');

    const page = await screens.open(admin, '/api-tokens');
    const issuerToken = await screens.createToken(page, admin, story.issuer.id, 'ISSUER', '发卡系统');
    expect(issuerToken).toMatchObject({ notice: 'tokenCreated' });
    writeToken(story.issuerToken, issuerToken.secret);
    await page.reload();
    const acquirerToken = await screens.createToken(page, admin, story.acquirer.id, 'ACQUIRER', 'TMS 生产');
    expect(acquirerToken).toMatchObject({ notice: 'tokenCreated' });
    writeToken(story.acquirerToken, acquirerToken.secret);
    await page.reload();
    for (const secret of [issuerToken.secret!, acquirerToken.secret!]) expect(await page.content()).not.toContain(tokenSecretPart(secret));
    await look(admin, 'api-tokens', 'zh-CN');
  });

  it('the issuer makes a key and submits its request over the API with `tqca issuer keygen` and `request`', async () => {
    const keyFile = join(dir, 'issuer-key.json');
    const key = await succeeded(tqca(['issuer', 'keygen', '--out', keyFile]));
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    const expiry = new Date(Date.now() + 365 * 86_400_000);
    const mmyy = `${String(expiry.getUTCMonth() + 1).padStart(2, '0')}${String(expiry.getUTCFullYear() % 100).padStart(2, '0')}`;
    const submitted = await succeeded(tqca(['issuer', 'request', '--server', server.url, '--token-file', story.issuerToken, '--key', keyFile, '--serial', '1', '--expiry', mmyy]));
    expect(submitted).toMatchObject({ state: 'submitted', fingerprint: key.fingerprint });
    story.requestId = submitted.request;
    story.fingerprint = submitted.fingerprint;
    // The issuer waits for the certificate from now on, as its operator would after reading out the fingerprint.
    story.fetching = tqca(['issuer', 'fetch', '--server', server.url, '--token-file', story.issuerToken, '--root-check', story.rootCheck, '--request', String(story.requestId), '--out', join(dir, 'certificate.bin'), '--wait', '--poll-seconds', '2', '--timeout-seconds', '600']);
  });

  it('officer A reviews with the fingerprint heard out of band; officer B approves and the certificate is issued', async () => {
    const path = `/requests/${story.requestId}`;
    const page = await forms.visit(officerA, '/requests?state=SUBMITTED');
    expect(await page.locator(`[data-request="${story.requestId}"]`).count()).toBe(1);
    await look(officerA, 'requests', 'en');
    await forms.visit(officerA, path);
    expect((await page.textContent('[data-testid="fingerprint"]'))!.trim()).toBe(story.fingerprint);
    await look(officerA, 'request-submitted', 'en');
    expect(await forms.act(officerA, path, 'review', () => page.fill('#review-fingerprint', story.fingerprint))).toBe('done');
    await page.waitForSelector('[data-testid="awaiting-second"]');
    expect(await page.locator('form[data-form="approve"]').count()).toBe(0); // the reviewer does not approve

    const pageB = officerB.browser!.page;
    expect(await forms.act(officerB, path, 'approve', async () => void (await pageB.selectOption('#approve-rootKeyIndex', ROOT_INDEX)))).toBe('done');
    await pageB.waitForSelector('[data-testid="certificate-link"]');
    story.certificate = (await pageB.textContent('[data-testid="certificate-link"]'))!.trim().toLowerCase();
    expect(story.certificate).toMatch(/^[0-9a-f]{8}$/);
    expect(await pageB.getAttribute('[data-testid="request-status"] dd[data-state]', 'data-state')).toBe('ISSUED');
    await look(officerB, 'request-issued', 'en');
  });

  it('`tqca issuer fetch --wait` gets the certificate, verified under the root before it is written', async () => {
    const fetched = await succeeded(story.fetching!);
    expect(fetched).toMatchObject({ request: story.requestId, rootKeyIndex: ROOT_INDEX });
    expect(fetched.number.toLowerCase()).toBe(story.certificate);
    expect(readFileSync(join(dir, 'certificate.bin'))).toHaveLength(106);
  });

  it('`tqca tms pull` installs a bundle listing the certificate, trusting the root by its check value', async () => {
    const installed = await pull();
    expect(installed).toMatchObject({ outcome: 'installed', installed: { signedBy: ROOT_INDEX, acknowledged: true } });
    story.issuedVersion = installed.installed.version;
    const status = await succeeded(tqca(['tms', 'status', '--state', story.tmsState]));
    expect(status.installed.certificateNumbers.map((n: string) => n.toLowerCase())).toContain(story.certificate);
  });

  it('/distribution shows the acquirer current at that version', async () => {
    const page = await forms.visit(officerA, '/distribution');
    const row = page.locator(`[data-testid="acquirer-row"][data-institution="${story.acquirer.code}"]`);
    expect(await row.getAttribute('data-status')).toBe('current');
    expect(await row.getAttribute('data-acknowledged-version')).toBe(String(story.issuedVersion));
    await look(officerA, 'distribution', 'en');
  });

  it('officer B revokes the certificate after the typed confirmation; the revocation publishes the next version', async () => {
    const path = `/certificates/${story.certificate.toUpperCase()}`;
    const page = await forms.visit(officerB, path);
    await look(officerB, 'certificate', 'en');
    const fill = (typed: string) => async () => {
      await page.selectOption('#revoke-reason', 'keyCompromise');
      await page.fill('#revoke-confirmation', typed);
    };
    expect(await forms.act(officerB, path, 'revoke', fill('00000000'))).toBe('CONFIRMATION_MISMATCH');
    expect(await forms.act(officerB, path, 'revoke', fill(story.certificate))).toBe('done');
    await expect.poll(() => page.getAttribute('[data-testid="certificate-facts"] dd[data-status]', 'data-status'), { timeout: 30_000 }).toBe('REVOKED');

    const installed = await pull();
    expect(installed.outcome).toBe('installed');
    story.revokedVersion = installed.installed.version;
    expect(story.revokedVersion).toBeGreaterThan(story.issuedVersion);
    const status = await succeeded(tqca(['tms', 'status', '--state', story.tmsState]));
    expect(status.installed.revokedNumbers.map((n: string) => n.toLowerCase())).toEqual([story.certificate]);
    expect(status.installed.certificateNumbers.map((n: string) => n.toLowerCase())).not.toContain(story.certificate);
  });

  it('/bundles lists the new version, whose detail names the revocation', async () => {
    const page = await forms.visit(officerB, '/bundles');
    expect(await page.getAttribute('[data-testid="bundle-row"]', 'data-version')).toBe(String(story.revokedVersion)); // newest first
    await look(officerB, 'bundles', 'en');
    await forms.visit(officerB, `/bundles/${story.revokedVersion}`);
    expect(await page.locator(`[data-testid="bundle-change"][data-kind="revocation-added"][data-subject="${story.certificate}"]`).count()).toBe(1);
    await look(officerB, 'bundle', 'en');
  });

  it('/distribution times the revocation’s propagation once the acquirer acknowledged it', async () => {
    const page = await forms.visit(officerA, '/distribution');
    expect(await page.getAttribute(`[data-testid="acquirer-row"][data-institution="${story.acquirer.code}"]`, 'data-acknowledged-version')).toBe(String(story.revokedVersion));
    expect(await page.getAttribute(`[data-testid="propagation-row"][data-certificate="${story.certificate}"]`, 'data-seconds')).toMatch(/^\d+$/);
    await forms.visit(officerA, `/distribution?version=${story.revokedVersion}`);
    expect(await page.locator('[data-testid="unacknowledged-acquirer"]').count()).toBe(0);
    await look(officerA, 'distribution-propagated', 'en');
  });

  it('a witness key is registered and `tqca log witness` cosigns the latest checkpoint over the API', async () => {
    // The log's audit key, by two officers (its ceremony is the CLI's).
    const ceremony = (await succeeded(tqca(['log', 'audit-key-request', '--origin', 'tqca.journey/audit'], officerA))).ceremony;
    story.auditKey = (await succeeded(tqca(['log', 'audit-key-approve', String(ceremony.id)], officerB))).auditKey.publicKey;

    const keyFile = join(dir, 'witness.key');
    story.witnessVkey = (await succeeded(tqca(['log', 'witness-keygen', '--out', keyFile, '--name', WITNESS_NAME]))).vkey;
    await succeeded(tqca(['log', 'witness-register', '--kind', 'acquirer', '--code', story.acquirer.code, story.witnessVkey], admin));
    const page = await screens.open(admin, '/api-tokens');
    expect(await page.textContent('#scope option[value="WITNESS"]')).toBe('见证'); // once the raw message key
    const witnessToken = await screens.createToken(page, admin, story.acquirer.id, 'WITNESS', '见证');
    expect(witnessToken).toMatchObject({ notice: 'tokenCreated' });
    writeToken(story.witnessToken, witnessToken.secret);

    await succeeded(tqca(['log', 'checkpoint'], officerA));
    const cosigned = await succeeded(tqca(['log', 'witness', '--key', keyFile, '--state', join(dir, 'witness-state'), '--audit-key', story.auditKey, '--server', server.url, '--token-file', story.witnessToken]));
    expect(cosigned).toMatchObject({ previousSize: 0, stored: [WITNESS_NAME] });
    story.cosignedSize = cosigned.size;
    expect(story.cosignedSize).toBeGreaterThan(0);
  });

  it('the auditor signs in and enrols, and sees the witness’s cosignature on /audit/checkpoints (English)', async () => {
    auditor = await screens.onboard('auditor', oneTimePasswords.get('auditor')!);
    await speak(auditor, 'en');
    const page = await forms.visit(auditor, '/audit/checkpoints');
    const row = page.locator(`[data-testid="checkpoint-row"][data-size="${story.cosignedSize}"]`);
    expect(await row.locator(`[data-testid="cosignature"][data-witness="${WITNESS_NAME}"]`).count()).toBe(1);
    await look(auditor, 'audit-checkpoints', 'en');
  });

  it('the auditor exports the log from the console as a download, which `npx tqca log verify` accepts', async () => {
    const page = await forms.visit(auditor, `/audit?action=certificate.issued`);
    expect(await page.locator('[data-testid="audit-entry"][data-action="certificate.issued"]').count()).toBe(1);
    await look(auditor, 'audit', 'en');
    await page.selectOption('[data-testid="audit-export-format"]', 'jsonl');
    const downloading = page.waitForEvent('download');
    await page.click('[data-testid="audit-export"]');
    const file = join(dir, 'audit-log.jsonl');
    await (await downloading).saveAs(file);
    const verified = await succeeded(tqca(['log', 'verify', '--audit-key', story.auditKey, '--witness', story.witnessVkey, file]));
    expect(verified.valid).toBe(true);
    expect(verified.entries).toBeGreaterThanOrEqual(story.cosignedSize);
  });

  it('an unknown address answers the console’s own not-found page, which the CSP lets render', async () => {
    const errors = auditor.browser!.errors;
    const before = errors.length;
    const page = await forms.visit(auditor, '/no-such-page');
    expect(await page.locator('main [data-testid="not-found"]').count()).toBe(1);
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, 'journey-not-found.en');
    // Chromium reports the document's 404 itself; nothing else (Next's built-in page broke the CSP with inline styles).
    expect(errors.splice(before)).toEqual([expect.stringMatching(/the server responded with a status of 404 \(Not Found\) \(http:\/\/127\.0\.0\.1:\d+\/no-such-page\)$/)]);
  });

  it('the auditor reads every page of the journey and is offered no action on any', async () => {
    const pages = ['/root-keys', `/requests/${story.requestId}`, `/certificates/${story.certificate.toUpperCase()}`, `/institutions/${story.acquirer.id}`, '/api-tokens', '/bundles', `/bundles/${story.revokedVersion}`, '/distribution'];
    for (const path of pages) {
      const page = await forms.visit(auditor, path);
      expect(await page.locator('main [data-error-code]').count(), path).toBe(0);
      // The officers' and administrators' actions are posted forms (server actions); searches and filters are GETs.
      expect(await page.locator('main form[method="POST" i], main [data-form]').count(), path).toBe(0);
    }
    await look(auditor, 'distribution-auditor', 'en');
    // The same check finds the officer's actions: it can fail.
    const officerPage = await forms.visit(officerB, '/root-keys');
    expect(await officerPage.locator('main form[method="POST" i], main [data-form]').count()).toBeGreaterThan(0);
  });

  it('left no console error in any user’s browser', () => {
    for (const b of screens.browsers) expect(b.errors).toEqual([]);
  });
});
