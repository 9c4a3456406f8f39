import { join } from 'node:path';
import { ARTIFACTS, assertBrowserReady, describeInBrowser, expectText, launchDashboardBrowser, signIn, type DashboardBrowser } from '../support/dashboard-browser';
import { startServer, type RunningServer } from '../support/temps-server';

/** The traces page says what retention is in force, in a real browser against the real `temps serve`. */
describeInBrowser('The retention in force on the traces page', () => {
  let server: RunningServer | undefined;
  let browser: DashboardBrowser | undefined;
  beforeAll(() => assertBrowserReady());
  afterEach(async () => {
    await browser?.close();
    await server?.stop();
    browser = undefined;
    server = undefined;
  });

  it('given TEMPS_RETENTION_DAYS=30 and TEMPS_RETENTION_KEEP_USAGE=false, the traces page shows "Kept 30 days" and says in its title that usage goes with the traces', async () => {
    server = await startServer({ env: { TEMPS_RETENTION_DAYS: '30', TEMPS_RETENTION_KEEP_USAGE: 'false' } });
    browser = await launchDashboardBrowser({ timeout: 20_000 });
    const { page } = browser;
    await page.goto(`${server.url}/projects/1/ai`);
    await signIn(page, server.apiKey);
    const line = page.getByTestId('retention');
    await expectText(line, 'Kept 30 days', 20_000);
    expect(await line.getAttribute('title')).toBe('Traces older than 30 days are deleted (TEMPS_RETENTION_DAYS); usage goes with them');
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-retention.png') });
  }, 60_000);

  it('given no retention, the traces page says traces are kept forever', async () => {
    server = await startServer();
    browser = await launchDashboardBrowser({ timeout: 20_000 });
    const { page } = browser;
    await page.goto(`${server.url}/projects/1/ai`);
    await signIn(page, server.apiKey);
    await expectText(page.getByTestId('retention'), 'Kept forever', 20_000);
  }, 60_000);
});
