import 'reflect-metadata';
import { queryApiDocument } from '../../apps/projector/src/query-api';
import { getJson, startServer, type RunningServer } from '../support/temps-server';

type Operation = { parameters: { name: string; in: string; required: boolean; schema: { enum?: string[] } }[]; responses: Record<string, unknown>; security?: unknown[] };

/** The documented paths with `{projectId}` = 1 and any other id unknown. */
const concrete = (path: string) => path.replace('{projectId}', '1').replace(/\{[A-Za-z]+\}/g, 'no-such-id');

describe('the query API described by OpenAPI: GET /api/openapi.json on the built server', () => {
  let server: RunningServer;
  let doc: { openapi: string; paths: Record<string, { get: Operation }>; components: { securitySchemes: Record<string, unknown> } };

  beforeAll(async () => {
    server = await startServer();
    const res = await fetch(`${server.url}/api/openapi.json`); // no key: the document is public
    expect(res.status).toBe(200);
    doc = (await res.json()) as typeof doc;
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('serves the OpenAPI 3.1 document the source builds, with the bearer key scheme', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc).toEqual(JSON.parse(JSON.stringify(queryApiDocument())));
    expect(doc.components.securitySchemes.apiKey).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/api/projects',
        '/api/projections',
        '/api/projects/{projectId}/ai/traces',
        '/api/projects/{projectId}/ai/traces/{traceId}',
        '/api/projects/{projectId}/ai/sessions',
        '/api/projects/{projectId}/ai/sessions/{sessionId}',
        '/api/projects/{projectId}/ai/usage',
        '/api/projects/{projectId}/ai/mapping',
        '/api/projects/{projectId}/ai/metrics',
      ]),
    );
  });

  it('every documented route exists and answers as documented: 200 (or 404 for an unknown id), 401 without a key', async () => {
    for (const [path, { get }] of Object.entries(doc.paths)) {
      const required = get.parameters.filter((p) => p.in === 'query' && p.required).map((p) => `${p.name}=${p.schema.enum![0]}`);
      const url = concrete(path) + (required.length ? `?${required.join('&')}` : '');
      const { status } = await getJson(server, url);
      expect([path, status]).toEqual([path, path.includes('{traceId}') || path.includes('{sessionId}') ? 404 : 200]);
      expect(Object.keys(get.responses)).toContain(String(status));
      expect(get.responses['401']).toBeDefined();
      expect([path, (await fetch(`${server.url}${url}`)).status]).toEqual([path, 401]);
    }
  });

  it('every documented enum parameter rejects another value with 400 naming the allowed values', async () => {
    let checked = 0;
    for (const [path, { get }] of Object.entries(doc.paths)) {
      for (const p of get.parameters.filter((x) => x.in === 'query' && x.schema.enum)) {
        const others = get.parameters.filter((x) => x.in === 'query' && x.required && x.name !== p.name).map((x) => `${x.name}=${x.schema.enum![0]}`);
        const { status, body } = await getJson(server, `${concrete(path)}?${[...others, `${p.name}=bogus`].join('&')}`);
        expect([path, p.name, status, body.message]).toEqual([path, p.name, 400, `${p.name} must be one of ${p.schema.enum!.join(', ')}, got "bogus"`]);
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(6);
  });
});
