import type { Locator, Page } from 'playwright-core';
import { assertBrowserReady, describeInBrowser, expectText as expectTextWithin, launchDashboardBrowser, markNoReload, screenshots, signIn, stepper, survivedWithoutReload, traceRow, traceRows, type DashboardBrowser } from '../support/dashboard-browser';
import { sendAgentTrace } from '../support/send-spans';
import { eventually, getJson, startServer, type RunningServer } from '../support/temps-server';

/**
 * The AI Activity dashboard in a real browser (Debian chromium driven by playwright-core) against the
 * real `temps serve`, fed by the real OTel exporter. Screenshots land in test/artifacts/ (gitignored).
 */
/** Browser globals inside page.evaluate callbacks (the test tsconfig has no DOM lib). */
declare const document: any; // eslint-disable-line @typescript-eslint/no-explicit-any
declare const window: any; // eslint-disable-line @typescript-eslint/no-explicit-any

const UI_TIMEOUT = 15_000;
const expectText = (locator: Locator, text: string) => expectTextWithin(locator, text, UI_TIMEOUT);

describeInBrowser('AI Activity dashboard in a real browser', () => {
  let server: RunningServer;
  let browser: DashboardBrowser;
  let page: Page;
  let firstTraceId: string;
  let secondTraceId: string;
  const cspViolations: string[] = [];

  const shot = screenshots(() => page, 'dashboard-');
  const row = (traceId: string) => traceRow(page, traceId);
  /** Runs a step; on failure saves a screenshot and adds the server's output to the error. */
  const step = stepper(() => page, () => server, 'dashboard-');

  /** The seed's agent workflow through the real OTel exporter (the exporter rejects with an array of errors). */
  async function send(agentName: string) {
    try {
      return await sendAgentTrace(server.url, server.apiKey, server.projectId, { agentName });
    } catch (err) {
      const errors = (Array.isArray(err) ? err : [err]) as unknown[];
      throw new Error(`the OTel exporter could not send the trace: ${errors.map((e) => (e instanceof Error ? e.message : String(e))).join('; ')}`);
    }
  }

  beforeAll(async () => {
    assertBrowserReady();
    server = await startServer();
    const first = await step('send-first-trace', () => send('research-assistant'));
    firstTraceId = first.traceId;
    await eventually(
      async () => {
        const { body } = await getJson(server, `/api/projects/${server.projectId}/ai/traces`);
        return body.items?.find((t: { traceId: string; spanCount: number }) => t.traceId === firstTraceId && t.spanCount === 4);
      },
      UI_TIMEOUT,
      'the first trace in the query API',
    );

    browser = await launchDashboardBrowser({ timeout: UI_TIMEOUT });
    page = browser.page;
    // Every Content-Security-Policy violation of the whole run: chromium logs each to the console.
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
    });
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('signs in through the Connect form (key kept in the session, never in a URL) and lists the first trace', async () => {
    await step('open', async () => {
      await page.goto(`${server.url}/`);
      await page.waitForURL(`**/projects/${server.projectId}/ai`);
    });
    await step('sign-in', async () => {
      await page.getByTestId('connect-form').waitFor();
      await shot('sign-in');
      await signIn(page, server.apiKey);
    });
    await step('first-trace', async () => {
      const first = row(firstTraceId);
      await first.waitFor();
      await expectText(first, 'invoke_agent research-assistant');
      await expectText(first, 'gpt-4o');
      await expectText(first, '560'); // input tokens, counted once
      await expectText(first, '$0.0027'); // cost from the default gpt-4o price: (560 x 2.5 + 128 x 10) / 1e6 USD
    });
    // The key is in the tab's session storage, not in the address bar nor in local storage.
    expect(page.url()).not.toContain(server.apiKey);
    expect(await page.evaluate(() => sessionStorage.getItem('temps.token'))).toBe(server.apiKey);
    expect(await page.evaluate(() => localStorage.getItem('temps.token'))).toBeNull();
    await step('live', () => page.locator('[data-live-state="live"]').waitFor());
    await page.getByRole('heading', { name: 'AI Activity' }).waitFor();
    await shot('list');
  });

  it('shows a newly sent trace at the top without a reload', async () => {
    // Survives only if the page is not reloaded.
    await markNoReload(page);
    const second = await step('send-second-trace', () => send('travel-planner'));
    secondTraceId = second.traceId;
    await step('live-insert', async () => {
      const r = row(secondTraceId);
      await r.waitFor();
      await expectText(r, 'invoke_agent travel-planner');
      await eventually(async () => ((await r.textContent())?.includes('4 spans') ? true : undefined), UI_TIMEOUT, 'the live row to reach 4 spans');
    });
    const order = await traceRows(page).evaluateAll((rows) => rows.map((r) => r.getAttribute('data-trace-id')));
    expect(order).toEqual([secondTraceId, firstTraceId]);
    expect(await survivedWithoutReload(page)).toBe(true);
    await shot('live');
  });

  it('opens the trace page with the 4-span tree and the span details', async () => {
    await step('open-trace', async () => {
      await row(secondTraceId).getByRole('link', { name: 'invoke_agent travel-planner' }).click();
      await page.waitForURL(`**/projects/${server.projectId}/ai/traces/${secondTraceId}**`);
    });
    const items = page.locator('[data-testid="span-tree"] [role="treeitem"]');
    await step('span-tree', async () => {
      await eventually(async () => ((await items.count()) === 4 ? true : undefined), UI_TIMEOUT, '4 spans in the tree');
    });
    const levels = await items.evaluateAll((rows) => rows.map((r) => r.getAttribute('aria-level')));
    const names = await items.evaluateAll((rows) => rows.map((r) => r.querySelector('.name')?.textContent?.trim()));
    // The agent span is the root; its three children are indented under it. (Their order among
    // themselves is not asserted: the OTel JS SDK stamps starts in whole milliseconds, so siblings
    // started within the same millisecond have equal start times.)
    expect(names[0]).toBe('invoke_agent travel-planner');
    expect(names.slice(1).sort()).toEqual(['chat gpt-4o', 'chat gpt-4o', 'execute_tool search_web']);
    expect(levels).toEqual(['1', '2', '2', '2']);
    const kinds = await items.evaluateAll((rows) => rows.map((r) => r.getAttribute('data-kind')));
    expect(kinds[0]).toBe('agent');
    expect(kinds.slice(1).sort()).toEqual(['generation', 'generation', 'tool']);
    const firstChat = items.filter({ hasText: '150→32' });
    const toolRow = items.filter({ hasText: 'execute_tool search_web' });
    await expectText(firstChat, 'gpt-4o-2024-08-06');

    const summary = page.getByTestId('trace-summary');
    await expectText(summary, 'invoke_agent travel-planner');
    await expectText(summary, 'gpt-4o-2024-08-06');

    // The first chat: the conversation with the tool call it asked for.
    await step('chat-detail', async () => {
      await firstChat.click();
      const detail = page.getByTestId('span-detail');
      await expectText(detail, 'What is new in quantum computing?');
      await expectText(detail.getByTestId('tool-call'), 'search_web');
      await expectText(detail.getByTestId('attributes'), 'gen_ai.request.model');
      await detail.getByTestId('finish-reason').first().waitFor();
    });
    await shot('trace-chat');

    // The tool span: its arguments and result.
    await step('tool-detail', async () => {
      await toolRow.click();
      const tool = page.getByTestId('span-detail').getByTestId('tool-section');
      await expectText(tool, 'quantum computing news');
      await expectText(tool, 'Error-corrected qubits');
    });
    await shot('trace-tool');

    // The root selected again: the view a user lands on.
    await items.nth(0).click();
    await page.getByTestId('span-detail').locator('h2', { hasText: 'invoke_agent travel-planner' }).waitFor();
    await shot('trace');
  });

  it('asks for a key again when the stored one is refused (401)', async () => {
    await page.evaluate(() => sessionStorage.setItem('temps.token', 'tk_not_a_real_key'));
    await page.goto(`${server.url}/projects/${server.projectId}/ai`);
    const form = page.getByTestId('connect-form');
    await step('connect-form', () => form.waitFor());
    await expectText(form, 'not accept');
    await shot('connect');
    await signIn(page, server.apiKey);
    await step('reconnected', () => row(firstTraceId).waitFor());
  });

  it('runs under the server\'s Content-Security-Policy: no violation in any step above, and an injected inline script is refused', async () => {
    const response = await page.goto(`${server.url}/projects/${server.projectId}/ai`);
    const csp = response!.headers()['content-security-policy'] ?? '';
    expect(csp).toMatch(/script-src 'self' 'sha256-/);
    expect(csp).toContain("frame-ancestors 'none'");
    await step('list-under-csp', () => row(firstTraceId).waitFor());
    expect(cspViolations).toEqual([]);
    // The policy is enforced (and a violation would have been seen): a script injected into the page does not run.
    await page.evaluate(() => {
      const el = document.createElement('script');
      el.textContent = 'window.__injected = true';
      document.body.appendChild(el);
    });
    await eventually(async () => (cspViolations.length > 0 ? true : undefined), 5_000, 'the injected script to be refused');
    expect(await page.evaluate(() => window.__injected)).toBeUndefined();
    expect(cspViolations.join('\n')).toMatch(/script-src/);
    cspViolations.length = 0;
  });

  it('signs out from the key menu: the key leaves the session and the Connect form shows', async () => {
    await step('sign-out', async () => {
      await page.getByTitle('API key in use').click();
      await page.getByRole('menuitem', { name: 'Sign out' }).click();
      await page.getByTestId('connect-form').waitFor();
    });
    expect(await page.evaluate(() => sessionStorage.getItem('temps.token'))).toBeNull();
    await expectText(page.getByTestId('connect-form'), 'Signed out');
    await shot('signed-out');
    // A reload stays signed out.
    await page.reload();
    await page.getByTestId('connect-form').waitFor();
  });
});
