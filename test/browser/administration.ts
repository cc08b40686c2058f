/**
 * The administrator screens in Chromium, run inside console.test.ts after the first
 * administrator's own journey (they share its browser and account): the bootstrap set created
 * directly and sealed, then an auditor and an officer created through the queue with a second
 * administrator approving (the requester cannot), institutions registered with contacts and
 * changed through their status life cycle (an issuer's withdrawal approved by an officer), an API
 * token seen once and revoked, and an auditor who reads everything and can change nothing.
 * Every main page is checked with axe-core and kept as a screenshot in both languages.
 */
import { Secret, TOTP } from 'otpauth';
import type { Page } from 'playwright-core';
import { expect, it } from 'vitest';
import { checkInBothLanguages, launch, screenshot, type Browser } from './chromium';
import { callAction, serverActions, signInOverHttp } from './consoleHttp';

export interface SignedInOperator {
  readonly username: string;
  password: string;
  /** The authenticator's key, and the last TOTP step spent (each step is accepted once). */
  readonly totpSecret: string;
  lastStep: number;
  /** Unused recovery codes: step-ups here spend these, so no TOTP step is waited for. */
  readonly recovery: string[];
  browser?: Browser;
}

const TOTP_PERIOD_MS = 30_000;

/** A TOTP code for a step after the last one spent, waiting for the next step when the current ones are used up. */
export async function nextTotp(operator: SignedInOperator): Promise<string> {
  const now = Math.floor(Date.now() / TOTP_PERIOD_MS);
  const step = Math.max(now, operator.lastStep + 1);
  // The service accepts one step of drift either way.
  if (step > now + 1) await new Promise((r) => setTimeout(r, (step - 1) * TOTP_PERIOD_MS - Date.now() + 200));
  operator.lastStep = step;
  return new TOTP({ secret: Secret.fromBase32(operator.totpSecret), digits: 6, period: 30, algorithm: 'SHA1' }).generate({ timestamp: step * TOTP_PERIOD_MS });
}

export interface ConsoleRun {
  readonly url: string;
  readonly idleSeconds: number;
  /** The server's step-up freshness (TQCA_STEP_UP_MAX_AGE_SECONDS). */
  readonly stepUpSeconds: number;
  readonly page: () => Page;
  readonly browser: () => Browser;
  readonly firstAdmin: () => SignedInOperator;
}

/** What the administration tests leave for the refusal matrix. */
export interface Staff {
  readonly admins: SignedInOperator[];
  officer?: SignedInOperator;
  auditor?: SignedInOperator;
  institutionId?: number;
}

const PASSWORD = 'a long passphrase for the test operators';

/**
 * The part of an API token `tqt_<16 hex>_<43 base64url>` never shown again. Not split('_'): the
 * base64url part has underscores of its own (one leading it made the part empty, which every page contains).
 */
export const tokenSecretPart = (token: string) => token.slice('tqt_'.length + 16 + 1);

/**
 * The administrator screens' steps, for any story on the console at `url`: sign-in, a new
 * operator's onboarding in a browser of their own, forms submitted with step-up when asked, and
 * the language check of a page. The administration tests and the whole journey share them.
 */
export function operatorScreens(url: string) {
  const browsers: Browser[] = [];

  async function checkPage(page: Page, name: string) {
    const found = (await page.getAttribute('html', 'lang'))!;
    expect(await checkInBothLanguages(page, name), name).toEqual({ 'zh-CN': [], en: [] });
    if (found !== 'en') {
      await page.click(`button[name="locale"][value="${found}"]`);
      await page.waitForFunction((l) => document.documentElement.lang === l, found);
    }
  }

  async function stepUp(page: Page, operator: SignedInOperator) {
    const back = new URL(page.url()).pathname;
    await page.goto(`${url}/step-up?next=${encodeURIComponent(back)}`);
    await page.fill('#code', operator.recovery.shift()!);
    await page.click('main button[type="submit"]');
    await page.waitForURL(`${url}${back}`);
  }

  /**
   * Fills and submits a form of the administrator screens and answers what it showed: the notice
   * and secret, or the error code. A STEP_UP_REQUIRED is met by stepping up and submitting again.
   */
  async function submit(page: Page, operator: SignedInOperator, form: string, fill: () => Promise<void> = async () => {}, button = 'button[type="submit"]') {
    for (let attempt = 0; ; attempt++) {
      await fill();
      const answered = page.waitForResponse((r) => r.request().method() === 'POST' && r.request().headers()['next-action'] !== undefined);
      await page.click(`${form} ${button}`);
      await answered;
      await page.waitForFunction((f) => document.querySelector(f)?.getAttribute('aria-busy') !== 'true', form);
      // A form whose subject changed state is replaced by the page's refresh (disable → enable): then only the page tells.
      const shown = page.locator(`${form} [data-error-code]`);
      const error = (await shown.count()) > 0 ? await shown.first().getAttribute('data-error-code') : null;
      if (error === 'STEP_UP_REQUIRED' && attempt === 0) {
        await stepUp(page, operator);
        continue;
      }
      if (error) return { error };
      const done = page.locator(`${form} [data-testid="action-done"]`);
      const secret = page.locator(`${form} [data-testid="secret-once"]`);
      return {
        notice: (await done.count()) > 0 ? await done.getAttribute('data-notice') : null,
        secret: (await secret.count()) > 0 ? (await secret.textContent())!.trim() : undefined,
      };
    }
  }

  async function signInPage(page: Page, username: string, password: string, code = '') {
    await page.goto(`${url}/sign-in`);
    await page.fill('#username', username);
    await page.fill('#password', password);
    await page.fill('#code', code);
    const answered = page.waitForResponse((r) => r.url().includes('/api/auth/callback/credentials'));
    await page.click('button[type="submit"]');
    await answered;
  }

  /** A new operator's first sign-in in their own browser: the one-time password replaced, an authenticator enrolled. */
  async function onboard(username: string, oneTimePassword: string): Promise<SignedInOperator> {
    const browser = await launch();
    browsers.push(browser);
    const page = browser.page;
    await signInPage(page, username, oneTimePassword);
    await page.waitForURL(`${url}/account/password`);
    await page.fill('#currentPassword', oneTimePassword);
    await page.fill('#newPassword', PASSWORD);
    await page.fill('#confirmPassword', PASSWORD);
    await page.click('main button[type="submit"]');
    await page.waitForURL(`${url}/account/second-factor`);
    const operator: SignedInOperator = { username, password: PASSWORD, totpSecret: (await page.textContent('[data-testid="totp-secret"]'))!.trim(), lastStep: -1, recovery: [], browser };
    await page.fill('#code', await nextTotp(operator));
    await page.click('main button[type="submit"]');
    await page.waitForSelector('[data-testid="recovery-codes"]');
    operator.recovery.push(...(await page.locator('[data-testid="recovery-codes"] li').allTextContents()));
    await page.goto(url);
    return operator;
  }

  /** The operator's browser on `path`, signed in again if its session went idle meanwhile. */
  async function open(operator: SignedInOperator, path: string): Promise<Page> {
    const page = operator.browser!.page;
    await page.goto(`${url}${path}`);
    if (new URL(page.url()).pathname === '/sign-in') {
      await signInPage(page, operator.username, operator.password, await nextTotp(operator));
      await page.waitForURL(`${url}/`);
      await page.goto(`${url}${path}`);
    }
    return page;
  }

  async function createOperator(page: Page, admin: SignedInOperator, username: string, displayName: string, role: string) {
    return submit(page, admin, '#create-operator', async () => {
      await page.fill('#new-username', username);
      await page.fill('#new-display-name', displayName);
      await page.selectOption('#new-role', role);
    });
  }

  /** Registers an institution with one contact from the administrator's browser; answers its id (the detail page it lands on). */
  async function registerInstitution(admin: SignedInOperator, kind: string, nameZh: string, nameEn: string, contact: string): Promise<number> {
    const page = await open(admin, '/institutions');
    await page.selectOption('#kind', kind);
    await page.fill('#nameZh', nameZh);
    await page.fill('#nameEn', nameEn);
    await page.fill('[id="contact0.name"]', contact);
    await page.fill('[id="contact0.email"]', 'ops@example.cn');
    await page.fill('[id="contact0.phone"]', '+86 10 1234 5678');
    await page.click('#register button[type="submit"]');
    await page.waitForURL(/\/institutions\/\d+$/);
    expect(await page.textContent('[data-testid="contacts"]')).toContain(contact);
    expect(await page.getAttribute('[data-testid="history"] tr[data-action="institution.create"]', 'data-action')).toBe('institution.create');
    return Number(new URL(page.url()).pathname.split('/').pop());
  }

  /** Creates an API token on /api-tokens as it stands; the answer carries the secret shown once. */
  const createToken = (page: Page, admin: SignedInOperator, institutionId: number, scope: 'ACQUIRER' | 'ISSUER' | 'WITNESS', label: string) =>
    submit(page, admin, '#create-token', async () => {
      await page.selectOption('#institutionId', String(institutionId));
      await page.selectOption('#scope', scope);
      await page.fill('#label', label);
    });

  return { browsers, checkPage, stepUp, submit, signInPage, onboard, open, createOperator, registerInstitution, createToken };
}

/** Registers the tests; answers `open`, to bring an operator's browser back to a page signed in. */
export function administrationTests(run: ConsoleRun, staff: Staff): { open: (operator: SignedInOperator, path: string) => Promise<Page> } {
  const url = run.url;
  const oneTimePasswords = new Map<string, string>();
  const { browsers, checkPage, stepUp, submit, open, createOperator, registerInstitution, createToken, onboard: onboardWith } = operatorScreens(url);
  const onboard = (username: string) => onboardWith(username, oneTimePasswords.get(username)!);

  it('first run: the administrator creates the bootstrap set directly, sees each one-time password once, and seals it', async () => {
    const admin = run.firstAdmin();
    staff.admins.push(admin);
    const page = await open(admin, '/operators');
    // Chinese first: the checks below read the Chinese texts.
    await page.click('button[name="locale"][value="zh-CN"]');
    await page.waitForFunction(() => document.documentElement.lang === 'zh-CN');
    expect(await page.getAttribute('[data-testid="seal-state"]', 'data-sealed')).toBe('false');
    for (const [username, name, role] of [
      ['admin2', '第二管理员', 'ADMIN'],
      ['officer1', '业务员一', 'OFFICER'],
      ['officer2', '业务员二', 'OFFICER'],
    ] as const) {
      const created = await createOperator(page, admin, username, name, role);
      expect(created, username).toMatchObject({ notice: 'applied' });
      expect(created.secret).toMatch(/^[A-Za-z0-9_-]{24}$/);
      oneTimePasswords.set(username, created.secret!);
      expect(await page.textContent(`[data-testid="operators"] tr[data-username="${username}"]`)).toContain('一次性密码');
    }
    await page.reload();
    expect(await page.content()).not.toContain(oneTimePasswords.get('admin2')); // shown in the answer only
    // The sealed set needs two officers and two administrators: it has them now.
    expect(await submit(page, admin, '#seal')).not.toHaveProperty('error'); // the sealed page has no seal form left to show a notice
    await page.waitForSelector('[data-testid="seal-state"][data-sealed="true"]');
    staff.admins.push(await onboard('admin2'));
    staff.officer = await onboard('officer1');
  });

  it('after the seal, an administrator requests a new auditor and officer; the queue names who asked, and only another administrator approves', async () => {
    const admin = run.firstAdmin();
    const page = await open(admin, '/operators');
    for (const [username, name, role] of [
      ['auditor1', '审计员一', 'AUDITOR'],
      ['officer3', '业务员三', 'OFFICER'],
    ] as const) {
      expect(await createOperator(page, admin, username, name, role), username).toMatchObject({ notice: 'requested', secret: undefined });
    }
    await page.reload();
    for (const username of ['auditor1', 'officer3']) {
      const row = page.locator(`[data-testid="queue"] tr[data-target="${username}"]`);
      expect(await row.locator('[data-testid="requested-by"]').textContent()).toBe(admin.username);
      expect(await row.locator('[data-testid="own-request"]').count()).toBe(1);
      expect(await row.locator('button').count()).toBe(0); // no approve button for the requester
    }
    expect(await page.locator('[data-testid="operators"] tr[data-username="auditor1"]').count()).toBe(0);
    await checkPage(page, 'operators-queue');

    // The service refuses the requester even when the button is bypassed (with a fresh second factor, so that is not the refusal).
    await stepUp(page, admin);
    const requestId = await page.getAttribute('[data-testid="queue"] tr[data-target="auditor1"]', 'data-request');
    const cookie = (await run.browser().context.cookies(url)).map((c) => `${c.name}=${c.value}`).join('; ');
    const approve = serverActions().find((a) => a.name === 'approveOperatorChange')!;
    const own = await callAction(url, approve, { cookie, origin: url, 'sec-fetch-site': 'same-origin' }, { requestId: requestId! });
    expect(own.body).toContain('DUAL_CONTROL_SAME_ADMINISTRATOR');

    const admin2 = staff.admins[1]!;
    const page2 = await open(admin2, '/operators');
    for (const username of ['auditor1', 'officer3']) {
      const row = page2.locator(`[data-testid="queue"] tr[data-target="${username}"]`);
      expect(await row.locator('[data-testid="requested-by"]').textContent()).toBe(admin.username);
      const id = await row.getAttribute('data-request');
      const approved = await submit(page2, admin2, '#approve', async () => {}, `button[name="requestId"][value="${id}"]`);
      expect(approved, username).toMatchObject({ notice: 'approved' });
      oneTimePasswords.set(username, approved.secret!); // handed to the approver, never the requester
      expect(approved.secret).toMatch(/^[A-Za-z0-9_-]{24}$/);
    }
    await page2.reload();
    expect(await page2.locator('[data-testid="decided"] tr[data-state="APPROVED"]').count()).toBe(2);
    expect(await page2.textContent('[data-testid="decided"]')).toContain(`由 admin2 于`);
    staff.auditor = await onboard('auditor1');
  });

  it('changes a role, disables, enables and resets a password through the queue', async () => {
    const admin = run.firstAdmin();
    const page = await open(admin, '/operators');
    const row = '[data-testid="operators"] tr[data-username="officer2"]';
    const id = (await page.locator(`${row} form`).first().getAttribute('id'))!.replace('role-', '');
    const toAuditor = async () => void (await page.selectOption(`#role-select-${id}`, 'AUDITOR'));
    expect(await submit(page, admin, `#role-${id}`, toAuditor)).toMatchObject({ notice: 'requested' });
    expect(await submit(page, admin, `#disable-${id}`)).not.toHaveProperty('error');
    await page.reload();
    expect(await page.textContent(row)).toContain('已停用');
    expect(await submit(page, admin, `#enable-${id}`)).toMatchObject({ notice: 'requested' });
    expect(await submit(page, admin, `#password-${id}`)).toMatchObject({ notice: 'requested' });
    await page.reload();
    expect(await page.textContent('[data-testid="queue"]')).toMatch(/将 officer2 的角色变更为审计员[\s\S]*启用 officer2[\s\S]*重置 officer2 的密码/);
  });

  it('registers an issuer and an acquirer with contacts; the detail shows contacts and status history; withdrawal waits for another officer', async () => {
    const admin = run.firstAdmin();
    const page = run.page();
    const register = (kind: string, nameZh: string, nameEn: string, contact: string) => registerInstitution(admin, kind, nameZh, nameEn, contact);
    const issuer = await register('ISSUER', '示例城市一卡通', 'Example City Card', '张三');
    const acquirer = await register('ACQUIRER', '示例公交集团', 'Example Transit Group', '李四');
    staff.institutionId = acquirer;
    await checkPage(page, 'institution');

    await open(admin, `/institutions/${acquirer}`);
    const status = async (to: string, reason: string) =>
      submit(page, admin, '#change-status', async () => {
        await page.selectOption('#new-status', to);
        await page.fill('#status-reason', reason);
      });
    expect(await status('SUSPENDED', '对账异常')).toMatchObject({ notice: 'statusChanged' });
    await page.reload();
    expect(await page.getAttribute('[data-testid="institution-status"]', 'data-status')).toBe('SUSPENDED');
    expect(await status('ACTIVE', '异常已排除')).toMatchObject({ notice: 'statusChanged' });
    await page.reload();
    expect(await page.textContent('[data-testid="history"]')).toMatch(/正常 → 暂停：对账异常[\s\S]*暂停 → 正常：异常已排除/);

    await open(admin, `/institutions/${issuer}`);
    expect(await status('WITHDRAWN', '停止运营')).toMatchObject({ notice: 'withdrawalRequested' });
    await page.reload();
    expect(await page.getAttribute('[data-testid="institution-status"]', 'data-status')).toBe('ACTIVE');
    expect(await page.locator('#approve-withdrawal').count()).toBe(0); // administrators ask; an officer approves
    const officer = staff.officer!;
    const officerPage = await open(officer, `/institutions/${issuer}`);
    expect(await officerPage.textContent('[data-testid="withdrawal-pending"]')).toContain(admin.username);
    expect(await submit(officerPage, officer, '#approve-withdrawal')).not.toHaveProperty('error');
    await officerPage.reload();
    expect(await officerPage.getAttribute('[data-testid="institution-status"]', 'data-status')).toBe('WITHDRAWN');
    expect(await officerPage.textContent('[data-testid="history"]')).toMatch(/申请退出：停止运营[\s\S]*正常 → 已退出：停止运营/);
    await open(admin, '/institutions');
    await checkPage(page, 'institutions');
  });

  it('creates an API token for the acquirer: the secret is shown once, then the token is listed and revoked', async () => {
    const admin = run.firstAdmin();
    const page = await open(admin, '/api-tokens');
    const created = await createToken(page, admin, staff.institutionId!, 'ACQUIRER', 'TMS 生产');
    expect(created).toMatchObject({ notice: 'tokenCreated' });
    expect(created.secret).toMatch(/^tqt_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    const tokenId = created.secret!.split('_')[1]!;
    // The token works against the machine API (no bundle is published on this CA yet: the token
    // passes and the endpoint answers that), and is never shown again.
    const roots = await fetch(`${url}/api/v1/roots`, { headers: { authorization: `Bearer ${created.secret}` } });
    expect([roots.status, ((await roots.json()) as { code: string }).code]).toEqual([404, 'BUNDLE_NOT_FOUND']);
    await page.reload();
    expect(await page.content()).not.toContain(tokenSecretPart(created.secret!));
    expect(await page.getAttribute(`[data-testid="tokens"] tr[data-token="${tokenId}"]`, 'data-state')).toBe('active');
    await checkPage(page, 'api-tokens');
    const revoked = await submit(page, admin, `#revoke-${tokenId}`, async () => page.fill(`#revoke-reason-${tokenId}`, '密钥轮换'));
    expect(revoked).not.toHaveProperty('error');
    await page.reload();
    expect(await page.getAttribute(`[data-testid="tokens"] tr[data-token="${tokenId}"]`, 'data-state')).toBe('revoked');
    // The API's token cache polls the token state about once a second.
    await expect.poll(async () => (await fetch(`${url}/api/v1/roots`, { headers: { authorization: `Bearer ${created.secret}` } })).status, { timeout: 30_000 }).toBe(401);
    await open(admin, '/operators');
    await checkPage(page, 'operators');
    for (const path of ['/operators', '/institutions', `/institutions/${staff.institutionId}`, '/api-tokens']) {
      await open(admin, path);
      await page.setViewportSize({ width: 768, height: 1024 }); // tablet portrait: wide tables scroll inside their card, the page does not
      expect(await page.evaluate(() => document.documentElement.scrollWidth), path).toBeLessThanOrEqual(768);
      await page.setViewportSize({ width: 1280, height: 900 });
    }
    await page.setViewportSize({ width: 768, height: 1024 });
    await screenshot(page, 'api-tokens.zh-CN.tablet');
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it('the auditor sees operators, the queue, institutions and tokens, and is offered no change', async () => {
    const auditor = staff.auditor!;
    for (const path of ['/operators', '/institutions', `/institutions/${staff.institutionId}`, '/api-tokens']) {
      const page = await open(auditor, path);
      expect(await page.locator('main [data-error-code]').count(), path).toBe(0);
      expect(await page.locator('main form').count(), path).toBe(0);
      expect(await page.locator('main table').count(), path).toBeGreaterThan(0);
    }
    const page = await open(auditor, '/operators');
    expect(await page.textContent('[data-testid="queue"]')).toContain('officer2');
    const cookie = (await auditor.browser!.context.cookies(url)).map((c) => `${c.name}=${c.value}`).join('; ');
    const request = serverActions().find((a) => a.name === 'requestOperatorChange')!;
    const refused = await callAction(url, request, { cookie, origin: url, 'sec-fetch-site': 'same-origin' }, { kind: 'ENABLE', username: 'officer2' });
    expect(refused.body).toContain('OPERATOR_FORBIDDEN');
    await checkPage(page, 'operators-auditor');
  });

  it('logged no console error in the other operators’ browsers', async () => {
    for (const b of browsers) expect(b.errors).toEqual([]);
  });
  return { open };
}

/** A fresh session over HTTP for a staff member, spending one recovery code. */
export const freshCookie = (url: string, operator: SignedInOperator) => signInOverHttp(url, operator.username, operator.password, operator.recovery.shift()!);

export async function closeStaff(staff: Staff): Promise<void> {
  for (const o of [...(staff.admins ?? []).slice(1), staff.officer, staff.auditor]) await o?.browser?.close();
}
