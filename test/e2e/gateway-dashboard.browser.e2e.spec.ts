import OpenAI from 'openai';
import type { Page } from 'playwright-core';
import { assertBrowserReady, describeInBrowser, expectText, launchDashboardBrowser, screenshots, signIn, traceRow, type DashboardBrowser } from '../support/dashboard-browser';
import { startMockOpenAIProvider, type MockOpenAIProvider } from '../support/mock-openai-provider';
import { startServer, type RunningServer } from '../support/temps-server';

const UI_TIMEOUT = 15_000;

/** The AI Gateway in the dashboard (real browser): the onboarding snippet with this instance's URL, and the Gateway badge. */
describeInBrowser('AI Gateway in the dashboard (real browser; provider: local mock OpenAI server)', () => {
  let server: RunningServer;
  let provider: MockOpenAIProvider;
  let browser: DashboardBrowser;
  let page: Page;
  const shot = screenshots(() => page, 'gateway-');

  beforeAll(async () => {
    assertBrowserReady();
    provider = await startMockOpenAIProvider();
    server = await startServer({ env: { TEMPS_AI_OPENAI_API_KEY: 'sk-dashboard-test', TEMPS_AI_OPENAI_BASE_URL: provider.baseUrl } });
    browser = await launchDashboardBrowser({ timeout: UI_TIMEOUT, colorScheme: 'light' });
    page = browser.page;
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await provider?.close();
  });

  it("shows the seed's gateway snippet on onboarding, then marks gateway calls in the list and on the trace page", async () => {
    await page.goto(`${server.url}/`);
    await signIn(page, server.apiKey);
    await page.getByTestId('empty-state').waitFor();
    await page.getByRole('tab', { name: 'AI Gateway' }).click();
    const snippet = page.getByTestId('snippet');
    await expectText(snippet, `base_url="${server.url}/api/ai/v1"`, UI_TIMEOUT);
    await expectText(snippet, 'model="claude-haiku-4-5"', UI_TIMEOUT);
    await shot('onboarding-snippet');

    const client = new OpenAI({ apiKey: server.apiKey, baseURL: `${server.url}/api/ai/v1`, maxRetries: 0 });
    const { response } = await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Hello!' }] }).withResponse();
    const traceId = response.headers.get('x-temps-trace-id')!;
    const row = traceRow(page, traceId);
    await row.waitFor();
    await row.getByTestId('gateway-badge').waitFor();
    await shot('list');

    await row.locator('a.name').click();
    await page.waitForURL(`**/traces/${traceId}`);
    await page.locator('.ids [data-testid="gateway-badge"]').waitFor();
    await page.locator('[data-testid="span-tree"] [data-testid="gateway-badge"]').waitFor();
    await shot('trace');
  });
});
