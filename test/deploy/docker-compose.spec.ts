import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { leaseFromEnv } from '../../apps/projector/src/projector-options';
import { roleFromEnv, storesConfigFromEnv } from '../../apps/cli/src/temps-config';
import { loadCompose } from '../support/compose-file';
import { repoRoot } from '../support/temps-server';

// Docker is not available where these tests run: here the compose file, the Caddyfile and the Dockerfile are
// checked as files (parsed YAML, the proxy's routes, the env against the real config parser); the built server
// run with each service's env, and the topology behind Caddy: test/e2e/compose-file and compose-topology.
const compose = loadCompose();
const services = Object.entries(compose.services);

describe('docker-compose.yml (parsed, not run: no Docker here)', () => {
  it('has the event store, the read store, the roles (2 ingest, 2 api, 2 projectors: one active, one standby) and one proxy', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['api', 'eventstore', 'ingest', 'mongo', 'projector', 'proxy']);
    expect(compose.services.ingest!.deploy?.replicas).toBe(2);
    expect(compose.services.api!.deploy?.replicas).toBe(2);
    expect(compose.services.projector!.deploy?.replicas).toBe(2);
    // SIGTERM drains (and a projector releases its lease) within the grace period
    for (const s of ['ingest', 'api', 'projector']) expect(compose.services[s]!.stop_grace_period).toBe('30s');
    expect(compose.services.eventstore!.image).toMatch(/kurrentdb/);
    // a pinned Caddy with the retry fix for POST bodies (caddy#7546; compose-topology.e2e stops replicas behind it)
    const [major, minor, patch] = /^caddy:(\d+)\.(\d+)\.(\d+)$/.exec(compose.services.proxy!.image ?? '')!.slice(1).map(Number);
    expect(major! * 1e6 + minor! * 1e3 + patch!).toBeGreaterThanOrEqual(2_011_004);
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
    // ingest and api: /readyz (the stores answer, not draining); a projector: /healthz (alive while it catches up)
    for (const s of ['ingest', 'api']) expect(compose.services[s]!.healthcheck!.test.join(' ')).toContain('/readyz');
    for (const s of ['projector', 'proxy']) expect(compose.services[s]!.healthcheck!.test.join(' ')).toContain('/healthz');
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

  it('the temps services configure what the real config parser accepts: every role on EventStoreDB + MongoDB, one admin key', () => {
    const env = (name: string) => compose.services[name]!.environment!;
    expect(roleFromEnv(env('ingest'))).toBe('ingest');
    expect(roleFromEnv(env('api'))).toBe('api');
    expect(roleFromEnv(env('projector'))).toBe('projector');
    for (const name of ['ingest', 'api', 'projector']) {
      expect(storesConfigFromEnv(env(name))).toEqual({
        events: { kind: 'esdb', url: 'esdb://eventstore:2113?tls=false' },
        reads: { kind: 'mongo', url: 'mongodb://mongo:27017/temps?replicaSet=rs0', database: 'temps' },
      });
      // One admin key for all (access is read from the shared event store); compose refuses to start without it.
      expect(env(name).TEMPS_BOOTSTRAP_API_KEY).toMatch(/^\$\{TEMPS_BOOTSTRAP_API_KEY:\?/);
      expect(compose.services[name]!.build).toBe('.');
    }
    // the api replicas share the AI Gateway's secrets key; the projectors' lease is the real parser's
    expect(env('api').TEMPS_SECRETS_KEY).toMatch(/^\$\{TEMPS_SECRETS_KEY:\?/);
    expect(leaseFromEnv(env('projector'))).toMatchObject({ ttlMs: 5000 });
  });
});

describe('deploy/Caddyfile: the one origin', () => {
  const caddyfile = readFileSync(join(repoRoot, 'deploy/Caddyfile'), 'utf8');
  const mounted = compose.services.proxy!.volumes!.find((v) => v.endsWith(':/etc/caddy/Caddyfile:ro'));

  /**
   * Where the Caddyfile sends a path: its @otlp matcher (Caddy path globs: a trailing * matches any rest) to
   * the handle naming it, else the catch-all; each handle's upstreams are a service's replicas (dynamic a NAME PORT).
   */
  function route(path: string): string {
    const globs = /@otlp\s+path\s+([^\n]+)/.exec(caddyfile)![1]!.trim().split(/\s+/);
    const upstream = (block: RegExp) => {
      const m = block.exec(caddyfile)!;
      return `${m[1]}:${m[2]}`;
    };
    const matches = globs.some((g) => (g.endsWith('*') ? path.startsWith(g.slice(0, -1)) : path === g));
    return matches ? upstream(/handle @otlp \{\s*reverse_proxy \{\s*dynamic a (\S+) (\d+)/) : upstream(/handle \{\s*reverse_proxy \{\s*dynamic a (\S+) (\d+)/);
  }

  it('balances the api replicas by cookie (socket.io polling stays on one instance) and the ingest replicas round robin', () => {
    expect(/handle \{\s*reverse_proxy \{[^}]*\}\s*lb_policy cookie \S+/.test(caddyfile)).toBe(true);
    expect(/handle @otlp \{\s*reverse_proxy \{[^}]*\}\s*lb_policy round_robin/.test(caddyfile)).toBe(true);
  });

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
    ['/', 'api:8080'],
    ['/projects/1/ai/traces', 'api:8080'],
    ['/_app/immutable/entry/start.js', 'api:8080'],
    ['/api/projects/1/ai/traces', 'api:8080'],
    ['/api/ai/v1/chat/completions', 'api:8080'],
    ['/socket.io/', 'api:8080'],
    ['/healthz', 'api:8080'],
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
