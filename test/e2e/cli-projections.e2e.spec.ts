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
    expect(header).toMatch(/^PROJECTION\s+VERSION\s+POSITION\s+HEAD\s+BEHIND \(events\)\s+LAG\s+STATE$/);
    const cells = row!.split(/\s{2,}/);
    expect(cells[0]).toBe('traces');
    expect(cells[1]).toBe('1');
    expect(cells[2]).toBe(cells[3]); // position = head
    expect(cells[4]).toBe('0');
    expect(cells[6]).toBe('caught up');
  });

  it('refuses a data dir without an event store, with a clear message', async () => {
    await expect(temps('/nonexistent-temps-dir', ['projections', 'status'])).rejects.toThrow(/no event store/);
  });
});
