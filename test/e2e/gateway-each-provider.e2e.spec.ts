import { statSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { join } from 'node:path';
import OpenAI from 'openai';
import type { ModelPriceSetData } from '@temps/domain';
import { DEFAULT_PRICES } from '../../apps/cli/src/default-prices';
import { startMockAnthropicServer, type MockAnthropicServer } from '../support/mock-anthropic-server';
import { startMockGeminiServer, type MockGeminiServer } from '../support/mock-gemini-server';
import { PROVIDER_USAGE, startMockOpenAIProvider, type MockOpenAIProvider } from '../support/mock-openai-provider';
import { eventually, getJson, startServer, type RunningServer } from '../support/temps-server';

/**
 * One call per provider the gateway knows, through the real `openai` Node client, each configured only by its
 * TEMPS_AI_<PROVIDER>_API_KEY / _BASE_URL: the six OpenAI-compatible ones against one local mock OpenAI server
 * (each with its own key, so the key says which provider a request was routed as), Anthropic and Gemini against
 * their local mock servers. Each call must reach its provider as that provider expects (path, auth header) and
 * show up in AI Activity with its provider, models, tokens and cost.
 */
describe('AI Gateway: one call per provider in AI Activity (real openai Node client; providers: local mock servers)', () => {
  let server: RunningServer;
  let openaiMock: MockOpenAIProvider;
  let anthropic: MockAnthropicServer;
  let gemini: MockGeminiServer;
  let client: OpenAI;

  const key = (env: string) => `sk-${env.toLowerCase()}-env-key-0123456789`;
  const COMPATIBLE = ['OPENAI', 'AZURE_OPENAI', 'XAI', 'MISTRAL', 'DEEPSEEK', 'GROQ'] as const;

  beforeAll(async () => {
    openaiMock = await startMockOpenAIProvider();
    anthropic = await startMockAnthropicServer();
    gemini = await startMockGeminiServer();
    const env: Record<string, string> = {
      TEMPS_SECRETS_KEY: '', // the generated key file, whatever this shell has
      TEMPS_AI_ANTHROPIC_API_KEY: anthropic.apiKey,
      TEMPS_AI_ANTHROPIC_BASE_URL: anthropic.url,
      TEMPS_AI_GOOGLE_API_KEY: gemini.apiKey,
      TEMPS_AI_GOOGLE_BASE_URL: gemini.url,
    };
    for (const p of COMPATIBLE) {
      env[`TEMPS_AI_${p}_API_KEY`] = key(p);
      env[`TEMPS_AI_${p}_BASE_URL`] = openaiMock.baseUrl; // OpenAI's convention: ends in /v1
    }
    server = await startServer({ env });
    client = new OpenAI({ apiKey: server.apiKey, baseURL: `${server.url}/api/ai/v1`, maxRetries: 0 });
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
    await openaiMock?.close();
    await anthropic?.close();
    await gemini?.close();
  });

  /** What the span should cost at the shipped price it was priced with (reasoning billed as output: no entry prices it apart). */
  const expectedCost = (span: any, price: ModelPriceSetData['perMillionTokens']) => {
    const read = span.cacheReadInputTokens ?? 0;
    const write = span.cacheCreationInputTokens ?? 0;
    const uncached = span.inputTokens - read - write;
    return (uncached * price.input + read * (price.cachedInputRead ?? price.input) + write * (price.cacheWrite ?? price.input) + span.outputTokens * price.output) / 1e6;
  };

  it('writes the secrets key file with mode 0600 at the first start and says so', () => {
    const path = join(server.dataDir, 'secrets.key');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(server.output()).toContain(`secrets key:     generated ${path} (mode 0600)`);
  });

  /** What a mock recorded of one request: all three record path (with query), headers and body. */
  type Seen = { path: string; headers: IncomingHttpHeaders; body: any };
  const openaiCompatible = (id: string, env: string, model: string, otelProvider: string, requestModel: string, pricedBy: string | null) => ({
    id,
    model,
    otelProvider,
    requestModel,
    pricedBy,
    requests: (): Seen[] => openaiMock.requests,
    checkUpstream: (up: Seen) => {
      expect(up.path).toBe('/v1/chat/completions'); // {base}/chat/completions, the base in OpenAI's convention
      expect(up.body.model).toBe(requestModel); // without a provider/ prefix
      // Azure takes its key in `api-key`, the others as a bearer token
      if (id === 'azure_openai') {
        expect(up.headers['api-key']).toBe(key(env));
        expect(up.headers.authorization).toBeUndefined();
      } else expect(up.headers.authorization).toBe(`Bearer ${key(env)}`);
    },
  });
  const cases = [
    openaiCompatible('openai', 'OPENAI', 'gpt-4o', 'openai', 'gpt-4o', 'openai'),
    // priced at OpenAI's list price for gpt-4o (the publisher's price for a model Azure serves)
    openaiCompatible('azure_openai', 'AZURE_OPENAI', 'azure_openai/gpt-4o', 'azure.ai.openai', 'gpt-4o', 'openai'),
    openaiCompatible('xai', 'XAI', 'grok-4', 'x_ai', 'grok-4', 'x_ai'),
    openaiCompatible('mistral', 'MISTRAL', 'mistral-large-latest', 'mistral_ai', 'mistral-large-latest', 'mistral_ai'),
    openaiCompatible('deepseek', 'DEEPSEEK', 'deepseek-chat', 'deepseek', 'deepseek-chat', 'deepseek'),
    // Groq serves open models: no shipped price, so no cost (null, not 0)
    openaiCompatible('groq', 'GROQ', 'groq/llama-3.3-70b-versatile', 'groq', 'llama-3.3-70b-versatile', null),
    {
      id: 'anthropic',
      model: 'claude-haiku-4-5',
      otelProvider: 'anthropic',
      requestModel: 'claude-haiku-4-5',
      pricedBy: 'anthropic',
      requests: (): Seen[] => anthropic.requests,
      checkUpstream: (up: Seen) => {
        expect(up.path).toBe('/v1/messages'); // {base}/v1/messages: Anthropic's base URL has no /v1
        expect(up.headers['x-api-key']).toBe(anthropic.apiKey);
      },
    },
    {
      id: 'google',
      model: 'gemini-2.5-flash',
      otelProvider: 'gcp.gemini',
      requestModel: 'gemini-2.5-flash',
      pricedBy: 'gcp.gemini',
      requests: (): Seen[] => gemini.requests,
      checkUpstream: (up: Seen) => {
        expect(up.path).toBe('/v1beta/models/gemini-2.5-flash:generateContent'); // Google's base URL is the API root
        expect(up.headers['x-goog-api-key']).toBe(gemini.apiKey);
      },
    },
  ];

  it.each(cases)('$id: $model is routed there and shows up with its provider, models, tokens and cost', async ({ model, otelProvider, requestModel, pricedBy, requests, checkUpstream }) => {
    const before = requests().length;
    const { data, response } = await client.chat.completions.create({ model, messages: [{ role: 'user', content: 'Hello!' }] }).withResponse();
    expect(requests().length).toBe(before + 1); // exactly one upstream call
    const up = requests().at(-1)!;
    checkUpstream(up);
    if (requests() === openaiMock.requests) expect(data.usage).toMatchObject({ prompt_tokens: PROVIDER_USAGE.prompt_tokens, completion_tokens: PROVIDER_USAGE.completion_tokens });
    expect(JSON.stringify(up.headers)).not.toContain(server.apiKey); // the tk_ key stays with the gateway

    const traceId = response.headers.get('x-temps-trace-id')!;
    const detail = await eventually(async () => {
      const { status, body } = await getJson(server, `/api/projects/1/ai/traces/${traceId}`);
      return status === 200 ? body : undefined;
    }, 15_000, `trace ${traceId} (${model})`);
    const span = detail.spans[0];
    // the tokens the client was told are the tokens counted
    expect(detail.trace).toMatchObject({ providers: [otelProvider], models: [data.model], inputTokens: data.usage!.prompt_tokens, outputTokens: data.usage!.completion_tokens, gateway: true });
    expect(span).toMatchObject({ provider: otelProvider, requestModel, responseModel: data.model, responseId: data.id, inputTokens: data.usage!.prompt_tokens, outputTokens: data.usage!.completion_tokens });
    expect(span.cacheReadInputTokens ?? 0).toBe(data.usage!.prompt_tokens_details?.cached_tokens ?? 0);

    if (pricedBy === null) {
      expect(span.cost).toBeNull();
      expect(detail.trace.cost).toBeNull();
      return;
    }
    expect(span.cost.pricedAs.provider).toBe(pricedBy);
    const price = DEFAULT_PRICES.find((p) => p.provider === span.cost.pricedAs.provider && p.model === span.cost.pricedAs.model && p.effectiveFrom === span.cost.pricedAs.effectiveFrom);
    expect(price).toBeDefined();
    expect(requestModel.startsWith(price!.model)).toBe(true); // the model's own price (dated or -latest suffix dropped)
    const cost = expectedCost(span, price!.perMillionTokens);
    expect(cost).toBeGreaterThan(0);
    expect(span.cost.total).toBeCloseTo(cost, 12);
    expect(detail.trace.cost).toBeCloseTo(cost, 12);
  });
});
