/**
 * The audit log screens in Chromium against a console of their own (startConsole), seeded through
 * the services and the real `tqca` beside the server: operators, the audit key made by two
 * officers, a checkpoint, a witness key registered with `tqca log witness-register` that cosigns
 * with `tqca log witness` over the console's API. An auditor filters the entries, opens one whose
 * inclusion proof the server verified, sees the checkpoint with the witness's cosignature, and
 * downloads the JSON Lines export through the browser, which `npx tqca log verify` accepts.
 * axe-core on every page in both languages; no console errors; screenshots kept.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Secret, TOTP } from 'otpauth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toHex } from '../../lib/bytes';
import { createApiToken } from '../../lib/ca/apiTokens';
import { approveAuditKey, getAuditKey, requestAuditKey, signLogCheckpoint } from '../../lib/ca/auditLog';
import { sealGovernance } from '../../lib/ca/governance';
import { createInstitution } from '../../lib/ca/institutions';
import { unwrap } from '../../lib/errors';
import { runTqca } from '../../lib/cli/testSupport';
import { openCa, type OpenCa } from '../../lib/runtime/openCa';
import { bootstrapOperator } from '../support/operators';
import { launch, screenshot, seriousViolations, type Browser } from './chromium';
import { startConsole, type Console } from './server';

const PASSWORD = 'correct horse battery staple';
const WITNESS = 'auditor.example/w1';
const workDir = mkdtempSync(join(tmpdir(), 'tqca-auditlog-'));

let ownConsole: Console;
let url = '';
let opened: OpenCa;
let browser: Browser;
let auditKeyHex = '';
let checkpointSize = 0;

const tqca = async (args: string[], operator?: string) => {
  const run = await runTqca(['--json', ...args], { env: { ...ownConsole.caEnv, ...(operator ? { TQCA_OPERATOR: operator, TQCA_PASSWORD: PASSWORD } : {}) } });
  expect(run.json?.error, `tqca ${args.join(' ')}: ${run.stderr}`).toBeUndefined();
  expect(run.exitCode).toBe(0);
  return run.json;
};

async function checkPage(name: string) {
  for (const locale of ['zh-CN', 'en'] as const) {
    const page = browser.page;
    if ((await page.getAttribute('html', 'lang')) !== locale) {
      await page.click(`button[name="locale"][value="${locale}"]`);
      await page.waitForFunction((l) => document.documentElement.lang === l, locale);
    }
    await page.waitForFunction(() => document.title !== '');
    expect(await seriousViolations(page), `${name} (${locale})`).toEqual([]);
    await screenshot(page, `audit-${name}.${locale}`);
  }
}

async function visit(path: string) {
  await browser.page.goto(`${url}${path}`);
  expect(new URL(browser.page.url()).pathname).toBe(path.split('?')[0]);
}

beforeAll(async () => {
  ownConsole = await startConsole();
  url = ownConsole.url;
  opened = unwrap(await openCa({ ...process.env, ...ownConsole.caEnv }));
  const { ca } = opened;
  const admin = await ca.prisma.operator.findUniqueOrThrow({ where: { username: 'admin' }, select: { id: true, username: true, displayName: true, roles: true } });
  const admin2 = await bootstrapOperator(ca, admin, 'admin2', 'ADMIN', PASSWORD);
  const alice = await bootstrapOperator(ca, admin, 'alice', 'OFFICER', PASSWORD);
  const bob = await bootstrapOperator(ca, admin, 'bob', 'OFFICER', PASSWORD);
  await bootstrapOperator(ca, admin, 'carol', 'AUDITOR', PASSWORD);
  unwrap(await sealGovernance(ca, admin));
  unwrap(await approveAuditKey(ca, bob, unwrap(await requestAuditKey(ca, alice, 'tqca.test/console-audit')).id));
  auditKeyHex = (await getAuditKey(ca))!.publicKey;
  unwrap(await signLogCheckpoint(ca, alice, 'operator'));

  // The witness: its key made and registered with tqca, its cosignature posted to the console's API with a WITNESS token.
  const institution = unwrap(await createInstitution(ca, admin2, { kind: 'PLATFORM', nameZh: '审计见证机构' }));
  const keyFile = join(workDir, 'witness.key');
  const vkey = (await tqca(['log', 'witness-keygen', '--out', keyFile, '--name', WITNESS])).vkey as string;
  await tqca(['log', 'witness-register', '--kind', 'platform', '--code', toHex(institution.code), vkey], 'admin2');
  const token = unwrap(await createApiToken(ca, admin2, { institutionId: institution.id, scope: 'WITNESS', label: 'witness', expiresAt: new Date(Date.now() + 86_400_000) }));
  const tokenFile = join(workDir, 'witness.token');
  writeFileSync(tokenFile, `${token.token}\n`, { mode: 0o600 });
  const cosigned = await tqca(['log', 'witness', '--server', url, '--token-file', tokenFile, '--key', keyFile, '--state', join(workDir, 'state'), '--audit-key', auditKeyHex]);
  expect(cosigned.stored).toEqual([WITNESS]);
  checkpointSize = cosigned.size as number;

  browser = await launch();
}, 600_000);

afterAll(async () => {
  await browser?.close();
  await opened?.close();
  await ownConsole?.stop();
  rmSync(workDir, { recursive: true, force: true });
});

describe('the audit log screens in Chromium', () => {
  it('an auditor signs in, enrols, and filters the entries by action and actor', async () => {
    const page = browser.page;
    await page.goto(`${url}/sign-in`);
    await page.fill('#username', 'carol');
    await page.fill('#password', PASSWORD);
    await page.click('button[type="submit"]');
    await page.waitForURL(`${url}/account/second-factor`);
    const secret = (await page.textContent('[data-testid="totp-secret"]'))!.trim();
    await page.fill('#code', new TOTP({ secret: Secret.fromBase32(secret), digits: 6, period: 30, algorithm: 'SHA1' }).generate());
    await page.click('button[type="submit"]');
    await page.waitForSelector('[data-testid="recovery-codes"]');

    await visit('/audit');
    expect(await page.getAttribute('[data-testid="log-verification"]', 'data-state')).toBe('verified');
    await checkPage('entries');
    await visit('/audit?action=log.checkpointSigned');
    const actions = await page.locator('[data-testid="audit-entry"]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-action')));
    expect(actions).toEqual(['log.checkpointSigned']);
    await visit('/audit?actor=bob&action=auditKey.');
    const bobs = await page.locator('[data-testid="audit-entry"]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-action')));
    expect(bobs).toEqual(['auditKey.created', 'auditKey.ceremony.approved']);
    await checkPage('filtered');
  });

  it('opens an entry whose inclusion proof against the latest checkpoint the server verified', async () => {
    await browser.page.click('[data-testid="audit-entry"][data-action="auditKey.created"] a');
    await browser.page.waitForSelector('[data-testid="inclusion-proof"]');
    expect(await browser.page.getAttribute('[data-testid="inclusion-proof"]', 'data-verified')).toBe('true');
    expect(await browser.page.textContent('[data-testid="proof-checkpoint"]')).toContain(`— ${WITNESS} `);
    await checkPage('entry');
  });

  it('lists the checkpoint with the witness’s cosignature', async () => {
    await visit('/audit/checkpoints');
    const row = browser.page.locator(`[data-testid="checkpoint-row"][data-size="${checkpointSize}"]`);
    expect(await row.locator('[data-testid="cosignature"]').evaluateAll((c) => c.map((e) => e.getAttribute('data-witness')))).toEqual([WITNESS]);
    await checkPage('checkpoints');
  });

  it('downloads the JSON Lines export with progress, and tqca log verify accepts it', async () => {
    const page = browser.page;
    await visit('/audit');
    await page.selectOption('[data-testid="audit-export-format"]', 'jsonl');
    const download = page.waitForEvent('download', { timeout: 120_000 });
    await page.click('[data-testid="audit-export"]');
    const file = join(workDir, 'export.jsonl');
    await (await download).saveAs(file);
    await page.waitForSelector('[data-testid="audit-export-progress"][data-done="true"]');
    await checkPage('exported');
    const verified = await runTqca(['--json', 'log', 'verify', '--audit-key', auditKeyHex, file], { via: 'npx' });
    expect(verified.exitCode, verified.stderr).toBe(0);
    const exported = await opened.ca.prisma.auditEvent.findFirstOrThrow({ where: { action: 'log.exported' } });
    expect(exported.actor).toBe('carol');
    expect(verified.json).toMatchObject({ valid: true, entries: (exported.details as { size: number }).size });
    expect(browser.errors).toEqual([]);
  });
});
