import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { temps } from '../support/server-inspect';
import { eventually, getJson, projectorCaughtUp, repoRoot, startServer, type RunningServer } from '../support/temps-server';

/** `temps demo` and `temps demo --remove` against a running `temps serve`, as a newcomer types them. */
describe('temps demo', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  const tracesOf = async (projectId: string) => (await getJson(server, `/api/projects/${projectId}/ai/traces?limit=50`)).body.items as any[];

  it('sends the demo through the OTLP endpoint with a key of its own (revoked after), and --remove deletes the demo project', async () => {
    const { stdout } = await temps(server.dataDir, ['demo', '--url', server.url]);
    expect(stdout).toMatch(/^sent 8 demo traces \(16 spans\) to http:\/\/127\.0\.0\.1:\d+\/api\/otel\/v1\/traces, project demo \(created now\)$/m);
    // Every span was acknowledged (the CLI checks each answer): once the projector has caught up, all 8 are there.
    await projectorCaughtUp(server);
    const items = await tracesOf('demo');
    expect(items).toHaveLength(8);
    expect(new Set(items.map((t) => t.serviceName))).toEqual(new Set(['temps-demo']));
    expect(items.filter((t) => t.errorCount > 0).map((t) => t.rootSpanName)).toEqual(['chat claude-sonnet-4']);
    expect(items.map((t) => t.rootSpanName)).toEqual(expect.arrayContaining(['invoke_agent research-assistant', 'chat gpt-4o-mini', 'ai.generateText', 'weather-turn']));
    const sessions = (await getJson(server, '/api/projects/demo/ai/sessions')).body.items;
    expect(sessions).toHaveLength(1);
    expect(sessions[0].traceCount).toBe(3);
    // Project 1 is untouched.
    expect(await tracesOf('1')).toEqual([]);

    // The run's key: made for the demo project only, and revoked.
    const keys = (await temps(server.dataDir, ['api-key', 'list'])).stdout;
    expect(keys).toMatch(/member\s+temps demo \(revoked after the run\)\s+projects=demo\s+revoked /);

    const removed = await temps(server.dataDir, ['demo', '--remove']);
    expect(removed.stdout.trim()).toBe('removed demo project demo (its events stay in the event log; no key can reach it)');
    await eventually(async () => ((await getJson(server, '/api/projects/demo/ai/traces')).status === 403 ? true : undefined), 5_000, 'demo project gone');
    expect((await getJson(server, '/api/projects')).body.items.map((p: any) => p.id)).toEqual(['1']);

    // A later demo gets a new project: the old one's rows never come back.
    const again = await temps(server.dataDir, ['demo', '--url', server.url]);
    expect(again.stdout).toMatch(/project demo-2 \(created now\)/);
    await projectorCaughtUp(server);
    expect(await tracesOf('demo-2')).toHaveLength(8);
    expect((await temps(server.dataDir, ['demo', '--remove'])).stdout).toMatch(/removed demo project demo-2/);
    expect((await temps(server.dataDir, ['demo', '--remove'])).stdout.trim()).toBe('no demo project to remove');
  }, 60_000);

  it('says what to do when no server answers', async () => {
    await expect(temps(server.dataDir, ['demo', '--url', 'http://127.0.0.1:9'])).rejects.toThrow(/no temps server answers at http:\/\/127\.0\.0\.1:9: start one \("npm start"\) or pass --url/);
  });
});

describe('temps --help', () => {
  it('lists every command, each with an example', async () => {
    const { stdout } = await temps('/nonexistent-temps-dir', ['--help']);
    const commands = [...readFileSync(join(repoRoot, 'apps/cli/src/main.ts'), 'utf8').matchAll(/^\s+case '([a-z-]+)':/gm)].map((m) => m[1]!).filter((c) => !c.startsWith('-'));
    expect(commands).toEqual(expect.arrayContaining(['serve', 'api-key', 'deployment-token', 'prices', 'projections', 'project', 'demo']));
    const [usage, examples] = stdout.split(/^Examples.*$/m);
    expect(examples).toBeDefined();
    for (const command of commands) {
      expect(usage).toMatch(new RegExp(`^  temps ${command}\\b`, 'm'));
      if (command !== 'help') expect(examples).toMatch(new RegExp(`\\btemps ${command}\\b`));
    }
  });
});
