import { io, type Socket } from 'socket.io-client';
import { sendAgentTrace } from '../support/send-spans';
import { createApiKey, temps } from '../support/server-inspect';
import { eventually, startServer, type RunningServer } from '../support/temps-server';

/**
 * A live socket follows its key: revoked with the real CLI (another process, writing to the same store)
 * while a real socket.io client is connected, the socket is disconnected by the server within a second and
 * receives no further trace.updated; a socket of another key keeps receiving them.
 */
describe('live sockets re-check their credential', () => {
  let server: RunningServer;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    server = await startServer();
  }, 60_000);
  afterAll(async () => {
    for (const s of sockets) s.close();
    await server?.stop();
  });

  function connect(token: string): Promise<Socket> {
    const socket = io(server.url, { auth: { token, projectId: server.projectId }, transports: ['websocket'], reconnection: false });
    sockets.push(socket);
    return new Promise((resolve, reject) => (socket.once('connect', () => resolve(socket)), socket.once('connect_error', reject)));
  }

  it('disconnects a socket within 1 s of its key being revoked by the CLI, and it gets no further trace.updated', async () => {
    const viewer = await createApiKey(server.dataDir, 'live viewer', 'viewer', server.projectId);
    const revoked = await connect(viewer.secret);
    const control = await connect(server.apiKey);
    const seen: { revoked: string[]; control: string[] } = { revoked: [], control: [] };
    revoked.on('trace.updated', (item: { traceId: string }) => seen.revoked.push(item.traceId));
    control.on('trace.updated', (item: { traceId: string }) => seen.control.push(item.traceId));

    // Both sockets are live before the revocation.
    const before = await sendAgentTrace(server.url, server.apiKey, server.projectId, { agentName: 'before' });
    await eventually(async () => (seen.revoked.includes(before.traceId) && seen.control.includes(before.traceId) ? true : undefined), 15_000, 'trace.updated on both sockets');

    let disconnectedAt = 0;
    let reason = '';
    revoked.on('disconnect', (r) => ((disconnectedAt = Date.now()), (reason = r)));
    const revokeStarted = Date.now();
    await temps(server.dataDir, ['api-key', 'revoke', viewer.keyId]);
    const revokedAt = Date.now(); // the CLI has committed the revocation and exited

    await eventually(async () => (disconnectedAt ? true : undefined), 5_000, 'the revoked socket to be disconnected');
    expect(reason).toBe('io server disconnect');
    expect(disconnectedAt).toBeGreaterThanOrEqual(revokeStarted);
    expect(disconnectedAt - revokedAt).toBeLessThan(1_000);

    // Later updates reach the other key's socket only.
    const countBefore = seen.revoked.length;
    const after = await sendAgentTrace(server.url, server.apiKey, server.projectId, { agentName: 'after' });
    await eventually(async () => (seen.control.includes(after.traceId) ? true : undefined), 15_000, 'trace.updated on the control socket');
    await new Promise((r) => setTimeout(r, 300));
    expect(seen.revoked).toHaveLength(countBefore);
    expect(seen.revoked).not.toContain(after.traceId);
    expect(control.connected).toBe(true);

    // And the revoked key cannot come back.
    await expect(connect(viewer.secret)).rejects.toThrow(/unauthorized/);
  }, 60_000);
});
