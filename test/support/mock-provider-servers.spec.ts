import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ensurePythonVenv, pythonSkipReason } from './python-venv';
import { repoRoot } from './temps-server';
import { MOCK_ANTHROPIC_FINAL, MOCK_ANTHROPIC_GREETING, MOCK_ANTHROPIC_INPUT_USAGE, MOCK_ANTHROPIC_TOOL_INPUT, startMockAnthropicServer } from './mock-anthropic-server';
import { MOCK_GEMINI_FINAL, MOCK_GEMINI_GREETING, MOCK_GEMINI_TOOL_ARGS, MOCK_GEMINI_USAGE, mockGeminiEmbedding, startMockGeminiServer } from './mock-gemini-server';

/**
 * The mocks stand in for Anthropic and Gemini in the gateway's tests, so the providers' own SDKs judge them: the real
 * `anthropic` and `google-genai` Python packages (pinned, in a cached venv) call each mock and must read its answers,
 * streams and errors as they read the real APIs'.
 */
const PACKAGES = ['anthropic==2.17.0', 'google-genai==3.6.1'];
const skipReason = pythonSkipReason(PACKAGES);
const script = join(repoRoot, 'test/fixtures/python/provider_sdks_against_mocks.py');

function runSdk(python: string, provider: string, url: string, key: string): Promise<any> {
  return new Promise((resolve, reject) => {
    // The SDKs also read their own env (ANTHROPIC_AUTH_TOKEN, GOOGLE_API_KEY, ...): only the arguments configure them here.
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(ANTHROPIC_|GOOGLE_|GEMINI_)/.test(k)));
    const child = spawn(python, [script, provider, url, key], { env: { ...env, PYTHONDONTWRITEBYTECODE: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`${provider} SDK run exited with ${code}\n${stdout}\n${stderr}`));
      resolve(JSON.parse(stdout.trim().split('\n').pop()!));
    });
  });
}

const words = (text: string) => text.split(/(?<= )/).length;

if (skipReason) {
  describe('mock provider servers judged by the real provider SDKs', () => {
    it.skip(`skipped: ${skipReason}`, () => undefined);
  });
} else {
  describe('mock provider servers judged by the real provider SDKs (anthropic 2.17.0, google-genai 3.6.1)', () => {
    let python: string;
    beforeAll(async () => {
      python = await ensurePythonVenv(PACKAGES);
    }, 600_000);

    it('the anthropic SDK reads the mock Messages API: text, tools round trip, streams (tool input reassembled), a 429 with Retry-After', async () => {
      const mock = await startMockAnthropicServer();
      try {
        mock.script({ error: { status: 429, type: 'rate_limit_error', message: 'Too many requests', retryAfter: '9' } });
        const out = await runSdk(python, 'anthropic', mock.url, mock.apiKey);
        expect(out.rate_limited).toEqual({ status: 429, retry_after: '9', type: 'rate_limit_error' });
        expect(out.text).toMatchObject({ model: 'claude-haiku-4-5-20251001', text: MOCK_ANTHROPIC_GREETING, stop_reason: 'end_turn' });
        expect(out.text.usage).toMatchObject({ ...MOCK_ANTHROPIC_INPUT_USAGE, output_tokens: MOCK_ANTHROPIC_GREETING.split(' ').length });
        expect(out.tools).toEqual({ stop_reason: 'tool_use', calls: [{ name: 'get_weather', input: MOCK_ANTHROPIC_TOOL_INPUT }], final: MOCK_ANTHROPIC_FINAL });
        expect(out.stream).toEqual({ text: MOCK_ANTHROPIC_GREETING, final_text: MOCK_ANTHROPIC_GREETING, stop_reason: 'end_turn', usage: out.text.usage });
        expect(out.stream_tools).toEqual({ stop_reason: 'tool_use', calls: [{ name: 'get_weather', input: MOCK_ANTHROPIC_TOOL_INPUT }] });
      } finally {
        await mock.close();
      }
    });

    it('the google-genai SDK reads the mock Gemini API: text, function calls round trip, a stream, embeddings, a 429 with RetryInfo', async () => {
      const mock = await startMockGeminiServer();
      try {
        mock.script({ error: { status: 429, grpcStatus: 'RESOURCE_EXHAUSTED', message: 'Quota exceeded', retryDelay: '9s' } });
        const out = await runSdk(python, 'gemini', mock.url, mock.apiKey);
        expect(out.rate_limited).toMatchObject({ status: 429, grpc_status: 'RESOURCE_EXHAUSTED', details: [expect.objectContaining({ retryDelay: '9s' })] });
        const candidates = words(MOCK_GEMINI_GREETING);
        expect(out.text).toEqual({
          text: MOCK_GEMINI_GREETING,
          finish: 'STOP',
          response_id: expect.stringMatching(/^mock-resp-/),
          usage: { prompt: MOCK_GEMINI_USAGE.promptTokenCount, candidates, cached: MOCK_GEMINI_USAGE.cachedContentTokenCount, thoughts: MOCK_GEMINI_USAGE.thoughtsTokenCount, total: MOCK_GEMINI_USAGE.promptTokenCount + candidates + MOCK_GEMINI_USAGE.thoughtsTokenCount },
        });
        expect(out.tools).toEqual({ calls: [{ name: 'get_weather', args: MOCK_GEMINI_TOOL_ARGS }], final: MOCK_GEMINI_FINAL });
        expect(out.stream).toEqual({ text: MOCK_GEMINI_GREETING, chunks: 3, finish: 'STOP', cached: MOCK_GEMINI_USAGE.cachedContentTokenCount });
        expect(out.embeddings).toEqual([mockGeminiEmbedding('a', 4), mockGeminiEmbedding('bc', 4)]);
      } finally {
        await mock.close();
      }
    });
  });
}
