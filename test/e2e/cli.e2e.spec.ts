import { sendAgentTrace } from '../support/send-spans';
import { temps } from '../support/server-inspect';
import { eventually, getJson, startServer, type RunningServer } from '../support/temps-server';

/** `temps projections status` reads the same data dir as a running server and tells where each projection stands. */
describe('temps projections status', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('shows the trace projection caught up with the log after a trace was ingested', async () => {
    const { traceId } = await sendAgentTrace(server.url, server.apiKey, '1');
    await eventually(async () => ((await getJson(server, `/api/projects/1/ai/traces/${traceId}`)).body?.spans?.length === 4 ? true : undefined));
    // The projector commits its checkpoint with the documents: caught up once the trace is visible.
    const status = await eventually(async () => {
      const { stdout } = await temps(server.dataDir, ['projections', 'status']);
      return /caught up/.test(stdout) ? stdout : undefined;
    }, 10_000, 'a caught-up status');
    const [header, row] = status.trim().split('\n');
    expect(header).toMatch(/^PROJECTION\s+VERSION\s+BUILD\s+POSITION\s+HEAD\s+BEHIND \(events\)\s+LAG\s+STATE$/);
    const cells = row!.split(/\s{2,}/);
    expect(cells.slice(0, 3)).toEqual(['traces', '3', 'traces_v3']);
    expect(cells[3]).toBe(cells[4]); // position = head
    expect(cells[5]).toBe('0');
    expect(cells[7]).toBe('caught up');
    // the running server's projector holds the lease
    expect(status).toMatch(/^traces lease: held by \S+:\d+:\S+ \(epoch 1, expires in \d+\.\d s unless renewed\)$/m);
  });

  it('refuses a data dir without an event store, with a clear message', async () => {
    await expect(temps('/nonexistent-temps-dir', ['projections', 'status'])).rejects.toThrow(/no event store/);
  });
});

/** Projects are events too: the seed's snippets use project 2, which `temps project create` makes. */
describe('temps project', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('creates the next project, which a running server accepts at once, and refuses a duplicate id', async () => {
    const before = await fetch(`${server.url}/api/otel/v1/traces`, {
      method: 'POST',
      body: Buffer.alloc(0),
      headers: { 'Content-Type': 'application/x-protobuf', Authorization: `Bearer ${server.apiKey}`, 'X-Temps-Project-Id': '2' },
    });
    expect(before.status).toBe(403);

    const { stdout } = await temps(server.dataDir, ['project', 'create', '--name', 'my-ai-app']);
    expect(stdout.trim()).toBe('2');
    await expect(temps(server.dataDir, ['project', 'create', '--name', 'again', '--id', '2'])).rejects.toThrow(/already exists/);
    expect((await temps(server.dataDir, ['project', 'list'])).stdout).toMatch(/^2\s+my-ai-app/m);

    const { traceId } = await sendAgentTrace(server.url, server.apiKey, '2');
    await eventually(async () => ((await getJson(server, `/api/projects/2/ai/traces/${traceId}`)).status === 200 ? true : undefined));
    expect((await getJson(server, `/api/projects/1/ai/traces/${traceId}`)).status).toBe(404);
  });
});
