import 'reflect-metadata';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import { bootstrapAccess } from './bootstrap-access';
import { openEmbeddedStores } from './embedded-stores';
import { ServeModule } from './serve.module';
import type { TempsConfig } from './temps-config';

const API_PREFIXES = ['/api/', '/v1/', '/socket.io/'];

/** Starts the all-in-one server; resolves once it listens. */
export async function serve(config: TempsConfig) {
  const stores = openEmbeddedStores(config.dataDir);
  const boot = await bootstrapAccess(stores.access, config.bootstrapApiKey);

  // Nest's body parsers are off: the OTLP receiver reads (and caps) raw bodies itself.
  const app = await NestFactory.create<NestExpressApplication>(ServeModule.with(stores), {
    bodyParser: false,
    logger: ['error', 'warn'],
  });
  app.disable('x-powered-by');
  app.enableShutdownHooks();

  const indexHtml = join(config.webDir, 'index.html');
  if (existsSync(indexHtml)) {
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
  } else {
    new Logger('Serve').warn(`dashboard not built (${indexHtml} missing): run "npm run build:web"`);
  }

  await app.listen(config.port, config.host);
  const address = app.getHttpServer().address() as { port: number };
  const base = `http://localhost:${address.port}`;
  const lines = [
    `Temps AI Tracing listening on ${base}`,
    `  data dir:        ${config.dataDir}`,
    `  OTLP endpoint:   ${base}/api/otel/v1/traces   (or OTEL_EXPORTER_OTLP_ENDPOINT=${base}/api)`,
    `  project id:      ${boot.projectId}${boot.createdProject ? ' (created now)' : ''}`,
  ];
  if (boot.newApiKey) {
    lines.push(`  dashboard:       ${base}/   (sign in with the admin API key below)`);
    lines.push(`  admin API key:   ${boot.newApiKey}   (shown once: keep it)`);
  } else {
    lines.push(`  dashboard:       ${base}/   (${boot.bootstrapKeyUsed ? 'TEMPS_BOOTSTRAP_API_KEY is the admin key' : 'sign in with an API key; "temps api-key --name NAME --role admin" makes one'})`);
  }
  process.stdout.write(lines.join('\n') + '\n');

  const close = async () => {
    await app.close();
    await stores.close();
  };
  return { app, port: address.port, url: base, close };
}
