import 'reflect-metadata';
import { existsSync, readFileSync } from 'node:fs';
import { Server as NetServer } from 'node:net';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import { AccessService } from '@temps/access';
import { EVENT_STORE, type EventStore } from '@temps/event-store';
import { loadSecretsKey } from '@temps/gateway';
import { bootstrapAccess } from './bootstrap-access';
import { seedDefaultPrices } from './default-prices';
import { startMetricsServer } from './metrics-server';
import { operationsConfigFromEnv } from './operations-config';
import { OperationsModule } from './operations.module';
import { requestOperations, type DrainState } from './request-operations.middleware';
import { dashboardCsp, securityHeaders } from './security-headers';
import { ServeModule } from './serve.module';
import { roleParts, type TempsConfig } from './temps-config';
import { createTempsLogger, PinoNestLogger } from './temps-logger';
import { TempsMetrics } from './temps-metrics';
import { timedEventStore } from './timed-event-store';

const API_PREFIXES = ['/api/', '/v1/', '/socket.io/', '/healthz', '/readyz', '/metrics'];

/** Starts the server of this process's role (all-in-one by default); resolves once it listens. */
export async function serve(config: TempsConfig) {
  const { role } = config;
  const parts = roleParts(role);
  // The query API, dashboard and AI gateway: the api role's.
  const serving = parts.api;
  const ops = operationsConfigFromEnv();
  const logger = createTempsLogger(ops.logLevel);
  const metrics = new TempsMetrics();
  const drain: DrainState = { draining: false };
  // Nest's body parsers are off: the OTLP receiver reads (and caps) raw bodies itself. The store modules open the
  // configured stores here (abortOnError off: a store that cannot be opened is an error to report, not an abort);
  // appends are timed at the port (temps_event_store_append_seconds): ingest's and access's alike.
  // The AI Gateway's provider keys: not needed by an ingest-only process.
  const secrets = serving ? loadSecretsKey(config.dataDir) : null;
  const serveModule = ServeModule.with({ stores: config.stores, role, decorateEvents: (events) => timedEventStore(events, metrics), secrets: secrets?.box ?? null });
  const root = OperationsModule.around(serveModule, {
    metrics, logger, drain, stores: config.stores, metricsRoute: ops.metricsPort === null, metricsToken: ops.metricsToken, readyMaxLagSeconds: ops.readyMaxLagSeconds,
  });
  const app = await NestFactory.create<NestExpressApplication>(root, { bodyParser: false, logger: new PinoNestLogger(logger), abortOnError: false });
  let boot: Awaited<ReturnType<typeof bootstrapAccess>>;
  try {
    // Before the projector and the server start (app.listen): the shipped price table (deterministic ids: later
    // starts, and other processes, add only new defaults), then the first project and key.
    await seedDefaultPrices(app.get<EventStore>(EVENT_STORE));
    boot = await bootstrapAccess(app.get(AccessService), config.bootstrapApiKey, config.defaultProject);
  } catch (err) {
    await app.close();
    throw err;
  }
  app.disable('x-powered-by');
  // No enableShutdownHooks: SIGTERM/SIGINT drain through close() (main.ts, drainOnSignals).
  const edge = requestOperations({ metrics, logger, drain });

  const indexHtml = join(config.webDir, 'index.html');
  const withDashboard = serving && existsSync(indexHtml);
  // First, so every answer has them (static files and the SPA fallback included); the CSP allows the inline scripts of this build.
  app.use(securityHeaders({ apiPrefixes: API_PREFIXES, dashboardCsp: withDashboard ? dashboardCsp(readFileSync(indexHtml, 'utf8')) : null }));
  // Then request ids, logs, metrics and the drain's refusals, for everything after (static files included).
  app.use(edge);
  // The dashboard goes with the query API: not in an ingest-only process.
  if (withDashboard) {
    // Hashed build chunks never change; a missing one is a 404 (a stale tab after an upgrade), not index.html.
    app.useStaticAssets(join(config.webDir, '_app'), {
      prefix: '/_app',
      fallthrough: false,
      setHeaders: (res, path) => res.setHeader('Cache-Control', path.includes('/immutable/') ? 'public, max-age=31536000, immutable' : 'no-cache'),
    });
    app.useStaticAssets(config.webDir, { index: false, setHeaders: (res) => res.setHeader('Cache-Control', 'no-cache') });
    // The dashboard is a single-page app: unknown GET paths outside the APIs get its index.html.
    app.use((req: Request, res: Response, next: NextFunction) => {
      if (req.method !== 'GET' || API_PREFIXES.some((p) => req.path.startsWith(p))) return next();
      res.setHeader('Cache-Control', 'no-cache');
      res.sendFile(indexHtml);
    });
  } else if (serving) {
    new Logger('Serve').warn(`dashboard not built (${indexHtml} missing): run "npm run build:web"`);
  }

  await app.listen(config.port, config.host);
  const metricsServer = ops.metricsPort === null ? null : await startMetricsServer(metrics, ops.metricsPort, ops.metricsHost ?? config.host);
  const address = app.getHttpServer().address() as { port: number };
  const base = `http://localhost:${address.port}`;
  const { events, reads } = config.stores;
  // URLs may carry credentials: never print them.
  const redact = (url: string) => url.replace(/\/\/[^@/]*@/, '//***@');
  const where = [events.kind === 'sqlite' ? events.path : `EventStoreDB ${redact(events.url)}`, ...(parts.api || parts.projector ? [reads.kind === 'sqlite' ? reads.path : `MongoDB ${redact(reads.url)}`] : [])];
  const lines = [
    `Temps AI Tracing listening on ${base}`,
    ...(role === 'all' ? [] : [`  role:            ${role} (TEMPS_ROLE)`]),
    `  stores:          ${where.join(', ')}`,
    ...(role === 'projector' ? [`  note:            TEMPS_ROLE=projector runs the projection only (under its lease); the query API, dashboard and live gateway are the api role's (TEMPS_ROLE=api,projector for both in one process, what projector meant before)`] : []),
    ...(!parts.ingest ? [] : [`  OTLP endpoint:   ${base}/api/otel/v1/traces   (or OTEL_EXPORTER_OTLP_ENDPOINT=${base}/api)`]),
    `  project id:      ${boot.projectId}${boot.createdProject ? ' (created now)' : ''}`,
    ...(!serving ? [] : [`  AI gateway:      ${base}/api/ai/v1   (OpenAI-compatible; "temps ai-provider set PROVIDER --api-key KEY")`]),
    ...(secrets?.created ? [`  secrets key:     generated ${secrets.path} (mode 0600): it encrypts provider keys; back it up, or set TEMPS_SECRETS_KEY`] : []),
  ];
  const dashboard = serving ? `  dashboard:       ${base}/   ` : '  API key:         ';
  if (boot.newApiKey) {
    if (serving) lines.push(`${dashboard}(sign in with the admin API key below)`);
    lines.push(`  admin API key:   ${boot.newApiKey}   (shown once: keep it)`);
  } else {
    const ignored = 'TEMPS_BOOTSTRAP_API_KEY is not a live key here: it is made only on a store that never held a key, so a revoked one stays revoked';
    lines.push(`${dashboard}(${boot.bootstrapKeyUsed ? 'TEMPS_BOOTSTRAP_API_KEY is the admin key' : boot.bootstrapKeyIgnored ? ignored : 'sign in with an API key; "temps api-key --name NAME --role admin" makes one'})`);
  }
  lines.push(`  metrics:         ${metricsServer ? `http://localhost:${metricsServer.port}/metrics (TEMPS_METRICS_PORT)` : `${base}/metrics (admin API key${ops.metricsToken ? ' or TEMPS_METRICS_TOKEN' : ''})`}; ${base}/readyz`);
  process.stdout.write(lines.join('\n') + '\n');

  /**
   * Drains: no new connection, requests on open ones get 503 (Connection: close), in-flight ones finish and
   * close their connection; then the app closes (the connections left idle, socket.io), the projector
   * finishes its batch and the stores close (their modules' shutdown hooks, Nest's last phase).
   */
  const close = async () => {
    drain.draining = true;
    edge.closeConnectionsAfterResponse();
    // Stop listening (new connections are refused: nothing sent, safe to retry) but leave open connections
    // be: http.Server.close() would also drop idle ones while a client may be sending on them (a reset).
    NetServer.prototype.close.call(app.getHttpServer());
    await edge.whenIdle();
    await app.close();
    await metricsServer?.close();
  };
  return { app, port: address.port, url: base, close, logger, shutdownTimeoutMs: ops.shutdownTimeoutMs, metricsPort: metricsServer?.port ?? null };
}
