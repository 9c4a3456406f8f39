import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { startMockLlmServer, type MockLlmServer } from '../support/mock-llm-server';
import { ensurePythonVenv, pythonSkipReason } from '../support/python-venv';
import { PY_OTEL_PACKAGES } from '../support/record-scenarios';
import { eventually, getJson, repoRoot, startServer, type RunningServer } from '../support/temps-server';

/**
 * The seed's "Python — Auto-Instrumented (OpenAI)" snippet sends to `X-Temps-Project-Id: 2`, verbatim
 * (test/fixtures/python/seed_openai_instrumented.py, real openai + opentelemetry-instrumentation-openai-v2
 * against a local stand-in for the OpenAI API). On a fresh start it behaves as the README says: the export is
 * refused with a message naming the command that creates project 2, and works once that command ran; or
 * a first start with TEMPS_DEFAULT_PROJECT=2 makes project 2 itself.
 */
const skipReason = pythonSkipReason(PY_OTEL_PACKAGES);

function runSnippet(python: string, server: RunningServer, llm: MockLlmServer): Promise<{ stdout: string; stderr: string }> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(OTEL_|OPENAI_)/.test(k)));
  return new Promise((resolve, reject) => {
    const child = spawn(python, [join(repoRoot, 'test/fixtures/python/seed_openai_instrumented.py')], {
      env: {
        ...base,
        PYTHONDONTWRITEBYTECODE: '1',
        PYTHONUNBUFFERED: '1',
        TEMPS_URL: server.url,
        TEMPS_API_KEY: server.apiKey,
        OPENAI_BASE_URL: `${llm.url}/v1`,
        OPENAI_API_KEY: 'sk-placeholder-not-a-key',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code !== 0) reject(new Error(`seed snippet exited with ${code ?? signal}\nstdout: ${stdout}\nstderr: ${stderr}`));
      else resolve({ stdout, stderr });
    });
  });
}

const project2Traces = (server: RunningServer) =>
  eventually(async () => {
    const { status, body } = await getJson(server, '/api/projects/2/ai/traces?limit=50');
    return status === 200 && body.items?.length ? body.items : undefined;
  }, 20_000, 'a trace in project 2');

if (skipReason) {
  describe('the seed OpenAI snippet with X-Temps-Project-Id: 2', () => {
    console.warn(`seed-project-2 e2e skipped: ${skipReason}`);
    it.skip(`skipped: ${skipReason}`, () => undefined);
  });
} else {
  describe('the seed OpenAI snippet with X-Temps-Project-Id: 2 on a fresh start (real Python SDK + openai-v2 instrumentation)', () => {
    let python: string;
    let llm: MockLlmServer;
    const servers: RunningServer[] = [];

    beforeAll(async () => {
      python = await ensurePythonVenv(PY_OTEL_PACKAGES);
      llm = await startMockLlmServer();
    }, 12 * 60_000);
    afterAll(async () => {
      for (const s of servers) await s.stop();
      await llm?.close();
    });

    it('is refused with the command that creates project 2, then arrives once that command ran (no restart)', async () => {
      const server = await startServer();
      servers.push(server);
      expect(server.output()).toContain('project id:      1 (created now)');

      // The OTLP error body itself (what the SDK logs), as a raw export would get it.
      const res = await fetch(`${server.url}/api/otel/v1/traces`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${server.apiKey}`, 'X-Temps-Project-Id': '2', 'Content-Type': 'application/json' },
        body: JSON.stringify({ resourceSpans: [] }),
      });
      expect(res.status).toBe(403);
      expect(((await res.json()) as { message: string }).message).toBe('project 2 does not exist: create it with "temps project create --id 2 --name NAME" (or start a new data dir with TEMPS_DEFAULT_PROJECT=2)');

      const refused = await runSnippet(python, server, llm);
      // The Python exporter logs only "403, reason: Forbidden"; the server's console names the command.
      expect(refused.stderr).toMatch(/Failed to export.*403/s);
      await eventually(async () => (/refused an export: project 2 does not exist: create it with \\?"temps project create --id 2 --name NAME\\?"/.test(server.output()) ? true : undefined), 5000, 'the server console hint');

      const create = spawnSync(process.execPath, [join(repoRoot, 'bin/temps.js'), 'project', 'create', '--id', '2', '--name', 'my-ai-app'], {
        env: { ...process.env, TEMPS_DATA_DIR: server.dataDir },
        encoding: 'utf8',
      });
      expect(create.stderr).toContain('created project 2 "my-ai-app"');
      expect(create.stdout.trim()).toBe('2');

      const accepted = await runSnippet(python, server, llm);
      expect(accepted.stderr).not.toMatch(/Failed to export/);
      const [item] = await project2Traces(server);
      expect(item).toMatchObject({ serviceName: 'my-ai-app', providers: ['openai'], errorCount: 0 });
    }, 180_000);

    it('works at once after a first start with TEMPS_DEFAULT_PROJECT=2', async () => {
      const server = await startServer({ env: { TEMPS_DEFAULT_PROJECT: '2' } });
      servers.push(server);
      expect(server.output()).toContain('project id:      2 (created now)');
      const { stderr } = await runSnippet(python, server, llm);
      expect(stderr).not.toMatch(/Failed to export/);
      const [item] = await project2Traces(server);
      expect(item).toMatchObject({ serviceName: 'my-ai-app', providers: ['openai'], inputTokens: expect.any(Number) });
      const { body } = await getJson(server, '/api/projects');
      expect(body.items.map((p: { id: string }) => p.id)).toEqual(['2']);
    }, 180_000);
  });
}
