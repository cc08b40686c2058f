/**
 * Debian's Chromium driven by playwright-core: a fresh profile per launch, console errors and CSP
 * violations collected per page, axe-core injected from its npm source, screenshots kept in
 * test-artifacts/screenshots/ (gitignored).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const SCREENSHOTS = join(process.cwd(), 'test-artifacts', 'screenshots');
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export interface Browser {
  readonly context: BrowserContext;
  readonly page: Page;
  /** Console errors (CSP violations among them) and uncaught page errors since launch. */
  readonly errors: string[];
  close(): Promise<void>;
}

export async function launch(options: { width?: number; height?: number } = {}): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'tqca-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: FLAGS,
    viewport: { width: options.width ?? 1280, height: options.height ?? 900 },
    locale: 'zh-CN',
  });
  const errors: string[] = [];
  const watch = (page: Page) => {
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(`${page.url()}: ${m.text()} (${m.location().url})`);
    });
    page.on('pageerror', (e) => errors.push(`${page.url()}: ${e.message}`));
  };
  context.pages().forEach(watch);
  context.on('page', watch);
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    errors,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export interface AxeViolation {
  readonly id: string;
  readonly impact: string | null;
  readonly help: string;
  readonly nodes: number;
}

/** axe-core's serious and critical violations on the page as it stands. */
export async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  // Next streams a dynamic page's metadata after its body, and a re-render (a language switch)
  // replaces the <title>: checked before it lands, axe reports a title the page does have. Not
  // there after the wait, it is missing, and axe says so.
  await page.waitForFunction(() => document.title.trim() !== '', undefined, { timeout: 10_000 }).catch(() => undefined);
  // Evaluated through the DevTools protocol, not a <script> tag: the page's CSP stays as it is.
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE_SOURCE);
  const results = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(): Promise<{ violations: { id: string; impact: string | null; help: string; nodes: unknown[] }[] }> } }).axe;
    return (await axe.run()).violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.length }));
  });
  return results.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/**
 * The page in each console language (switched with the header's buttons, zh-CN first): axe-core's
 * serious violations per language, and a screenshot `<name>.<language>` of each.
 */
export async function checkInBothLanguages(page: Page, name: string): Promise<Record<'zh-CN' | 'en', AxeViolation[]>> {
  const found = { 'zh-CN': [] as AxeViolation[], en: [] as AxeViolation[] };
  for (const locale of ['zh-CN', 'en'] as const) {
    if ((await page.getAttribute('html', 'lang')) !== locale) {
      await page.click(`button[name="locale"][value="${locale}"]`);
      await page.waitForFunction((l) => document.documentElement.lang === l, locale);
    }
    // Next streams the document's metadata: after a re-render the title can arrive a moment after the body.
    await page.waitForFunction(() => document.title !== '');
    found[locale] = await seriousViolations(page);
    await screenshot(page, `${name}.${locale}`);
  }
  return found;
}
