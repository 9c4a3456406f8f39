import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ensurePythonVenv, pythonSkipReason } from '../support/python-venv';
import { eventually, getJson, repoRoot, startServer, type RunningServer } from '../support/temps-server';

/**
 * The real Python OpenTelemetry SDK is the judge: the seed's Python snippets (test/fixtures/python/)
 * run in a venv with pinned packages (made once in test/.cache/, reused) and export to `temps serve`.
 */
export const OTEL_PYTHON_PACKAGES = ['opentelemetry-sdk==1.45.2', 'opentelemetry-exporter-otlp-proto-http==1.45.2'];
const fixtures = join(repoRoot, 'test/fixtures/python');

// Jest can't skip a test once it runs, so "PyPI unreachable" is decided while collecting.
const skipReason = pythonSkipReason(OTEL_PYTHON_PACKAGES);

interface PythonRun {
  stdout: string;
  stderr: string;
  json: any;
}

/** Runs a fixture script; OTEL_* from the caller's shell are dropped so only `env` configures the SDK. */
function runPython(python: string, script: string, env: Record<string, string>, args: string[] = [], serverLog = () => ''): Promise<PythonRun> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('OTEL_')));
  return new Promise((resolve, reject) => {
    const child = spawn(python, [join(fixtures, script), ...args], {
      env: { ...base, PYTHONDONTWRITEBYTECODE: '1', PYTHONUNBUFFERED: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 45_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`${script} exited with ${code ?? signal}\nstdout: ${stdout}\nstderr: ${stderr}`));
      // The SDK logs export failures (4xx/5xx, connection errors) and still exits 0.
      if (/Failed to export|Transient error|Exception while exporting|Traceback/.test(stderr)) {
        return reject(new Error(`${script}: the Python exporter reported a problem:\n${stderr}\nserver log (tail):\n${serverLog().slice(-3000)}`));
      }
      try {
        resolve({ stdout, stderr, json: JSON.parse(stdout.trim().split('\n').pop()!) });
      } catch {
        reject(new Error(`${script} printed no JSON on its last line:\n${stdout}\n${stderr}`));
      }
    });
  });
}

if (skipReason) {
  describe('the seed Python snippets through the real Python OTel SDK', () => {
    console.warn(`python-sdk e2e skipped: ${skipReason}`);
    it.skip(`skipped: ${skipReason}`, () => undefined);
  });
} else {
  describe('the seed Python snippets through the real Python OTel SDK (opentelemetry-sdk 1.45.2)', () => {
    let python: string;
    let server: RunningServer;

    beforeAll(async () => {
      // The first run creates the venv and pip-installs from PyPI: give it time. Later runs reuse it.
      python = await ensurePythonVenv(OTEL_PYTHON_PACKAGES);
      server = await startServer();
    }, 12 * 60_000);
    afterAll(async () => {
      await server?.stop();
    });

    const listTraces = (query = '') => getJson(server, `/api/projects/1/ai/traces${query}`);
    const waitForTrace = (traceId: string, spanCount: number) =>
      eventually(async () => {
        const { body } = await listTraces('?limit=500');
        return body.items?.find((t: any) => t.traceId === traceId && t.spanCount === spanCount);
      }, 15_000, `trace ${traceId} with ${spanCount} spans`);
    const traceDetail = async (traceId: string) => {
      const { status, body } = await getJson(server, `/api/projects/1/ai/traces/${traceId}`);
      expect(status).toBe(200);
      return body as { trace: any; spans: any[] };
    };

    // One run of the code-configured script serves both tests below.
    let codeConfigured: Promise<PythonRun> | undefined;
    const runCodeConfigured = () =>
      (codeConfigured ??= runPython(python, 'seed_code_configured.py', { TEMPS_URL: server.url, TEMPS_API_KEY: server.apiKey }, [], server.output));

    it('manual instrumentation: the seed chat span, exporter configured in code, arrives as sent', async () => {
      const { json } = await runCodeConfigured();
      const { traceId, spanId } = json.manual;
      expect(traceId).toMatch(/^[0-9a-f]{32}$/);

      const item = await waitForTrace(traceId, 1);
      expect(item).toMatchObject({
        rootSpanName: 'chat gpt-4o',
        serviceName: 'my-ai-app',
        status: 'ok',
        providers: ['openai'],
        models: ['gpt-4o-2024-08-06'],
        inputTokens: 150,
        outputTokens: 320,
        inProgress: false,
      });

      const { spans } = await traceDetail(traceId);
      expect(spans).toHaveLength(1);
      const [chat] = spans;
      expect(chat).toMatchObject({
        spanId,
        parentSpanId: null,
        name: 'chat gpt-4o',
        kind: 'generation',
        spanKind: 'client',
        operation: 'chat',
        provider: 'openai',
        requestModel: 'gpt-4o',
        responseModel: 'gpt-4o-2024-08-06',
        inputTokens: 150,
        outputTokens: 320,
        finishReasons: ['stop'],
        status: 'ok',
        serviceName: 'my-ai-app',
        scopeName: 'my-ai-app',
      });
      // The seed's plain {role, content} JSON strings become the semconv parts shape.
      expect(chat.inputMessages).toEqual([{ role: 'user', parts: [{ type: 'text', content: 'Hello!' }] }]);
      expect(chat.outputMessages).toEqual([{ role: 'assistant', parts: [{ type: 'text', content: 'Hi there!' }] }]);
      // A Python list attribute arrives as an OTLP array value.
      expect(chat.attributes['gen_ai.response.finish_reasons']).toEqual(['stop']);
      expect(chat.resourceAttributes).toMatchObject({ 'service.name': 'my-ai-app', 'telemetry.sdk.language': 'python', 'telemetry.sdk.version': '1.45.2' });
    });

    it('agent workflow: invoke_agent -> chat -> execute_tool -> chat keeps its tree', async () => {
      const { json } = await runCodeConfigured();
      const { traceId, rootSpanId, children } = json.agent as { traceId: string; rootSpanId: string; children: string[] };
      expect(children).toHaveLength(3);

      const item = await waitForTrace(traceId, 4);
      expect(item).toMatchObject({
        rootSpanName: 'invoke_agent research-assistant',
        serviceName: 'my-ai-app',
        spanCount: 4,
        errorCount: 0,
        providers: ['openai'],
        models: ['gpt-4o-2024-08-06'],
        inputTokens: 150 + 410,
        outputTokens: 32 + 96,
        agentNames: ['research-assistant'],
        inProgress: false,
      });

      const { spans } = await traceDetail(traceId);
      expect(spans).toHaveLength(4);
      const byId = new Map(spans.map((s) => [s.spanId, s]));
      expect(byId.get(rootSpanId)).toMatchObject({
        parentSpanId: null,
        name: 'invoke_agent research-assistant',
        kind: 'agent',
        operation: 'invoke_agent',
        agentName: 'research-assistant',
      });
      const [firstChat, tool, finalChat] = children.map((id) => byId.get(id));
      for (const child of [firstChat, tool, finalChat]) expect(child?.parentSpanId).toBe(rootSpanId);
      expect(firstChat).toMatchObject({ name: 'chat gpt-4o', kind: 'generation', requestModel: 'gpt-4o', inputTokens: 150, outputTokens: 32 });
      expect(tool).toMatchObject({ name: 'execute_tool search_web', kind: 'tool', operation: 'execute_tool', toolName: 'search_web' });
      expect(tool.toolCallArguments).toEqual({ query: '...' });
      // The seed's result '{"results": [...]}' is not JSON: it is kept as the string sent, not dropped.
      expect(tool.attributes['gen_ai.tool.call.result']).toBe('{"results": [...]}');
      expect(tool.toolCallResult).toBe('{"results": [...]}');
      expect(finalChat).toMatchObject({ name: 'chat gpt-4o', kind: 'generation', inputTokens: 410, outputTokens: 96, finishReasons: ['stop'] });
    });

    // The seed's "Minimal env-based configuration": OTLPSpanExporter() with no arguments.
    it.each([
      ['as the seed writes it (Bearer<space>tk_...)', 'plain', (key: string) => `Authorization=Bearer ${key},X-Temps-Project-Id=1`, {}],
      ['URL-encoded (Bearer%20tk_...)', 'url-encoded', (key: string) => `Authorization=Bearer%20${key},X-Temps-Project-Id=1`, {}],
      ['URL-encoded, gzip-compressed', 'gzip', (key: string) => `Authorization=Bearer%20${key},X-Temps-Project-Id=1`, { OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip' }],
    ] as const)('env-only configuration, headers %s: the SDK posts to /api/v1/traces', async (_label, agentName, headers, extraEnv) => {
      const { json } = await runPython(
        python,
        'seed_env_only.py',
        {
          OTEL_EXPORTER_OTLP_ENDPOINT: `${server.url}/api`,
          OTEL_EXPORTER_OTLP_HEADERS: headers(server.apiKey),
          OTEL_SERVICE_NAME: 'my-ai-app',
          OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: 'true',
          ...extraEnv,
        },
        [agentName],
        server.output,
      );
      // The SDK appends /v1/traces to OTEL_EXPORTER_OTLP_ENDPOINT itself.
      expect(json.endpoint).toBe(`${server.url}/api/v1/traces`);
      const item = await waitForTrace(json.traceId, 2);
      expect(item).toMatchObject({
        rootSpanName: `invoke_agent ${agentName}`,
        serviceName: 'my-ai-app',
        providers: ['openai'],
        inputTokens: 150,
        outputTokens: 320,
      });
      const { spans } = await traceDetail(json.traceId);
      expect(spans.find((s) => s.parentSpanId === json.spanId)).toMatchObject({ provider: 'openai', responseModel: 'gpt-4o-2024-08-06', status: 'ok' });
    });
  });
}
