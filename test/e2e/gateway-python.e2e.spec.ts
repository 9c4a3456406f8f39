import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startMockOpenAIProvider, PROVIDER_ANSWER, PROVIDER_TOOL_CALL, type MockOpenAIProvider } from '../support/mock-openai-provider';
import { ensurePythonVenv, pythonSkipReason } from '../support/python-venv';
import { PY_OTEL_PACKAGES } from '../support/record-scenarios';
import { eventually, getJson, repoRoot, startServer, type RunningServer } from '../support/temps-server';

const run = promisify(execFile);
/** The Python openai package, pinned like the recorded fixtures' (test/support/record-scenarios.ts). */
const PACKAGES = ['openai==3.57.0'];
const skipReason = pythonSkipReason(PACKAGES) ?? pythonSkipReason(PY_OTEL_PACKAGES);

if (skipReason) {
  describe('AI Gateway through the Python openai client', () => {
    console.warn(`gateway Python e2e skipped: ${skipReason}`);
    it.skip(`skipped: ${skipReason}`, () => undefined);
  });
} else {
  describe('AI Gateway through the real Python openai client (the seed snippet; provider: local mock OpenAI server)', () => {
    let python: string;
    let instrumented: string;
    let server: RunningServer;
    let provider: MockOpenAIProvider;

    beforeAll(async () => {
      python = await ensurePythonVenv(PACKAGES);
      instrumented = await ensurePythonVenv(PY_OTEL_PACKAGES);
      provider = await startMockOpenAIProvider();
      server = await startServer({ env: { TEMPS_AI_OPENAI_API_KEY: 'sk-python-test-provider-key', TEMPS_AI_OPENAI_BASE_URL: provider.baseUrl } });
    }, 12 * 60_000);
    afterAll(async () => {
      await server?.stop();
      await provider?.close();
    });

    it('answers non-streaming, streaming (with usage when asked) and tool calls, and raises the provider 429 with Retry-After', async () => {
      const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('OPENAI_')));
      const { stdout } = await run(python, [join(repoRoot, 'test/fixtures/python/gateway_client.py')], {
        env: { ...base, TEMPS_URL: server.url, TEMPS_API_KEY: server.apiKey, PYTHONDONTWRITEBYTECODE: '1' },
        timeout: 60_000,
      });
      const out = JSON.parse(stdout.trim().split('\n').pop()!);
      expect(out).toEqual({
        text: PROVIDER_ANSWER,
        usage: [20, 7],
        streamed: PROVIDER_ANSWER,
        stream_usage: [20, 7],
        tool_call: [PROVIDER_TOOL_CALL.name, PROVIDER_TOOL_CALL.arguments],
        error: [429, '7', 'mock provider says 429'],
      });
      expect(provider.requests.filter((r) => r.path === '/v1/chat/completions')).toHaveLength(4);
    });

    it("the seed's openai-v2 instrumentation through the gateway: one trace, the gateway span under the client's, tokens counted once", async () => {
      const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('OPENAI_') && !k.startsWith('OTEL_')));
      const usageBefore = (await getJson(server, '/api/projects/1/ai/usage')).body;
      const { stdout } = await run(instrumented, [join(repoRoot, 'test/fixtures/python/gateway_openai_v2.py')], {
        env: { ...base, TEMPS_URL: server.url, TEMPS_API_KEY: server.apiKey, PYTHONDONTWRITEBYTECODE: '1' },
        timeout: 60_000,
      });
      const out = JSON.parse(stdout.trim().split('\n').pop()!);
      const detail = await eventually(async () => {
        const { body } = await getJson(server, `/api/projects/1/ai/traces/${out.trace_id}`);
        return body?.spans?.length === 2 ? body : undefined;
      }, 20_000, "the client's span and the gateway's in one trace");
      const client = detail.spans.find((s: any) => s.spanId === out.span_id);
      const gateway = detail.spans.find((s: any) => s.attributes['temps.gateway'] === true);
      expect(client).toMatchObject({ operation: 'chat', provider: 'openai', responseId: out.id, inputTokens: 20, outputTokens: 7, serviceName: 'my-ai-app' });
      expect(gateway).toMatchObject({ parentSpanId: out.span_id, responseId: out.id, inputTokens: 20, outputTokens: 7 });
      expect(detail.trace).toMatchObject({ inputTokens: 20, outputTokens: 7, gateway: true });
      const usage = await eventually(async () => {
        const { body } = await getJson(server, '/api/projects/1/ai/usage');
        return body.totals.inputTokens !== usageBefore.totals.inputTokens ? body : undefined;
      }, 20_000, 'usage to change');
      expect(usage.totals.inputTokens - usageBefore.totals.inputTokens).toBe(20);
      expect(usage.totals.outputTokens - usageBefore.totals.outputTokens).toBe(7);
    });
  });
}
