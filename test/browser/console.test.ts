/**
 * The console's foundation in a real browser against the production server (test/browser/server.ts):
 * the first-run journey (one-time password → forced change → TOTP enrolment → recovery codes →
 * dashboard), both languages with axe-core and screenshots, single-use codes, step-up, the CSP,
 * cross-site and unauthenticated refusals, the idle timeout and the lockout. The tests run in order
 * and share one browser, as one operator's day would.
 */
import { existsSync } from 'node:fs';
import { Secret, TOTP } from 'otpauth';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { SIGN_IN_ATTEMPTS } from '../../lib/ca/operators';
import { administrationTests, closeStaff, type SignedInOperator, type Staff } from './administration';
import { launch, screenshot, seriousViolations, type Browser } from './chromium';
import { refusalMatrixTests } from './refusalMatrix';

const url = inject('consoleUrl');
const admin = inject('firstAdmin');
const NEW_PASSWORD = 'correct horse battery staple';
/** How long a refusal may take to appear: the machine may be loaded (expect.poll's own default is 1 s). */
const ANSWERED = { timeout: 30_000 };

let browser: Browser;
let page: Page;
let secret = '';
let recovery: string[] = [];
let signInCode = '';

const totpAt = (offsetSteps = 0) =>
  new TOTP({ secret: Secret.fromBase32(secret), digits: 6, period: 30, algorithm: 'SHA1' }).generate({ timestamp: Date.now() + offsetSteps * 30_000 });

async function checkPage(name: string, locale: 'zh-CN' | 'en') {
  expect(await page.getAttribute('html', 'lang')).toBe(locale);
  expect(await seriousViolations(page), `${name} (${locale})`).toEqual([]);
  await screenshot(page, `${name}.${locale}`);
}

async function switchLanguage(to: 'zh-CN' | 'en') {
  await page.click(`button[name="locale"][value="${to}"]`);
  await page.waitForFunction((l) => document.documentElement.lang === l, to);
}

async function signIn(password: string, code?: string) {
  await page.fill('#username', admin.username);
  await page.fill('#password', password);
  await page.fill('#code', code ?? '');
  const answered = page.waitForResponse((r) => r.url().includes('/api/auth/callback/credentials'));
  await page.click('button[type="submit"]');
  await answered;
}

beforeAll(async () => {
  browser = await launch();
  page = browser.page;
});
const staff: Staff = { admins: [] };
afterAll(async () => {
  await closeStaff(staff);
  await browser?.close();
});

describe('the console in Chromium', () => {
  it('refuses every page without a session, sending the browser to sign-in', async () => {
    for (const path of ['/', '/account/password', '/account/second-factor', '/step-up']) {
      const response = await fetch(`${url}${path}`, { redirect: 'manual' });
      expect(response.status, path).toBe(307);
      expect(new URL(response.headers.get('location')!, url).pathname, path).toBe('/sign-in');
    }
  });

  it('sets a per-request nonce CSP, frame-ancestors none and no-referrer on every page', async () => {
    const [a, b] = await Promise.all([fetch(`${url}/sign-in`), fetch(`${url}/sign-in`)]);
    const csp = a.headers.get('content-security-policy')!;
    expect(csp).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9+/=]{24}' 'strict-dynamic'/);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp.match(/nonce-([^']+)/)![1]).not.toBe(b.headers.get('content-security-policy')!.match(/nonce-([^']+)/)![1]);
    const html = await a.text();
    const nonce = csp.match(/nonce-([^']+)/)![1];
    expect(html).toContain(`nonce="${nonce}"`);
    expect(a.headers.get('referrer-policy')).toBe('no-referrer');
    expect(a.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('first run: one-time password, forced change, TOTP enrolment with recovery codes, then the dashboard', async () => {
    await page.goto(url);
    await page.waitForURL(`${url}/sign-in`);
    await checkPage('sign-in', 'zh-CN');

    await signIn(admin.password);
    await page.waitForURL(`${url}/account/password`);
    // Before the change, nothing else opens.
    await page.goto(url);
    await page.waitForURL(`${url}/account/password`);
    await checkPage('password', 'zh-CN');
    await switchLanguage('en');
    await checkPage('password', 'en');
    await switchLanguage('zh-CN');

    await page.fill('#newPassword', 'too short');
    await page.fill('#currentPassword', admin.password);
    await page.fill('#confirmPassword', 'too short');
    await page.click('button[type="submit"]');
    await expect.poll(() => page.textContent('[data-error-code]'), ANSWERED).toContain('PASSWORD_TOO_SHORT');
    expect(await page.getAttribute('#newPassword', 'aria-invalid')).toBe('true');
    // The operator account's password policy (changePassword), the same as tqca user passwd's.
    await page.fill('#currentPassword', admin.password);
    await page.fill('#newPassword', 'password1234');
    await page.fill('#confirmPassword', 'password1234');
    await page.click('button[type="submit"]');
    await expect.poll(() => page.textContent('[data-error-code]'), ANSWERED).toContain('PASSWORD_COMMON');

    await page.fill('#currentPassword', admin.password);
    await page.fill('#newPassword', NEW_PASSWORD);
    await page.fill('#confirmPassword', NEW_PASSWORD);
    expect(existsSync(inject('firstRunFile'))).toBe(true);
    await page.click('button[type="submit"]');
    await page.waitForURL(`${url}/account/second-factor`);
    expect(existsSync(inject('firstRunFile'))).toBe(false); // the one-time password's file goes with it, as with tqca user passwd
    await page.goto(url);
    await page.waitForURL(`${url}/account/second-factor`);
    secret = (await page.textContent('[data-testid="totp-secret"]'))!.trim();
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(await page.locator('figure[role="img"] svg').count()).toBe(1);
    await checkPage('enrol', 'zh-CN');
    await switchLanguage('en');
    await checkPage('enrol', 'en');
    expect((await page.textContent('[data-testid="totp-secret"]'))!.trim()).toBe(secret); // a reload keeps the secret being enrolled
    await switchLanguage('zh-CN');

    await page.fill('#code', totpAt());
    await page.click('button[type="submit"]');
    await page.waitForSelector('[data-testid="recovery-codes"]');
    recovery = await page.locator('[data-testid="recovery-codes"] li').allTextContents();
    expect(recovery).toHaveLength(10);
    await checkPage('recovery-codes', 'zh-CN');

    await page.click('a[href="/"]');
    await page.waitForURL(`${url}/`);
    await page.waitForSelector('h1:text("总览")');
    expect(await page.textContent('[data-testid="hsm-health"]')).toMatch(/正常：金丝雀签名验证耗时 [\d.]+ 毫秒/);
    await checkPage('dashboard', 'zh-CN');
    await switchLanguage('en');
    await page.waitForSelector('h1:text("Dashboard")');
    expect(await page.textContent('[data-testid="hsm-health"]')).toMatch(/Healthy: canary sign-and-verify took [\d.]+ ms/);
    await checkPage('dashboard', 'en');

    await page.setViewportSize({ width: 768, height: 1024 }); // tablet portrait
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(768);
    await screenshot(page, 'dashboard.en.tablet');
    await page.setViewportSize({ width: 1280, height: 900 });
    expect(browser.errors).toEqual([]);
  });

  it('accepts a TOTP code once: the enrolment code is refused at sign-in, the next step is accepted', async () => {
    await page.click('text=Sign out');
    await page.waitForURL(`${url}/sign-in`);
    await page.waitForSelector('h1:text("Operator sign-in")'); // the language choice is remembered
    await checkPage('sign-in', 'en');

    await signIn(NEW_PASSWORD, totpAt(-1)); // the step used at enrolment, or the one before: both spent
    await expect.poll(() => page.textContent('[data-error-code]'), ANSWERED).toContain('SECOND_FACTOR_INVALID');
    expect(await page.getAttribute('#code', 'aria-invalid')).toBe('true');
    await signIn(NEW_PASSWORD);
    await expect.poll(() => page.textContent('[data-error-code]'), ANSWERED).toContain('SECOND_FACTOR_REQUIRED');
    signInCode = totpAt(1);
    await signIn(NEW_PASSWORD, signInCode);
    await page.waitForURL(`${url}/`);
  });

  it('step-up refuses a spent code and accepts a recovery code once', async () => {
    await page.goto(`${url}/step-up?next=/`);
    // The page states the console's own window (TQCA_STEP_UP_MAX_AGE_SECONDS), not a fixed 5 minutes.
    expect(await page.textContent('#step-up-title + p')).toMatch(new RegExp(`${inject('stepUpSeconds')} (秒|seconds)`));
    await page.fill('#code', signInCode);
    await page.click('button[type="submit"]');
    await expect.poll(() => page.textContent('[data-error-code]'), ANSWERED).toContain('SECOND_FACTOR_INVALID');
    await page.fill('#code', recovery[0]);
    await page.click('button[type="submit"]');
    await page.waitForURL(`${url}/`);
  });

  it('refuses server actions from another site, or without a session', async () => {
    const cookie = (await browser.context.cookies(url)).map((c) => `${c.name}=${c.value}`).join('; ');
    const html = await (await fetch(`${url}/step-up?next=/`, { headers: { cookie } })).text();
    const fields = [...html.matchAll(/<input type="hidden" name="([^"]+)"(?: value="([^"]*)")?/g)].map(([, name, value]) => [name, decodeHtml(value ?? '')]);
    expect(fields.some(([name]) => name.startsWith('$ACTION_'))).toBe(true);
    const post = (headers: Record<string, string>, code: string) => {
      const body = new FormData();
      for (const [name, value] of fields) body.append(name, value);
      body.append(fields.find(([n]) => n.endsWith('next'))![0].replace('next', 'code'), code);
      return fetch(`${url}/step-up?next=/`, { method: 'POST', body, headers, redirect: 'manual' });
    };
    const crossSite = await post({ cookie, origin: url, 'sec-fetch-site': 'cross-site' }, recovery[1]);
    expect(await crossSite.text()).toContain('CROSS_SITE_REQUEST');
    const evil = await post({ cookie, origin: 'http://evil.example' }, recovery[1]);
    expect(evil.status === 303 || (await evil.text()).includes('SECOND_FACTOR')).toBe(false);
    const anonymous = await post({ origin: url, 'sec-fetch-site': 'same-origin' }, recovery[1]);
    expect(anonymous.status).toBe(307); // sent to sign-in before any action runs
    // The same request from this site with the session succeeds: the refusals above were the checks, and the code was still unused.
    const same = await post({ cookie, origin: url, 'sec-fetch-site': 'same-origin' }, recovery[1]);
    expect(same.status).toBe(303);
    expect(same.headers.get('location')).toBe('/');
  });

  it('lists the operators for an administrator, with the first administrator enrolled', async () => {
    await page.goto(url);
    await page.click('nav a[href="/operators"]');
    await page.waitForURL(`${url}/operators`);
    const row = page.locator(`[data-testid="operators"] tr[data-username="${admin.username}"]`);
    expect(await row.textContent()).toMatch(/Administrator.*Active.*Enrolled/);
    await checkPage('operators', 'en');
  });

  // The administrator screens and the refusal matrix continue this administrator's day (test/browser/administration.ts).
  let firstAdmin: SignedInOperator | undefined;
  const run = {
    url,
    idleSeconds: inject('idleSeconds'),
    stepUpSeconds: inject('stepUpSeconds'),
    page: () => page,
    browser: () => browser,
    // Recovery codes 0 and 1 were spent above; the TOTP steps up to the next one may have been.
    firstAdmin: () => (firstAdmin ??= { username: admin.username, password: NEW_PASSWORD, totpSecret: secret, lastStep: Math.floor(Date.now() / 30_000) + 1, recovery: recovery.slice(2), browser }),
  };
  const { open } = administrationTests(run, staff);
  refusalMatrixTests(run, staff);

  it('hands the first administrator back signed in, in English', async () => {
    const back = await open(run.firstAdmin(), '/');
    if ((await back.getAttribute('html', 'lang')) !== 'en') await switchLanguage('en');
  });

  it('ends an idle session on the server', async () => {
    await page.goto(url);
    await page.waitForSelector('h1:text("Dashboard")');
    await new Promise((r) => setTimeout(r, (inject('idleSeconds') + 1) * 1000));
    await page.reload();
    await page.waitForURL(/\/sign-in\?error=SESSION_EXPIRED/);
    await page.waitForSelector('text=SESSION_EXPIRED');
  });

  it('locks the operator after five failures (the account lockout the CLI shares), even for the right password and code', async () => {
    // A fresh sign-in page each time, so each refusal is seen rendered, not the one before it.
    for (let i = 0; i < SIGN_IN_ATTEMPTS; i++) {
      await page.goto(`${url}/sign-in`);
      await signIn('not the password at all');
      await expect.poll(() => page.textContent('[data-error-code]'), ANSWERED).toContain('AUTHENTICATION_FAILED');
    }
    await page.goto(`${url}/sign-in`);
    await signIn(NEW_PASSWORD, totpAt(1));
    await expect.poll(() => page.textContent('[data-error-code]'), ANSWERED).toContain('AUTHENTICATION_FAILED');
    expect(page.url()).toContain('/sign-in');
  });

  it('logged no console error and no CSP violation on any page, in either language', () => {
    // A refused sign-in is next-auth's 401 on its callback, which Chromium reports as a failed load; nothing else may appear.
    const refusedSignIn = /status of 401 \(Unauthorized\) \(http:\/\/127\.0\.0\.1:\d+\/api\/auth\/callback\/credentials\)$/;
    expect(browser.errors.filter((e) => !refusedSignIn.test(e))).toEqual([]);
    expect(browser.errors.length).toBeGreaterThan(0); // the refusals above were seen: the listener works
  });
});

function decodeHtml(text: string): string {
  return text.replace(/&quot;/g, '"').replace(/&#x27;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}
