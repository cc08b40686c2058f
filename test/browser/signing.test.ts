/**
 * Quorum activation in Chromium, on a console of its own (test/browser/server.ts startConsole)
 * started under TQCA_HSM_QUORUM=2/3: its software token is initialised before the first run with
 * the PIN split among three officers, as `tqca hsm init` does, so the server starts unable to sign.
 * Officers A (alice) and B (bob), made and enrolled through the CA services beside the server,
 * enter their shares on 签名 / Signing; a mistyped share and someone else's are refused with their
 * registry code and text, and after the second share every officer's page says the CA can sign.
 */
import { Secret, TOTP } from 'otpauth';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initQuorumToken, resolveHsmConfig, type IssuedShare } from '../../hsm';
import { beginEnrolment, confirmEnrolment, DEFAULT_SESSION_POLICY } from '../../lib/ca';
import { errorDefinition, unwrap, type ErrorCode } from '../../lib/errors';
import { openCa, type OpenCa } from '../../lib/runtime/openCa';
import { consoleKeys } from '../../lib/server/secrets';
import { bootstrapOperator } from '../support/operators';
import { launch, type Browser } from './chromium';
import { startConsole, type Console } from './server';

const PASSWORD = 'correct horse battery staple';
const HOLDERS = ['alice', 'bob', 'carol'];

interface Officer {
  readonly username: string;
  readonly browser: Browser;
  readonly page: Page;
}

let server: Console;
let opened: OpenCa;
let shares: Record<string, IssuedShare>;
let alice: Officer;
let bob: Officer;

/** An officer with a password and an enrolled second factor, signed in in a browser of their own (with a recovery code: no TOTP step to wait for). */
async function officer(username: string): Promise<Officer> {
  const { ca } = opened;
  const admin = await ca.prisma.operator.findUniqueOrThrow({ where: { username: 'admin' }, select: { id: true, username: true, displayName: true, roles: true } });
  const operator = await bootstrapOperator(ca, admin, username, 'OFFICER', PASSWORD);
  const auth = { prisma: ca.prisma, now: () => new Date(), sealKey: consoleKeys({ ...process.env, ...server.caEnv }).sealKey, policy: DEFAULT_SESSION_POLICY };
  const enrolment = unwrap(await beginEnrolment(auth, operator));
  const [recovery] = unwrap(await confirmEnrolment(auth, operator, new TOTP({ secret: Secret.fromBase32(enrolment!.secret) }).generate()));
  const browser = await launch();
  const page = browser.page;
  await page.goto(`${server.url}/sign-in`);
  await page.fill('#username', username);
  await page.fill('#password', PASSWORD);
  await page.fill('#code', recovery!);
  await page.click('button[type="submit"]');
  await page.waitForURL((u) => u.pathname === '/');
  return { username, browser, page };
}

/** The signing page as the officer sees it now: can the CA sign, the quorum's state, who entered. */
async function signingPage(o: Officer) {
  await o.page.goto(`${server.url}/signing`);
  expect(new URL(o.page.url()).pathname, o.username).toBe('/signing');
  const quorum = o.page.locator('[data-testid="quorum"]');
  return {
    canSign: await o.page.getAttribute('[data-testid="can-sign"]', 'data-can-sign'),
    state: await quorum.locator('dd[data-state]').getAttribute('data-state'),
    quorum: (await quorum.textContent())!,
    shareForm: await o.page.locator('form[data-form="share"]').count(),
  };
}

/** Enters `share` in the officer's share form: the error code shown, or 'done' once the page took it. */
async function enterShare(o: Officer, share: string): Promise<string> {
  const form = o.page.locator('form[data-form="share"]');
  await o.page.fill('#share-share', share);
  await form.locator('button[type="submit"]').click();
  let outcome = '';
  await expect
    .poll(async () => {
      if ((await form.count()) === 0) return (outcome = 'done'); // the page moved on: this officer's share is in
      if (await form.locator('button[type="submit"]').isDisabled()) return '';
      const code = await form.locator('[data-error-code]').getAttribute('data-error-code', { timeout: 100 }).catch(() => null);
      if (code) return (outcome = code);
      return (outcome = (await form.locator('[role="status"]').textContent())!.trim() === '' ? '' : 'done');
    }, { timeout: 90_000 })
    .not.toBe('');
  return outcome;
}

/** A refusal as the page shows it: the code, and the registry's zh-CN text beside the share field. */
async function expectRefused(o: Officer, code: ErrorCode) {
  const form = o.page.locator('form[data-form="share"]');
  expect(await form.textContent()).toContain(errorDefinition(code).zh);
  expect(await o.page.getAttribute('#share-share', 'aria-invalid')).toBe('true');
}

beforeAll(async () => {
  server = await startConsole({
    // Sessions as in production (the suite's 20 s would end one officer's while the other signs in on a busy machine).
    env: { TQCA_HSM_QUORUM: '2/3', TQCA_HSM_POOL_SIZE: '2', TQCA_SESSION_IDLE_SECONDS: '900' },
    prepare(caEnv) {
      const config = unwrap(resolveHsmConfig(caEnv));
      shares = Object.fromEntries(unwrap(initQuorumToken({ ...config, quorum: config.quorum! }, HOLDERS)).shares.map((s) => [s.officer, s]));
    },
  });
  opened = unwrap(await openCa({ ...process.env, ...server.caEnv }));
  [alice, bob] = [await officer('alice'), await officer('bob')];
});

afterAll(async () => {
  await Promise.all([alice?.browser.close(), bob?.browser.close()]);
  await opened?.close();
  await server?.stop();
});

describe('quorum activation on the signing page', () => {
  it('the console starts unable to sign; a mistyped share and another officer’s are refused with their registry errors', async () => {
    const before = await signingPage(alice);
    expect([before.canSign, before.state, before.shareForm]).toEqual(['false', 'locked', 1]);
    expect(await alice.page.textContent('[data-testid="can-sign"]')).toContain('HSM_LOCKED');

    const own = shares.alice!.text;
    const typo = own.slice(0, 20) + (own[20] === 'Z' ? 'Y' : 'Z') + own.slice(21);
    expect(await enterShare(alice, typo)).toBe('SHARE_CHECKSUM');
    await expectRefused(alice, 'SHARE_CHECKSUM');
    await alice.page.reload();
    expect(await enterShare(alice, shares.bob!.text)).toBe('HSM_SHARE_NOT_HOLDER');
    await expectRefused(alice, 'HSM_SHARE_NOT_HOLDER');
    expect((await signingPage(alice)).state).toBe('locked');
  });

  it('two officers enter their shares and everyone sees the CA able to sign', async () => {
    expect(await enterShare(alice, shares.alice!.text)).toBe('done');
    const one = await signingPage(bob);
    expect([one.canSign, one.state, one.shareForm]).toEqual(['false', 'locked', 1]);
    expect(one.quorum).toContain('alice');

    expect(await enterShare(bob, shares.bob!.text)).toBe('done');
    for (const o of [alice, bob]) {
      const after = await signingPage(o);
      expect([after.canSign, after.state, after.shareForm], o.username).toEqual(['true', 'active', 0]);
      expect(after.quorum).toMatch(/alice, bob/);
    }
    const events = await opened.ca.prisma.auditEvent.findMany({ where: { objectType: 'hsmToken' }, orderBy: { seq: 'asc' } });
    expect(events.map((e) => [e.actor, e.action])).toEqual([
      ['alice', 'hsmToken.share.refused'],
      ['alice', 'hsmToken.share.refused'],
      ['alice', 'hsmToken.share.entered'],
      ['bob', 'hsmToken.signing.activated'],
    ]);
  });
});
