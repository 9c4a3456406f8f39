import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { roleFromEnv, storesConfigFromEnv } from '../../apps/cli/src/temps-config';
import { repoRoot } from '../support/temps-server';

// Docker is not available where these tests run: the compose file, the Caddyfile and the Dockerfile are
// checked as files (parsed YAML, the proxy's routes, the env against the real config parser), not run.
// js-yaml is jest's own dependency (no YAML parser of our own to get wrong).
const { safeLoad } = require('js-yaml') as { safeLoad(text: string): unknown };

type Service = {
  image?: string;
  build?: unknown;
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }> | string[];
  healthcheck?: { test: string[]; interval?: string };
  ports?: string[];
  volumes?: string[];
};
const compose = safeLoad(readFileSync(join(repoRoot, 'docker-compose.yml'), 'utf8')) as { services: Record<string, Service>; volumes: Record<string, unknown> };
const services = Object.entries(compose.services);

describe('docker-compose.yml (parsed, not run: no Docker here)', () => {
  it('has the event store, the read store, ingest, projector and one proxy', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['eventstore', 'ingest', 'mongo', 'projector', 'proxy']);
    expect(compose.services.eventstore!.image).toMatch(/kurrentdb/);
    expect(compose.services.mongo!.image).toMatch(/^mongo:/);
  });

  it.each(services)('service %s has a health check', (_name, service) => {
    expect(Array.isArray(service.healthcheck?.test)).toBe(true);
    expect(service.healthcheck!.test[0]).toMatch(/^CMD(-SHELL)?$/);
    expect(service.healthcheck!.test.length).toBeGreaterThan(1);
    expect(service.healthcheck!.interval).toBeDefined();
  });

  it('every dependency waits for the other service to be healthy', () => {
    const deps = services.flatMap(([name, s]) => {
      expect(Array.isArray(s.depends_on)).toBe(false); // the short list form cannot carry a condition
      return Object.entries((s.depends_on ?? {}) as Record<string, { condition: string }>).map(([on, d]) => [name, on, d.condition]);
    });
    expect(deps.length).toBeGreaterThanOrEqual(5);
    for (const [name, on, condition] of deps) {
      expect([name, on, condition]).toEqual([name, on, 'service_healthy']);
      expect(compose.services[on!]).toBeDefined();
    }
  });

  it('the health checks probe what they should: KurrentDB /health/live, a mongo ping, temps /healthz', () => {
    expect(compose.services.eventstore!.healthcheck!.test.join(' ')).toContain('/health/live');
    const mongo = compose.services.mongo!.healthcheck!.test.join(' ');
    expect(mongo).toContain('ping');
    expect(mongo).toContain('rs.initiate');
    for (const s of ['ingest', 'projector', 'proxy']) expect(compose.services[s]!.healthcheck!.test.join(' ')).toContain('/healthz');
  });

  it('every named volume is declared, and only the proxy publishes a port (one origin)', () => {
    for (const [, s] of services) {
      for (const v of s.volumes ?? []) {
        const source = v.split(':')[0]!;
        if (!source.startsWith('.') && !source.startsWith('/')) expect(Object.keys(compose.volumes)).toContain(source);
      }
    }
    expect(services.filter(([, s]) => s.ports?.length).map(([n]) => n)).toEqual(['proxy']);
    expect(compose.services.proxy!.ports).toEqual(['8080:8080']);
  });

  it('the temps services configure what the real config parser accepts: ingest on EventStoreDB, projector on EventStoreDB + MongoDB', () => {
    const ingest = compose.services.ingest!.environment!;
    const projector = compose.services.projector!.environment!;
    expect(roleFromEnv(ingest)).toBe('ingest');
    expect(roleFromEnv(projector)).toBe('projector');
    expect(storesConfigFromEnv(ingest).events).toEqual({ kind: 'esdb', url: 'esdb://eventstore:2113?tls=false' });
    expect(storesConfigFromEnv(projector)).toEqual({
      events: { kind: 'esdb', url: 'esdb://eventstore:2113?tls=false' },
      reads: { kind: 'mongo', url: 'mongodb://mongo:27017/temps?replicaSet=rs0', database: 'temps' },
    });
    // One admin key for both (access is read from the shared event store); compose refuses to start without it.
    expect(ingest.TEMPS_BOOTSTRAP_API_KEY).toMatch(/^\$\{TEMPS_BOOTSTRAP_API_KEY:\?/);
    expect(projector.TEMPS_BOOTSTRAP_API_KEY).toBe(ingest.TEMPS_BOOTSTRAP_API_KEY);
    expect(compose.services.ingest!.build).toBe('.');
    expect(compose.services.projector!.build).toBe('.');
  });
});

describe('deploy/Caddyfile: the one origin', () => {
  const caddyfile = readFileSync(join(repoRoot, 'deploy/Caddyfile'), 'utf8');
  const mounted = compose.services.proxy!.volumes!.find((v) => v.endsWith(':/etc/caddy/Caddyfile:ro'));

  /** Where the Caddyfile sends a path: its @otlp matcher (Caddy path globs: a trailing * matches any rest) to the handle naming it, else the catch-all. */
  function route(path: string): string {
    const globs = /@otlp\s+path\s+([^\n]+)/.exec(caddyfile)![1]!.trim().split(/\s+/);
    const upstream = (block: RegExp) => block.exec(caddyfile)![1]!;
    const matches = globs.some((g) => (g.endsWith('*') ? path.startsWith(g.slice(0, -1)) : path === g));
    return matches ? upstream(/handle @otlp \{\s*reverse_proxy (\S+)/) : upstream(/handle \{\s*reverse_proxy (\S+)/);
  }

  it('is the file the proxy service mounts', () => {
    expect(mounted).toBe('./deploy/Caddyfile:/etc/caddy/Caddyfile:ro');
    expect(caddyfile).toMatch(/^:8080 \{/m);
  });

  it.each([
    ['/api/otel/v1/traces', 'ingest:8080'],
    ['/api/otel/v1/logs', 'ingest:8080'],
    ['/api/otel/v1/1/production/web-42/traces', 'ingest:8080'],
    ['/api/v1/traces', 'ingest:8080'],
    ['/v1/metrics', 'ingest:8080'],
    ['/', 'projector:8080'],
    ['/projects/1/ai/traces', 'projector:8080'],
    ['/_app/immutable/entry/start.js', 'projector:8080'],
    ['/api/projects/1/ai/traces', 'projector:8080'],
    ['/socket.io/', 'projector:8080'],
    ['/healthz', 'projector:8080'],
  ])('sends %s to %s', (path, upstream) => {
    expect(route(path)).toBe(upstream);
  });
});

describe('Dockerfile', () => {
  const dockerfile = readFileSync(join(repoRoot, 'Dockerfile'), 'utf8');
  it('builds on Node 24 with npm ci and npm run build, and runs temps serve', () => {
    expect(dockerfile.match(/^FROM node:24\S*/gm)).toHaveLength(2);
    expect(dockerfile).toMatch(/^RUN npm ci$/m);
    expect(dockerfile).toMatch(/^RUN npm run build\b/m);
    expect(dockerfile).toMatch(/^CMD \["node", "bin\/temps\.js", "serve"\]$/m);
  });
});
