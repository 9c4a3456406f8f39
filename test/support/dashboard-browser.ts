import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { repoRoot, type RunningServer } from './temps-server';

/**
 * What the dashboard's browser tests (test/e2e/dashboard*.browser.e2e.spec.ts) share: Debian chromium driven
 * by playwright-core (`npx playwright install` cannot download here), the Connect form, screenshots in
 * test/artifacts/ and failure reports that carry the page and the server's output.
 */
export const CHROMIUM = process.env.TEMPS_CHROMIUM ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
export const ARTIFACTS = join(repoRoot, 'test/artifacts');
export const haveChromium = existsSync(CHROMIUM);

/**
 * `describe(title, body)` when chromium is there (or TEMPS_REQUIRE_BROWSER=1 asks for it: `beforeAll` then
 * fails through `assertBrowserReady`), otherwise one skipped test saying why.
 */
export function describeInBrowser(title: string, body: () => void): void {
  if (!haveChromium && process.env.TEMPS_REQUIRE_BROWSER !== '1') {
    describe(title, () => {
      it.skip(`skipped: chromium not installed (${CHROMIUM}; apt-get install chromium, or set TEMPS_CHROMIUM)`, () => undefined);
    });
  } else {
    describe(title, body);
  }
}

/** Fails early, and says what to do, when chromium or the built dashboard is missing; makes test/artifacts/. */
export function assertBrowserReady(): void {
  if (!haveChromium) {
    throw new Error(`TEMPS_REQUIRE_BROWSER=1 but no chromium at ${CHROMIUM}: install it (apt-get install -y chromium) or point TEMPS_CHROMIUM at one`);
  }
  if (!existsSync(join(repoRoot, 'apps/web/build/index.html'))) {
    throw new Error('the dashboard is not built (apps/web/build/index.html missing): run "npm run build:web" (npm test builds it first)');
  }
  mkdirSync(ARTIFACTS, { recursive: true });
}

export interface DashboardBrowser {
  context: BrowserContext;
  page: Page;
  /** Closes the browser and removes its profile. */
  close(): Promise<void>;
}

/** A fresh chromium profile at 1440x900, UTC, en-US; `colorScheme` when the test depends on the theme. */
export async function launchDashboardBrowser(opts: { timeout: number; colorScheme?: 'light' | 'dark' }): Promise<DashboardBrowser> {
  const userDataDir = mkdtempSync(join(tmpdir(), 'temps-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1440, height: 900 },
    timezoneId: 'UTC',
    locale: 'en-US',
    ...(opts.colorScheme ? { colorScheme: opts.colorScheme } : {}),
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(opts.timeout);
  return {
    context,
    page,
    close: async () => {
      await context.close().catch(() => undefined);
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/** Types the key into the Connect form (which must be showing, or about to) and connects. */
export async function signIn(page: Page, apiKey: string): Promise<void> {
  const form = page.getByTestId('connect-form');
  await form.waitFor();
  await form.getByLabel('API key').fill(apiKey);
  await form.getByRole('button', { name: 'Connect' }).click();
}

/** The trace list's rows, or the one of a trace. */
export const traceRows = (page: Page) => page.locator('[data-testid="trace-row"]');
export const traceRow = (page: Page, traceId: string) => page.locator(`[data-testid="trace-row"][data-trace-id="${traceId}"]`);

/** Screenshots named `${prefix}${name}.png` in test/artifacts/ (the viewport, or the full page). */
export function screenshots(getPage: () => Page, prefix: string) {
  return (name: string, fullPage = false) => getPage().screenshot({ path: join(ARTIFACTS, `${prefix}${name}.png`), fullPage });
}

/**
 * `step(name, fn)` runs a step; on failure it saves a full-page screenshot `${prefix}failed-${name}.png` and adds
 * the page's address and the tail of the server's output to the error.
 */
export function stepper(getPage: () => Page | undefined, getServer: () => RunningServer | undefined, prefix: string) {
  return async function step<T>(name: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      const page = getPage();
      await page?.screenshot({ path: join(ARTIFACTS, `${prefix}failed-${name}.png`), fullPage: true }).catch(() => undefined);
      const e = err instanceof Error ? err : new Error(String(err));
      e.message = `${name}: ${e.message}\n--- page: ${page?.url()}\n--- server output (tail):\n${getServer()?.output().slice(-3000)}`;
      throw e;
    }
  };
}

/** Marks the page; `survivedWithoutReload` is true while the page was not reloaded since. */
export async function markNoReload(page: Page): Promise<void> {
  await page.evaluate(() => ((globalThis as unknown as { __noReload: boolean }).__noReload = true));
}
export async function survivedWithoutReload(page: Page): Promise<boolean | undefined> {
  return page.evaluate(() => (globalThis as unknown as { __noReload?: boolean }).__noReload);
}

/** Waits until some element of `locator` contains `text`; the error says what it found instead. */
export async function expectText(locator: Locator, text: string, timeout: number): Promise<void> {
  await locator
    .filter({ hasText: text })
    .first()
    .waitFor({ timeout })
    .catch(async () => {
      const actual = ((await locator.first().textContent().catch(() => null)) ?? '').replace(/\s+/g, ' ').slice(0, 500);
      throw new Error(`expected to see "${text}" in ${locator}, found: "${actual}"`);
    });
}
