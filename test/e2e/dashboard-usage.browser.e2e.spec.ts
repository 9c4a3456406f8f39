import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { ARTIFACTS, assertBrowserReady, describeInBrowser, expectText as expectTextWithin, launchDashboardBrowser, markNoReload, screenshots, signIn, stepper, survivedWithoutReload, traceRows, type DashboardBrowser } from '../support/dashboard-browser';
import { sendConversation, type ConversationTurn } from '../support/send-conversation';
import { sendAgentTrace } from '../support/send-spans';
import { temps } from '../support/server-inspect';
import { eventually, getJson, projectorCaughtUp, repoRoot, startServer, type RunningServer } from '../support/temps-server';

/**
 * Usage, sessions, the project switcher and the mapping report, in a real browser (Debian chromium +
 * playwright-core) against the real `temps serve`, fed by the real OTel exporter. Screenshots land in
 * test/artifacts/dashboard-usage-*.png, first-render timings in test/artifacts/dashboard-usage-timings.json.
 */
const SCREENSHOTS = join(repoRoot, 'docs/screenshots');
const UI_TIMEOUT = 20_000;
const expectText = (locator: Locator, text: string, timeout = UI_TIMEOUT) => expectTextWithin(locator, text, timeout);

/** Conversation A: two OpenAI turns, then an Anthropic call that fails. */
const TRAVEL_ID = 'conv-travel-001';
const TRAVEL: ConversationTurn[] = [
  { question: 'Find me a flight to Lisbon tomorrow', answer: 'There are 3 direct flights to Lisbon tomorrow.', provider: 'openai', model: 'gpt-4o', inputTokens: 120, outputTokens: 40, latencyMs: 300 },
  { question: 'Which one is the cheapest?', answer: 'The 09:40 TAP flight, at 89 EUR.', provider: 'openai', model: 'gpt-4o', inputTokens: 260, outputTokens: 55, latencyMs: 500 },
  { question: 'Book it with my saved card', answer: '', provider: 'anthropic', model: 'claude-sonnet-4-5', inputTokens: 300, outputTokens: 0, latencyMs: 900, error: true },
];
/** Conversation B: one Anthropic turn, with an attribute no dialect knows (the mapping report's gap). */
const RECIPES_ID = 'conv-recipes-002';
const RECIPES: ConversationTurn[] = [{ question: 'A quick vegan dinner idea?', answer: 'A chickpea curry, ready in 20 minutes.', provider: 'anthropic', model: 'claude-sonnet-4-5', inputTokens: 90, outputTokens: 30, latencyMs: 700 }];
const UNMAPPED_KEY = 'gen_ai.brand_new.thing';
/** Sent while the session page is open. */
const LATE_TURN: ConversationTurn = { question: 'Thanks! Add a hotel?', answer: 'Hotel Lisboa Plaza, 2 nights, booked.', provider: 'openai', model: 'gpt-4o', inputTokens: 50, outputTokens: 12 };

// What the exporter sent, counted by hand: 4 LLM calls, 1 failed; tokens in 120+260+300+90, out 40+55+0+30.
const EXPECTED = { calls: 4, errors: 1, inputTokens: 770, outputTokens: 125 };
// Default prices: gpt-4o $2.5/$10 per M -> (380 x 2.5 + 95 x 10) / 1e6; claude-sonnet-4-5 $3/$15 -> (390 x 3 + 30 x 15) / 1e6.
const GPT4O_COST = '$0.0019';
const CLAUDE_COST = '$0.0016';
const TOTAL_COST = '$0.0035';

describeInBrowser('Usage, sessions and projects in a real browser', () => {
  let server: RunningServer;
  let browser: DashboardBrowser;
  let page: Page;
  let travelTraces: string[];
  let recipeTraces: string[];
  let secondProject: string;
  const timings: Record<string, number> = {};

  const shot = screenshots(() => page, 'dashboard-usage-');
  const base = () => `${server.url}/projects/${server.projectId}/ai`;

  /** The big figure of one total (exact text, waited for: the page may still be loading or refreshing). */
  async function expectValue(testid: string, text: string, timeout = UI_TIMEOUT) {
    const v = page.getByTestId(testid).locator('.v');
    await eventually(async () => ((await v.textContent().catch(() => null))?.trim() === text ? true : undefined), timeout, `${testid} to read "${text}"`).catch(async (err) => {
      throw new Error(`${(err as Error).message}; it reads "${(await v.textContent().catch(() => ''))?.trim()}"`);
    });
  }

  /** The page's full width (wider than the viewport: something overflows sideways). */
  const pageWidth = () => page.evaluate(() => (globalThis as unknown as { document: { documentElement: { scrollWidth: number } } }).document.documentElement.scrollWidth);

  const step = stepper(() => page, () => server, 'dashboard-usage-');

  /** Navigates and measures until `ready` shows (the page's first useful render). */
  async function timed(name: string, url: string, ready: Locator) {
    const t0 = Date.now();
    await page.goto(url);
    await ready.waitFor();
    timings[name] = Date.now() - t0;
  }

  beforeAll(async () => {
    assertBrowserReady();
    server = await startServer();
    // A second project, made with the CLI against the same data dir while the server runs.
    secondProject = (await temps(server.dataDir, ['project', 'create', '--name', 'staging-app'])).stdout.trim();
    travelTraces = await sendConversation(server.url, server.apiKey, server.projectId, TRAVEL_ID, TRAVEL, { userId: 'ana' });
    recipeTraces = await sendConversation(server.url, server.apiKey, server.projectId, RECIPES_ID, RECIPES, { userId: 'ben', extraChatAttributes: { [UNMAPPED_KEY]: 'x' } });
    await sendAgentTrace(server.url, server.apiKey, secondProject, { agentName: 'staging-agent' });
    await projectorCaughtUp(server);
    await eventually(
      async () => {
        const { body } = await getJson(server, `/api/projects/${server.projectId}/ai/traces?limit=50`);
        return body.items?.length === 4 ? true : undefined;
      },
      UI_TIMEOUT,
      'the 4 conversation traces in the query API',
    );

    browser = await launchDashboardBrowser({ timeout: UI_TIMEOUT, colorScheme: 'light' });
    page = browser.page;
    // Sign in once through the Connect form.
    await page.goto(`${base()}`);
    await signIn(page, server.apiKey);
    await traceRows(page).first().waitFor();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    if (Object.keys(timings).length) writeFileSync(join(ARTIFACTS, 'dashboard-usage-timings.json'), `${JSON.stringify(timings, null, 2)}\n`);
  });

  it('usage: totals match what was sent, the charts draw, group by provider, instrumentation report', async () => {
    const api = await step('usage-api', () =>
      eventually(async () => {
        const { status, body } = await getJson(server, `/api/projects/${server.projectId}/ai/usage?bucket=hour&groupBy=model&from=${new Date(Date.now() - 86_400_000).toISOString()}`);
        return status === 200 && body.totals?.calls === EXPECTED.calls ? body : undefined;
      }, UI_TIMEOUT, 'usage totals in the API'),
    );
    expect(api.totals).toMatchObject(EXPECTED);

    const totals = page.getByTestId('usage-totals');
    await step('usage-open', () => timed('usageFirstRenderMs', `${base()}/usage`, page.locator('[data-testid="chart-tokens"] canvas').first()));
    await expectValue('total-calls', String(EXPECTED.calls));
    await expectValue('total-errors', String(EXPECTED.errors));
    await expectText(totals.getByTestId('total-errors'), '25% of calls');
    await expectValue('total-input', String(EXPECTED.inputTokens));
    await expectValue('total-output', String(EXPECTED.outputTokens));
    await expectValue('total-cost', TOTAL_COST);
    await expectText(totals.getByTestId('total-latency'), 'ms');

    // Five charts, each a uPlot canvas that actually has ink on it, with a legend naming the models.
    for (const id of ['chart-tokens', 'chart-cost', 'chart-calls', 'chart-errors', 'chart-latency']) {
      const chart = page.getByTestId(id);
      await chart.locator('canvas').first().waitFor();
      await expectText(chart.locator('.u-legend'), 'gpt-4o');
      await expectText(chart.locator('.u-legend'), 'claude-sonnet-4-5');
      expect(await chart.locator('[role="img"]').getAttribute('aria-label')).toMatch(/\w/);
      const inked = await chart.locator('canvas').first().evaluate((el) => {
        // (No DOM lib in the tests' tsconfig: the little of a canvas this needs.)
        type Canvas = { width: number; height: number; getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> } } };
        const c = el as unknown as Canvas;
        const ctx = c.getContext('2d');
        const d = ctx.getImageData(0, 0, c.width, c.height).data;
        let n = 0;
        for (let i = 3; i < d.length; i += 4) if (d[i]! > 0) n++;
        return n;
      });
      expect(inked).toBeGreaterThan(100);
    }
    // Away from the pointer, each legend shows its series' total over the range: what was sent.
    const legendValue = (chart: string, series: string) =>
      page.getByTestId(chart).locator('.u-legend .u-series').filter({ has: page.locator('.u-label', { hasText: new RegExp(`^${series}$`) }) }).locator('.u-value');
    expect(await legendValue('chart-tokens', 'gpt-4o').textContent()).toBe('475'); // 380 in + 95 out
    expect(await legendValue('chart-tokens', 'claude-sonnet-4-5').textContent()).toBe('420'); // 390 + 30
    expect(await legendValue('chart-calls', 'gpt-4o').textContent()).toBe('2');
    expect(await legendValue('chart-cost', 'gpt-4o').textContent()).toBe(GPT4O_COST);
    expect(await legendValue('chart-errors', 'claude-sonnet-4-5').textContent()).toBe('50%');
    const rows = page.getByTestId('usage-group');
    const gpt = rows.filter({ hasText: 'gpt-4o' });
    const claude = rows.filter({ hasText: 'claude-sonnet-4-5' });
    await expectText(gpt, GPT4O_COST);
    expect((await gpt.locator('td').allTextContents()).map((t) => t.trim())).toEqual(['gpt-4o', 'OpenAI', '2', '0', '380', '95', GPT4O_COST]);
    expect((await claude.locator('td').allTextContents()).map((t) => t.trim())).toEqual(['claude-sonnet-4-5', 'Anthropic', '2', '1 (50%)', '390', '30', CLAUDE_COST]);

    // The instrumentation panel: semconv seen, the unknown attribute reported as a gap.
    const instr = page.getByTestId('instrumentation');
    await expectText(instr.getByTestId('dialects'), 'otel-genai');
    await expectText(instr.getByTestId('unmapped-keys'), UNMAPPED_KEY);
    await shot('model');
    await page.getByTestId('usage-charts').scrollIntoViewIfNeeded();
    await shot('full', true);

    await step('group-by-provider', async () => {
      await page.getByTestId('group-by').getByRole('button', { name: 'Provider' }).click();
      await page.waitForURL(/groupBy=provider/);
      await expectText(page.getByTestId('chart-calls').locator('.u-legend'), 'anthropic');
      await eventually(async () => ((await rows.count()) === 2 ? true : undefined), UI_TIMEOUT, 'two provider rows');
    });
    expect((await rows.filter({ hasText: 'OpenAI' }).locator('td').allTextContents()).map((t) => t.trim())).toEqual(['OpenAI', '2', '0', '380', '95', GPT4O_COST]);
    await shot('provider');
  });

  it('usage refreshes live when new calls arrive (throttled)', async () => {
    await page.goto(`${base()}/usage`);
    await expectValue('total-calls', String(EXPECTED.calls));
    await page.locator('[data-live-state="live"]').waitFor();
    await markNoReload(page);
    await sendConversation(server.url, server.apiKey, server.projectId, 'conv-live-003', [
      { question: 'Ping?', answer: 'Pong.', provider: 'openai', model: 'gpt-4o-mini', inputTokens: 10, outputTokens: 2 },
    ]);
    const t0 = Date.now();
    await step('live-usage', async () => {
      await projectorCaughtUp(server, 20_000); // a timeout here is the projection's, after it the live update's
      await expectValue('total-calls', String(EXPECTED.calls + 1), 20_000);
    });
    timings.usageLiveRefreshMs = Date.now() - t0;
    expect(await survivedWithoutReload(page)).toBe(true);
    await expectText(page.getByTestId('chart-calls').locator('.u-legend'), 'gpt-4o-mini');
  });

  it('usage reads well in the dark theme and on a phone', async () => {
    await page.getByTestId('theme-toggle').click();
    expect(await page.locator('html').getAttribute('data-theme')).toBe('dark');
    await page.locator('[data-testid="chart-tokens"] canvas').first().waitFor();
    await page.waitForTimeout(200);
    await shot('dark');
    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForTimeout(300);
    // The chart follows its container's width.
    const width = await page.locator('[data-testid="chart-tokens"] canvas').first().evaluate((c) => c.getBoundingClientRect().width);
    expect(width).toBeLessThan(390);
    expect(width).toBeGreaterThan(250);
    expect(await pageWidth()).toBeLessThanOrEqual(390); // nothing sticks out sideways
    await shot('phone');
    await page.getByTestId('theme-toggle').click();
    await page.setViewportSize({ width: 1440, height: 900 });
  });

  it('sessions: conversations grouped by conversation id, the session page reads the turns in order', async () => {
    await step('sessions-api', () =>
      eventually(async () => {
        const { status, body } = await getJson(server, `/api/projects/${server.projectId}/ai/sessions`);
        return status === 200 && body.items?.some((s: { sessionId: string; traceCount: number }) => s.sessionId === TRAVEL_ID && s.traceCount === 3) ? body : undefined;
      }, UI_TIMEOUT, 'the sessions in the API'),
    );
    const rowOf = (id: string) => page.locator(`[data-testid="session-row"][data-session-id="${id}"]`);
    await step('sessions-open', () => timed('sessionsFirstRenderMs', `${base()}/sessions`, rowOf(TRAVEL_ID)));
    // Newest activity first.
    const order = await page.locator('[data-testid="session-row"]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-session-id')));
    expect(order.indexOf('conv-live-003')).toBeLessThan(order.indexOf(RECIPES_ID));
    expect(order.indexOf(RECIPES_ID)).toBeLessThan(order.indexOf(TRAVEL_ID));
    const travel = rowOf(TRAVEL_ID);
    await expectText(travel, 'invoke_agent support-bot');
    await expectText(travel, 'ana');
    await expectText(travel, '1 error');
    expect((await travel.locator('td').nth(2).textContent())?.trim()).toBe('3');
    await expectText(travel, '680 / 95');
    await page.getByTestId('nav-sessions').waitFor();
    expect(await page.getByTestId('nav-sessions').getAttribute('aria-current')).toBe('page');
    await shot('sessions');
    await page.setViewportSize({ width: 390, height: 844 });
    await expectText(travel, '3');
    expect(await pageWidth()).toBeLessThanOrEqual(390);
    await shot('sessions-phone');
    await page.setViewportSize({ width: 1440, height: 900 });

    await step('session-open', async () => {
      const t0 = Date.now();
      await travel.getByRole('link').first().click();
      await page.waitForURL(`**/ai/sessions/${TRAVEL_ID}`);
      await page.locator('[data-testid="turn-answer"]').nth(1).waitFor();
      timings.sessionFirstRenderMs = Date.now() - t0;
    });
    const turns = page.getByTestId('session-trace');
    expect(await turns.evaluateAll((els) => els.map((e) => e.getAttribute('data-trace-id')))).toEqual(travelTraces);
    await expectText(page.getByTestId('session-trace-count'), '3');
    await expectText(turns.nth(0).getByTestId('turn-question'), TRAVEL[0]!.question);
    await expectText(turns.nth(0).getByTestId('turn-answer'), TRAVEL[0]!.answer);
    await expectText(turns.nth(1).getByTestId('turn-question'), TRAVEL[1]!.question);
    await expectText(turns.nth(1).getByTestId('turn-answer'), TRAVEL[1]!.answer);
    await expectText(turns.nth(2).getByTestId('turn-question'), TRAVEL[2]!.question);
    await expectText(turns.nth(2), 'Error');
    await expectText(turns.nth(2).getByTestId('turn-error'), 'RateLimitError: Rate limit reached for requests');
    await page.mouse.move(1, 1);
    await shot('session');

    // The open session grows live: a fourth turn shows up at the end, its messages read.
    await markNoReload(page);
    const [fourth] = await sendConversation(server.url, server.apiKey, server.projectId, TRAVEL_ID, [LATE_TURN], { userId: 'ana' });
    await step('session-live', async () => {
      await projectorCaughtUp(server, 20_000);
      await eventually(async () => ((await turns.count()) === 4 ? true : undefined), 20_000, 'the fourth turn');
      await expectText(turns.nth(3).getByTestId('turn-answer'), LATE_TURN.answer);
    });
    expect(await turns.nth(3).getAttribute('data-trace-id')).toBe(fourth);
    expect(await survivedWithoutReload(page)).toBe(true);

    // Each turn opens its trace; Esc there goes back to the traces list.
    await step('session-trace-link', async () => {
      await turns.nth(1).getByRole('link', { name: 'invoke_agent support-bot' }).click();
      await page.waitForURL(`**/ai/traces/${travelTraces[1]}**`);
      await page.getByTestId('trace-summary').waitFor();
    });
  });

  it('span details show the mapping report (dialects and unmapped keys)', async () => {
    await page.goto(`${base()}/traces/${recipeTraces[0]}`);
    const chat = page.locator('[data-testid="span-tree"] [role="treeitem"]').filter({ hasText: 'chat claude-sonnet-4-5' });
    await step('select-chat', () => chat.first().click());
    const mapping = page.getByTestId('span-detail').getByTestId('span-mapping');
    await expectText(mapping, 'otel-genai');
    await expectText(mapping.getByTestId('unmapped-key'), UNMAPPED_KEY);
    await mapping.scrollIntoViewIfNeeded();
    await shot('span-mapping');
  });

  it('the project switcher lists the projects and keeps the kind of page', async () => {
    await page.goto(`${base()}/usage?range=7d`);
    await expectValue('total-calls', String(EXPECTED.calls + 2)); // + the live ping and the late turn
    await step('open-switcher', async () => {
      await page.getByTestId('project-switcher').click();
      const menu = page.getByTestId('project-menu');
      await expectText(menu, 'staging-app');
      expect(await menu.getByRole('menuitemradio', { checked: true }).getAttribute('data-project-id')).toBe(server.projectId);
    });
    await shot('switcher');
    await step('switch-usage', async () => {
      // Keyboard: down to the second project, Enter.
      await page.keyboard.press('ArrowDown');
      await page.keyboard.press('Enter');
      await page.waitForURL(`**/projects/${secondProject}/ai/usage?range=7d`);
      // The seed's agent trace: two gpt-4o calls, 150 + 410 input tokens.
      await expectValue('total-calls', '2');
      await expectValue('total-input', '560');
    });
    await expectText(page.getByTestId('project-switcher'), 'staging-app');
    await step('switch-sessions', async () => {
      await page.getByTestId('nav-sessions').click();
      await page.waitForURL(`**/projects/${secondProject}/ai/sessions`);
      await page.getByTestId('sessions-empty').waitFor();
      await page.getByTestId('project-switcher').click();
      await page.getByTestId('project-menu').locator(`[data-project-id="${server.projectId}"]`).click();
      await page.waitForURL(`**/projects/${server.projectId}/ai/sessions`);
      await page.locator(`[data-testid="session-row"][data-session-id="${TRAVEL_ID}"]`).waitFor();
    });
    await step('switch-trace', async () => {
      await page.goto(`${base()}/traces/${travelTraces[0]}`);
      await page.getByTestId('trace-summary').waitFor();
      await page.getByTestId('project-switcher').click();
      await page.getByTestId('project-menu').locator(`[data-project-id="${secondProject}"]`).click();
      // A trace belongs to its project: the other project's trace list opens.
      await page.waitForURL(`**/projects/${secondProject}/ai`);
      await expectText(traceRows(page).first(), 'invoke_agent staging-agent');
    });
  });

  it('a day of traffic: hourly charts over 24 hours (the README screenshot)', async () => {
    // A third project with conversations spread over the last day, a few models, some failures.
    const demo = (await temps(server.dataDir, ['project', 'create', '--name', 'demo'])).stdout.trim();
    const models = [
      { provider: 'openai', model: 'gpt-4o', weight: 3 },
      { provider: 'openai', model: 'gpt-4o-mini', weight: 5 },
      { provider: 'anthropic', model: 'claude-sonnet-4-5', weight: 2 },
    ] as const;
    const hour = 3_600_000;
    const sends: (() => Promise<string[]>)[] = [];
    let calls = 0;
    for (let h = 23; h >= 0; h--) {
      for (const [m, spec] of models.entries()) {
        const n = Math.max(0, Math.round(spec.weight * (1.4 + Math.sin((h + m * 5) / 3.2))));
        if (n === 0) continue;
        const turns: ConversationTurn[] = Array.from({ length: n }, (_, i) => ({
          question: `Question ${i + 1}`,
          answer: `Answer ${i + 1}`,
          provider: spec.provider,
          model: spec.model,
          inputTokens: 400 + ((h * 37 + i * 91 + m * 13) % 900),
          outputTokens: 60 + ((h * 11 + i * 29) % 240),
          latencyMs: 250 + ((h * 53 + i * 71 + m * 200) % 1800),
          error: (h + i + m) % 17 === 0,
        }));
        calls += n;
        const startAt = Date.now() - h * hour - 50 * 60_000;
        sends.push(() => sendConversation(server.url, server.apiKey, demo, `demo-${h}-${m}`, turns, { startAt, spacingMs: 60_000 }));
      }
    }
    // Four senders at a time, as a few app processes would: one key's share of the in-flight requests is a quarter
    // of ingest's (fair ingest), so ~70 exporters at once would get 429s, and a retried-out export drops spans.
    await Promise.all(Array.from({ length: 4 }, async () => {
      for (let next = sends.shift(); next; next = sends.shift()) await next();
    }));
    // Generous: on a loaded machine the (niced) projector may still be catching up with the ~350 conversations.
    // Waited for apart from the page, so that a failure says whether the projection or the page fell short.
    await projectorCaughtUp(server, 120_000);
    const usage = (await getJson(server, `/api/projects/${demo}/ai/usage?from=${new Date(Date.now() - 30 * hour).toISOString()}`)).body;
    expect(usage.totals.calls).toBe(calls);
    await step('demo-usage', async () => {
      await page.goto(`${server.url}/projects/${demo}/ai/usage`);
      await expectValue('total-calls', formatThousands(calls));
      await page.locator('[data-testid="chart-latency"] canvas').first().waitFor();
      await page.waitForTimeout(300);
    });
    await shot('day');
    // The README's screenshots are refreshed on request only, so that a test run leaves the tree clean.
    if (process.env.TEMPS_UPDATE_SCREENSHOTS === '1') {
      mkdirSync(SCREENSHOTS, { recursive: true });
      copyFileSync(join(ARTIFACTS, 'dashboard-usage-day.png'), join(SCREENSHOTS, 'usage.png'));
      copyFileSync(join(ARTIFACTS, 'dashboard-usage-session.png'), join(SCREENSHOTS, 'sessions.png'));
    }
  }, 180_000);
});

const formatThousands = (n: number) => new Intl.NumberFormat('en-US').format(n);
