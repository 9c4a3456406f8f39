import { temps } from '../support/server-inspect';
import { eventually, getJson, startServer, type RunningServer } from '../support/temps-server';

/** GET /api/projects: what the dashboard's project switcher lists. */
describe('GET /api/projects', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('lists the projects the key may read, with their names; 401 without a valid key; a scoped key sees its own', async () => {
    const second = (await temps(server.dataDir, ['project', 'create', '--name', 'staging-app'])).stdout.trim();
    const all = await eventually(async () => {
      const r = await getJson(server, '/api/projects');
      return r.status === 200 && r.body.items?.length === 2 ? r : undefined;
    });
    expect(all.body.items).toEqual([
      { id: '1', name: expect.any(String) },
      { id: second, name: 'staging-app' },
    ]);

    expect((await fetch(`${server.url}/api/projects`)).status).toBe(401);
    const unknown = await getJson(server, '/api/projects', 'tk_not_a_key_0123456789abcdef');
    expect(unknown.status).toBe(401);
    expect(unknown.body.message).toMatch(/unknown or revoked API key/);

    const scoped = (await temps(server.dataDir, ['api-key', '--name', 'staging-viewer', '--role', 'viewer', '--project', second])).stdout.match(/tk_[A-Za-z0-9_-]+/)![0];
    const seen = await eventually(async () => {
      const r = await getJson(server, '/api/projects', scoped);
      return r.status === 200 ? r : undefined;
    });
    expect(seen.body.items).toEqual([{ id: second, name: 'staging-app' }]);

    const dt = (await temps(server.dataDir, ['deployment-token', '--project', second, '--environment', 'prod', '--deployment', 'web-1'])).stdout.match(/dt_[A-Za-z0-9_-]+/)![0];
    const byToken = await eventually(async () => {
      const r = await getJson(server, '/api/projects', dt);
      return r.status !== 401 ? r : undefined;
    });
    expect(byToken.status).toBe(403);
  });
});
