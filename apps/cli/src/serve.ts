import 'reflect-metadata';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import { AccessService } from '@temps/access';
import { loadSecretsKey } from '@temps/gateway';
import { openStores } from '@temps/projector';
import { bootstrapAccess } from './bootstrap-access';
import { seedDefaultPrices } from './default-prices';
import { ServeModule } from './serve.module';
import type { TempsConfig } from './temps-config';

const API_PREFIXES = ['/api/', '/v1/', '/socket.io/', '/healthz'];

/** Starts the server of this process's role (all-in-one by default); resolves once it listens. */
export async function serve(config: TempsConfig) {
  const { role } = config;
  const serving = role !== 'ingest';
  const opened = await openStores(config.stores, { reads: serving });
  let secrets: ReturnType<typeof loadSecretsKey> | null;
  try {
    // The AI Gateway's provider keys: not needed by an ingest-only process.
    secrets = serving ? loadSecretsKey(config.dataDir) : null;
  } catch (err) {
    await opened.close();
    throw err;
  }
  const stores = { ...opened, access: new AccessService(opened.events), config: config.stores, secrets: secrets?.box ?? null };
  let boot: Awaited<ReturnType<typeof bootstrapAccess>>;
  try {
    // The shipped price table (deterministic ids: later starts, and other processes, add only new defaults).
    await seedDefaultPrices(stores.events);
    boot = await bootstrapAccess(stores.access, config.bootstrapApiKey);
  } catch (err) {
    await opened.close();
    throw err;
  }

  // Nest's body parsers are off: the OTLP receiver reads (and caps) raw bodies itself.
  const app = await NestFactory.create<NestExpressApplication>(ServeModule.with(stores, role), {
    bodyParser: false,
    logger: ['error', 'warn'],
  });
  app.disable('x-powered-by');
  app.enableShutdownHooks();

  const indexHtml = join(config.webDir, 'index.html');
  // The dashboard goes with the query API: not in an ingest-only process.
  if (serving && existsSync(indexHtml)) {
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
    ...(role === 'ingest' ? [] : [`  AI gateway:      ${base}/api/ai/v1   (OpenAI-compatible; "temps ai-provider set PROVIDER --api-key KEY")`]),
    ...(secrets?.created ? [`  secrets key:     generated ${secrets.path} (mode 0600): it encrypts provider keys; back it up, or set TEMPS_SECRETS_KEY`] : []),
  ];
  const dashboard = serving ? `  dashboard:       ${base}/   ` : '  API key:         ';
  if (boot.newApiKey) {
    if (serving) lines.push(`${dashboard}(sign in with the admin API key below)`);
    lines.push(`  admin API key:   ${boot.newApiKey}   (shown once: keep it)`);
  } else {
    lines.push(`${dashboard}(${boot.bootstrapKeyUsed ? 'TEMPS_BOOTSTRAP_API_KEY is the admin key' : 'sign in with an API key; "temps api-key --name NAME --role admin" makes one'})`);
  }
  process.stdout.write(lines.join('\n') + '\n');

  const close = async () => {
    await app.close();
    await stores.close();
  };
  return { app, port: address.port, url: base, close };
}
