import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { MockLlmServer } from './mock-llm-server';
import type { OtlpCaptureServer } from './otlp-capture-server';
import type { RecordedRequest } from './recorded-fixtures';
import { repoRoot } from './temps-server';

/**
 * The real-client recordings: which program runs, with which settings, against the local mock LLM
 * server, exporting to the capture server. JS clients are programs under test/fixtures/js/ and run
 * in their own node process, because instrumentations patch openai through Node's require hook
 * (which jest's module registry bypasses) and register process-wide providers: a child process is
 * exactly how an application loads them. Python clients run in a venv (see python-venv.ts).
 */

/**
 * Python packages, pinned. openai-v2 2.4b0 imports `opentelemetry.util.genai.instruments`, gone in
 * util-genai 1.2b0; openai 3.x moved to httpx2, but the instrumentations still import httpx.
 */
export const PY_OTEL_PACKAGES = [
  'openai==3.57.0',
  'httpx==0.28.1',
  'anthropic==2.14.0',
  'opentelemetry-sdk==1.45.2',
  'opentelemetry-exporter-otlp-proto-http==1.45.2',
  'opentelemetry-instrumentation-openai-v2==2.4b0',
  'opentelemetry-util-genai==1.1b0',
  'opentelemetry-instrumentation-anthropic==0.62.4',
  'openinference-instrumentation-openai==0.1.66',
];
/** traceloop-sdk pulls in contrib instrumentations that must share one opentelemetry-instrumentation release. */
export const PY_TRACELOOP_PACKAGES = [
  'openai==3.57.0',
  'httpx==0.28.1',
  'traceloop-sdk==0.62.4',
  'opentelemetry-api==1.45.1',
  'opentelemetry-sdk==1.45.1',
  'opentelemetry-instrumentation==0.66b1',
  ...['logging', 'redis', 'requests', 'sqlalchemy', 'threading', 'urllib3'].map((i) => `opentelemetry-instrumentation-${i}==0.66b1`),
];

export interface RecordScenario {
  client: string;
  scenario: string;
  language: 'node' | 'python';
  /** The program, relative to test/fixtures/. */
  program: string;
  /** Python only: the venv packages. */
  venv?: string[];
  env: Record<string, string>;
  captureContent: boolean | string;
  description: string;
}

const js = (client: string, scenario: string, program: string, captureContent: boolean, description: string, env: Record<string, string> = {}): RecordScenario => ({
  client,
  scenario,
  language: 'node',
  program: `js/${program}`,
  env: { CAPTURE_CONTENT: String(captureContent), ...env },
  captureContent,
  description,
});

const py = (client: string, scenario: string, program: string, venv: string[], captureContent: boolean | string, env: Record<string, string>, description: string): RecordScenario => ({
  client,
  scenario,
  language: 'python',
  program: `python/${program}`,
  venv,
  env,
  captureContent,
  description,
});

const WEATHER = 'chat with tool call: get_weather(Paris) asked, tool result sent back, final answer';
const seedCapture = (value: string) => ({ OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: value });

export const RECORD_SCENARIOS: RecordScenario[] = [
  js('otel-instrumentation-openai-js', 'chat-tool-call-content', 'otel-openai.mjs', true, `${WEATHER}; content as log records`),
  js('otel-instrumentation-openai-js', 'chat-tool-call-no-content', 'otel-openai.mjs', false, WEATHER),
  js('otel-instrumentation-openai-js', 'chat-tool-call-stream-content', 'otel-openai.mjs', true, `${WEATHER}; streamed`, { STREAM: 'true' }),
  js('otel-instrumentation-openai-js', 'responses-tool-call-content', 'otel-openai-responses.mjs', true, 'Responses API: get_weather(Paris) called, function_call_output sent back, answer; one conversation id'),
  js('otel-instrumentation-openai-js', 'responses-tool-call-no-content', 'otel-openai-responses.mjs', false, 'as responses-tool-call-content, content capture off'),
  js('traceloop-instrumentation-openai-js', 'chat-tool-call-content', 'traceloop-openai.mjs', true, `${WEATHER}; OTLP/JSON`),
  js('traceloop-instrumentation-openai-js', 'chat-tool-call-no-content', 'traceloop-openai.mjs', false, `${WEATHER}; OTLP/JSON`),
  js('ai-sdk-otel', 'tool-loop-content', 'ai-otel.mjs', true, 'generateText with a get_weather tool, 2 steps, MockLanguageModelV3'),
  js('ai-sdk-otel', 'tool-loop-no-content', 'ai-otel.mjs', false, 'as tool-loop-content with recordInputs/recordOutputs false'),
  js('ai-sdk-legacy', 'tool-loop-content', 'ai-legacy.mjs', true, 'generateText tool loop, LegacyOpenTelemetry + experimental_telemetry (ai.* spans), OTLP/JSON'),
  js('ai-sdk-legacy', 'tool-loop-no-content', 'ai-legacy.mjs', false, 'as tool-loop-content with recordInputs/recordOutputs false'),
  py('otel-instrumentation-openai-v2-py', 'seed-capture-true', 'seed_openai_instrumented.py', PY_OTEL_PACKAGES, 'true', seedCapture('true'), 'the seed example verbatim, OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true'),
  py('otel-instrumentation-openai-v2-py', 'seed-capture-false', 'seed_openai_instrumented.py', PY_OTEL_PACKAGES, 'false', seedCapture('false'), 'the seed example verbatim, capture false'),
  py('otel-instrumentation-openai-v2-py', 'seed-span-only', 'seed_openai_instrumented.py', PY_OTEL_PACKAGES, 'SPAN_ONLY', { ...seedCapture('SPAN_ONLY'), OTEL_SEMCONV_STABILITY_OPT_IN: 'gen_ai_latest_experimental' }, 'the seed example verbatim, latest conventions, content on the span'),
  py('otel-instrumentation-openai-v2-py', 'chat-tool-call-event-only', 'openai_v2_with_logs.py', PY_OTEL_PACKAGES, 'EVENT_ONLY', { ...seedCapture('EVENT_ONLY'), OTEL_SEMCONV_STABILITY_OPT_IN: 'gen_ai_latest_experimental' }, `${WEATHER}; logs exporter added, content as log records`),
  py('otel-instrumentation-anthropic-py', 'seed-capture-true', 'seed_anthropic_instrumented.py', PY_OTEL_PACKAGES, 'true', seedCapture('true'), 'the seed example verbatim (OpenLLMetry anthropic instrumentation), capture true'),
  // This library reads only TRACELOOP_TRACE_CONTENT (default true): the seed's variable changes nothing.
  py('otel-instrumentation-anthropic-py', 'seed-capture-false', 'seed_anthropic_instrumented.py', PY_OTEL_PACKAGES, 'false', seedCapture('false'), 'the seed example verbatim, OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=false'),
  py('otel-instrumentation-anthropic-py', 'seed-trace-content-false', 'seed_anthropic_instrumented.py', PY_OTEL_PACKAGES, 'TRACELOOP_TRACE_CONTENT=false', { TRACELOOP_TRACE_CONTENT: 'false' }, 'the seed example verbatim, TRACELOOP_TRACE_CONTENT=false (the switch this library reads)'),
  py('openinference-instrumentation-openai-py', 'chat-tool-call-content', 'openinference_openai.py', PY_OTEL_PACKAGES, true, {}, `${WEATHER}; using_session`),
  py('openinference-instrumentation-openai-py', 'chat-tool-call-no-content', 'openinference_openai.py', PY_OTEL_PACKAGES, false, { OPENINFERENCE_HIDE_INPUTS: 'true', OPENINFERENCE_HIDE_OUTPUTS: 'true' }, `${WEATHER}; inputs and outputs hidden`),
  py('traceloop-sdk-py', 'workflow-chat-tool-call-content', 'traceloop_workflow.py', PY_TRACELOOP_PACKAGES, true, {}, `@workflow around the ${WEATHER}`),
  py('traceloop-sdk-py', 'workflow-chat-tool-call-no-content', 'traceloop_workflow.py', PY_TRACELOOP_PACKAGES, false, { TRACELOOP_TRACE_CONTENT: 'false' }, `@workflow around the ${WEATHER}; TRACELOOP_TRACE_CONTENT=false`),
];

/** Placeholder credentials: they must reach the servers as headers and never appear in a recorded body. */
export const PLACEHOLDER_SECRETS = { otlp: 'tk_recording_placeholder', openai: 'sk-recording-placeholder-openai', anthropic: 'sk-ant-recording-placeholder' };

/** Which placeholder credentials (or bearer headers) appear in recorded bodies: must be none. */
export function secretsIn(requests: readonly RecordedRequest[]): string[] {
  const found = new Set<string>();
  for (const r of requests) {
    const text = r.body.toString('latin1');
    for (const secret of [...Object.values(PLACEHOLDER_SECRETS), 'Bearer ']) if (text.includes(secret)) found.add(secret);
  }
  return [...found];
}

export interface Recording {
  requests: RecordedRequest[];
  versions: Record<string, string>;
  runtime: string;
}

/**
 * Runs one scenario's program against the mock LLM server, exporting to the capture server, and
 * returns the trace and log export requests it sent (metrics are not kept). `python` is the venv
 * interpreter for Python scenarios. The capture server must not be shared by concurrent runs.
 */
export async function recordScenario(s: RecordScenario, servers: { capture: OtlpCaptureServer; llm: MockLlmServer }, python?: string): Promise<Recording> {
  const command = s.language === 'node' ? process.execPath : python;
  if (!command) throw new Error(`${s.client}/${s.scenario}: no python interpreter given`);
  // Only this scenario's settings configure the SDKs: no OTEL_*/TRACELOOP_*/OPENAI_* from the caller's shell.
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(OTEL_|TRACELOOP_|OPENAI_|ANTHROPIC_|OPENINFERENCE_)/.test(k)));
  const env = {
    ...base,
    PYTHONDONTWRITEBYTECODE: '1',
    PYTHONUNBUFFERED: '1',
    TRACELOOP_TELEMETRY: 'false',
    OTLP_BASE: servers.capture.url,
    TEMPS_URL: servers.capture.url,
    TEMPS_API_KEY: PLACEHOLDER_SECRETS.otlp,
    OPENAI_BASE_URL: `${servers.llm.url}/v1`,
    OPENAI_API_KEY: PLACEHOLDER_SECRETS.openai,
    ANTHROPIC_BASE_URL: servers.llm.url,
    ANTHROPIC_API_KEY: PLACEHOLDER_SECRETS.anthropic,
    ...s.env,
  };
  servers.capture.reset();
  const { stdout, stderr } = await new Promise<{ stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(command, [join(repoRoot, 'test/fixtures', s.program)], { env, cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code !== 0) reject(new Error(`${s.program} (${s.client}/${s.scenario}) exited with ${code ?? signal}\nstdout: ${out}\nstderr: ${err}`));
      else resolve({ stdout: out, stderr: err });
    });
  });
  // Exporters log failed exports and still exit 0.
  if (/Failed to export|Exception while exporting|Traceback|OTLPExporterError/.test(stderr)) {
    throw new Error(`${s.client}/${s.scenario}: the exporter reported a problem:\n${stderr}`);
  }
  let versions: Record<string, string>;
  try {
    versions = JSON.parse(stdout.trim().split('\n').pop()!).versions;
  } catch {
    throw new Error(`${s.program} printed no versions JSON on its last line:\n${stdout}\n${stderr}`);
  }
  const requests = servers.capture.requests
    .filter((r) => r.signal === 'traces' || r.signal === 'logs')
    .map((r) => ({ signal: r.signal as RecordedRequest['signal'], encoding: r.encoding, path: r.path, body: r.body }));
  const { python: pythonVersion, ...packages } = versions;
  return { requests, versions: packages, runtime: s.language === 'node' ? `node ${process.version}` : `python ${pythonVersion}` };
}
