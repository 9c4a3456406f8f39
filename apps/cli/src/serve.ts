import 'reflect-metadata';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import { AccessService } from '@temps/access';
import { EVENT_STORE, type EventStore } from '@temps/event-store';
import { bootstrapAccess } from './bootstrap-access';
import { seedDefaultPrices } from './default-prices';
import { dashboardCsp, securityHeaders } from './security-headers';
import { ServeModule } from './serve.module';
import type { TempsConfig } from './temps-config';

const API_PREFIXES = ['/api/', '/v1/', '/socket.io/', '/healthz'];

/** Starts the server of this process's role (all-in-one by default); resolves once it listens. */
export async function serve(config: TempsConfig) {
  const { role } = config;
  const serving = role !== 'ingest';
  // Nest's body parsers are off: the OTLP receiver reads (and caps) raw bodies itself. The store modules open the
  // configured stores here (abortOnError off: a store that cannot be opened is an error to report, not an abort).
  const app = await NestFactory.create<NestExpressApplication>(ServeModule.with({ stores: config.stores, role }), {
    bodyParser: false,
    logger: ['error', 'warn'],
    abortOnError: false,
  });
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
  app.enableShutdownHooks();

  const indexHtml = join(config.webDir, 'index.html');
  const withDashboard = serving && existsSync(indexHtml);
  // First, so every answer has them (static files and the SPA fallback included); the CSP allows the inline scripts of this build.
  app.use(securityHeaders({ apiPrefixes: API_PREFIXES, dashboardCsp: withDashboard ? dashboardCsp(readFileSync(indexHtml, 'utf8')) : null }));
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
  const address = app.getHttpServer().address() as { port: number };
  const base = `http://localhost:${address.port}`;
  const { events, reads } = config.stores;
  // URLs may carry credentials: never print them.
  const redact = (url: string) => url.replace(/\/\/[^@/]*@/, '//***@');
  const where = [events.kind === 'sqlite' ? events.path : `EventStoreDB ${redact(events.url)}`, ...(serving ? [reads.kind === 'sqlite' ? reads.path : `MongoDB ${redact(reads.url)}`] : [])];
  const lines = [
    `Temps AI Tracing listening on ${base}`,
    ...(role === 'all' ? [] : [`  role:            ${role} (TEMPS_ROLE)`]),
    `  stores:          ${where.join(', ')}`,
    ...(role === 'projector' ? [] : [`  OTLP endpoint:   ${base}/api/otel/v1/traces   (or OTEL_EXPORTER_OTLP_ENDPOINT=${base}/api)`]),
    `  project id:      ${boot.projectId}${boot.createdProject ? ' (created now)' : ''}`,
  ];
  const dashboard = serving ? `  dashboard:       ${base}/   ` : '  API key:         ';
  if (boot.newApiKey) {
    if (serving) lines.push(`${dashboard}(sign in with the admin API key below)`);
    lines.push(`  admin API key:   ${boot.newApiKey}   (shown once: keep it)`);
  } else {
    lines.push(`${dashboard}(${boot.bootstrapKeyUsed ? 'TEMPS_BOOTSTRAP_API_KEY is the admin key' : 'sign in with an API key; "temps api-key --name NAME --role admin" makes one'})`);
  }
  process.stdout.write(lines.join('\n') + '\n');

  // closes the stores too (their modules' shutdown hooks)
  const close = () => app.close();
  return { app, port: address.port, url: base, close };
}
