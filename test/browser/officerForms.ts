/**
 * The officer screens' steps in an operator's own browser, for any story on the console at `url`
 * (officer.test.ts, journey.test.ts): a page opened signed in again when the server's 20 s idle
 * limit ended the session, a `data-form` submitted and its outcome read, step-up when the action
 * asks for it, and each page checked with axe-core in both languages and kept as a screenshot.
 */
import { expect } from 'vitest';
import { nextTotp, type SignedInOperator } from './administration';
import { checkInBothLanguages } from './chromium';

/** A recovery code while any is left (single use, no clock step to wait for), then the authenticator. */
const secondFactor = async (o: SignedInOperator) => o.recovery.shift() ?? (await nextTotp(o));

export function officerForms(url: string) {
  const pageOf = (o: SignedInOperator) => o.browser!.page;

  async function signIn(o: SignedInOperator, code: string) {
    const page = pageOf(o);
    await page.goto(`${url}/sign-in`);
    await page.fill('#username', o.username);
    await page.fill('#password', o.password);
    await page.fill('#code', code);
    const answered = page.waitForResponse((r) => r.url().includes('/api/auth/callback/credentials'));
    await page.click('button[type="submit"]');
    await answered;
  }

  /** Opens `path` as the operator, signing in again when the session went idle meanwhile. */
  async function visit(o: SignedInOperator, path: string) {
    const page = pageOf(o);
    await page.goto(`${url}${path}`);
    if (new URL(page.url()).pathname === '/sign-in') {
      await signIn(o, await secondFactor(o));
      await page.waitForURL((u) => u.pathname !== '/sign-in');
      await page.goto(`${url}${path}`);
    }
    expect(new URL(page.url()).pathname).toBe(path.split('?')[0]);
    return page;
  }

  /**
   * Submits the form `data-form=id` on the page as it stands and waits for the outcome: its error
   * code, or 'done' (the done line, or the form gone because the page moved on). Callers reload
   * before submitting a form again, so no earlier answer is read as this one's.
   */
  async function submit(o: SignedInOperator, id: string): Promise<string> {
    const form = pageOf(o).locator(`form[data-form="${id}"]`);
    await form.locator('button[type="submit"]').click();
    let outcome = '';
    await expect
      .poll(
        async () => {
          if ((await form.count()) === 0) return (outcome = 'done');
          if (await form.locator('button[type="submit"]').isDisabled()) return '';
          const code = await form.locator('[data-error-code]').getAttribute('data-error-code', { timeout: 100 }).catch(() => null);
          if (code) return (outcome = code);
          return (outcome = (await form.locator('[role="status"]').textContent())!.trim() === '' ? '' : 'done');
        },
        { timeout: 90_000 },
      )
      .not.toBe('');
    return outcome;
  }

  /** Re-proves the second factor on the step-up page, back to `path`. */
  async function stepUp(o: SignedInOperator, path: string) {
    const page = await visit(o, `/step-up?next=${encodeURIComponent(path)}`);
    await page.fill('#code', await secondFactor(o));
    await page.click('button[type="submit"]');
    await page.waitForURL(`${url}${path}`);
  }

  /** Opens `path`, fills the form and submits it; a STEP_UP_REQUIRED answer (5 minutes passed) steps up and tries once more. */
  async function act(o: SignedInOperator, path: string, id: string, fill: () => Promise<void> = async () => {}): Promise<string> {
    await visit(o, path);
    await fill();
    const outcome = await submit(o, id);
    if (outcome !== 'STEP_UP_REQUIRED') return outcome;
    await stepUp(o, path);
    await fill();
    return submit(o, id);
  }

  /** axe-core in Chinese, then English (where the page stays), with a screenshot of each. */
  async function checkPages(o: SignedInOperator, name: string) {
    expect(await checkInBothLanguages(pageOf(o), name), name).toEqual({ 'zh-CN': [], en: [] });
  }

  return { signIn, visit, submit, stepUp, act, checkPages };
}
