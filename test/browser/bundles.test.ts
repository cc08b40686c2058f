/**
 * The bundles pages and the root keys' rollover timeline in Chromium, on a console of their own
 * (startConsole): a CA seeded through its services in this process — root key 90 active, two
 * certificates issued, one revoked, key 91 announced, each change published — then an auditor
 * reads the versions table, a version's change list, downloads a version (the bytes the API
 * serves, which `tqca bundle verify` accepts) and sees the rollover timeline flag key 91 once its
 * planned activation comes sooner than the lead after its first distribution. axe-core and
 * screenshots in both languages; no console errors.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Secret, TOTP } from 'otpauth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uintToBytes } from '../../lib/bytes';
import { createInstitution } from '../../lib/ca/institutions';
import { sealGovernance } from '../../lib/ca/governance';
import { revokeCertificate } from '../../lib/ca/certificates';
import { approveCeremony, listRootKeys, requestRootKeyChange, requestRootKeyCreation } from '../../lib/ca/rootKeys';
import { unwrap } from '../../lib/errors';
import { bundleByVersion, publish } from '../../lib/publication';
import { openCa, type OpenCa } from '../../lib/runtime/openCa';
import { activeRootKey, issuedCertificate, type CaUnderTest } from '../e2e/harness';
import { bootstrapOperator } from '../support/operators';
import { checkInBothLanguages, launch, screenshot, type Browser } from './chromium';
import { startConsole, type Console } from './server';

const PASSWORD = 'correct horse battery staple';
const ISSUER_ID = 0x00003001;
let own: Console;
let url = '';
let opened: OpenCa;
let browser: Browser;
let recovery: string[] = [];
let revoked = '';
let revocationVersion = 0;
let announceVersion = 0;
const workDir = mkdtempSync(join(tmpdir(), 'tqca-bundles-'));

const versions = () => opened.ca.prisma.publishedBundle.count();

/** Publishes what the change left unpublished (the CA's own hook may have done it already); the version that lists it. */
async function published(): Promise<number> {
  unwrap(await publish(opened.ca, 'operator'));
  return versions();
}

async function signIn(code: string) {
  await browser.page.goto(`${url}/sign-in`);
  await browser.page.fill('#username', 'audrey');
  await browser.page.fill('#password', PASSWORD);
  await browser.page.fill('#code', code);
  const answered = browser.page.waitForResponse((r) => r.url().includes('/api/auth/callback/credentials'));
  await browser.page.click('button[type="submit"]');
  await answered;
}

/** Opens `path`; a session ended by the server's 20 s idle limit is renewed with a recovery code. */
async function visit(path: string) {
  await browser.page.goto(`${url}${path}`);
  if (new URL(browser.page.url()).pathname === '/sign-in') {
    await signIn(recovery.shift()!);
    await browser.page.waitForURL((u) => u.pathname !== '/sign-in');
    await browser.page.goto(`${url}${path}`);
  }
  expect(new URL(browser.page.url()).pathname).toBe(path.split('?')[0]);
}

const checkPage = async (name: string) => expect(await checkInBothLanguages(browser.page, `bundles-${name}`), name).toEqual({ 'zh-CN': [], en: [] });

beforeAll(async () => {
  own = await startConsole();
  url = own.url;
  opened = unwrap(await openCa({ ...process.env, ...own.caEnv }));
  const { ca } = opened;
  const admin = await ca.prisma.operator.findUniqueOrThrow({ where: { username: 'admin' }, select: { id: true, username: true, displayName: true, roles: true } });
  await bootstrapOperator(ca, admin, 'admin2', 'ADMIN', PASSWORD);
  const alice = await bootstrapOperator(ca, admin, 'alice', 'OFFICER', PASSWORD);
  const bob = await bootstrapOperator(ca, admin, 'bob', 'OFFICER', PASSWORD);
  await bootstrapOperator(ca, admin, 'audrey', 'AUDITOR', PASSWORD);
  unwrap(await sealGovernance(ca, admin));
  unwrap(await createInstitution(ca, admin, { kind: 'ISSUER', code: uintToBytes(ISSUER_ID, 4), nameZh: '发布包测试发卡机构' }));
  const under: CaUnderTest = { ca, admin, alice, bob, issuerId: ISSUER_ID };
  await activeRootKey(under, 0x90);
  const first = await issuedCertificate(under, 1, { year: 2028, month: 6 }, 0x90);
  await issuedCertificate(under, 2, { year: 2028, month: 7 }, 0x90);
  await published();
  unwrap(await revokeCertificate(ca, alice, Number.parseInt(first.number, 16), 'keyCompromise'));
  revoked = first.number.toLowerCase();
  revocationVersion = await published();
  const create = unwrap(await requestRootKeyCreation(ca, alice, { index: 0x91, environment: 'TEST', expiry: { year: 2032, month: 12, day: 31 } }));
  unwrap(await approveCeremony(ca, bob, create.id));
  unwrap(await approveCeremony(ca, bob, unwrap(await requestRootKeyChange(ca, alice, 'ANNOUNCE', 0x91)).id));
  announceVersion = await published();
  browser = await launch();
}, 600_000);

afterAll(async () => {
  await browser?.close();
  await opened?.close();
  await own?.stop();
  rmSync(workDir, { recursive: true, force: true });
});

describe('the bundles pages in Chromium', () => {
  it('an auditor signs in and enrols a second factor', async () => {
    await signIn('');
    await browser.page.waitForURL(`${url}/account/second-factor`);
    const secret = (await browser.page.textContent('[data-testid="totp-secret"]'))!.trim();
    await browser.page.fill('#code', new TOTP({ secret: Secret.fromBase32(secret), digits: 6, period: 30, algorithm: 'SHA1' }).generate());
    await browser.page.click('button[type="submit"]');
    await browser.page.waitForSelector('[data-testid="recovery-codes"]');
    recovery = await browser.page.locator('[data-testid="recovery-codes"] li').allTextContents();
    expect(recovery).toHaveLength(10);
  });

  it('lists the published versions newest first, with the current version in date', async () => {
    await visit('/bundles');
    const shown = await browser.page.locator('[data-testid="bundle-row"]').evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-version'))));
    const total = await versions();
    expect(shown).toEqual(Array.from({ length: total }, (_, i) => total - i));
    expect(announceVersion).toBeGreaterThan(revocationVersion);
    expect(await browser.page.getAttribute('[data-testid="bundle-expiry"]', 'data-tier')).toBe('current');
    await checkPage('list');
  });

  it("shows a version's changes against its predecessor", async () => {
    const changes = async (version: number) => {
      await visit(`/bundles/${version}`);
      return browser.page.locator('[data-testid="bundle-change"]').evaluateAll((items) => items.map((i) => [i.getAttribute('data-kind'), i.getAttribute('data-subject')]));
    };
    expect(await changes(revocationVersion)).toEqual([
      ['certificate-removed', revoked],
      ['revocation-added', revoked],
    ]);
    expect(await changes(announceVersion)).toEqual([['root-added', '91']]);
    await checkPage('version');
  });

  it('downloads a version: the bytes the API serves, which tqca bundle verify accepts', async () => {
    await visit(`/bundles/${announceVersion}`);
    const downloading = browser.page.waitForEvent('download');
    await browser.page.click('[data-testid="bundle-download"]');
    const file = join(workDir, 'bundle.bin');
    await (await downloading).saveAs(file);
    const bytes = readFileSync(file);
    expect(Buffer.compare(bytes, Buffer.from(unwrap(await bundleByVersion(opened.ca, announceVersion))))).toBe(0);
    const crossSite = await fetch(`${url}/bundles/${announceVersion}/download`, {
      headers: { cookie: (await browser.context.cookies(url)).map((c) => `${c.name}=${c.value}`).join('; '), 'sec-fetch-site': 'cross-site' },
    });
    expect((await crossSite.json()).code).toBe('CROSS_SITE_REQUEST');
    const roots = (await listRootKeys(opened.ca)).flatMap((k) => ['--root', k.publicKey]);
    const verified = JSON.parse(execFileSync('npx', ['tqca', 'bundle', 'verify', ...roots, `@${file}`], { encoding: 'utf8' }));
    expect(verified.valid).toBe(true);
  });

  it('draws the rollover timeline and flags an activation planned sooner than the lead after distribution', async () => {
    const timeline = async () => {
      await visit('/root-keys');
      return browser.page
        .locator('[data-testid="rollover-timeline"] [data-testid="rollover-key"]')
        .evaluateAll((rows) => rows.map((r) => [r.getAttribute('data-index'), r.getAttribute('data-state'), r.getAttribute('data-lead-short')]));
    };
    // Announced and first published the same day: the CA's earliest activation meets the lead.
    expect(await timeline()).toEqual([
      ['90', 'ACTIVE', 'false'],
      ['91', 'ANNOUNCED', 'false'],
    ]);
    await checkPage('root-keys');
    // Announced 60 days before its first distribution: the CA would allow activation 60 days early.
    await opened.ca.prisma.rootKey.update({ where: { index: 0x91 }, data: { announcedAt: new Date(Date.now() - 60 * 86_400_000) } });
    expect(await timeline()).toEqual([
      ['90', 'ACTIVE', 'false'],
      ['91', 'ANNOUNCED', 'true'],
    ]);
    expect(await browser.page.locator('[data-testid="lead-short"]').count()).toBe(1);
    await screenshot(browser.page, 'bundles-root-keys-lead-short.en');
    expect(browser.errors).toEqual([]);
  });
});
