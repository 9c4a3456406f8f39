import { resolve } from 'node:path';

export interface TempsConfig {
  port: number;
  host: string;
  dataDir: string;
  bootstrapApiKey?: string;
  webDir: string;
}

/** Root of the installed package (this file is at dist/apps/cli/src/ once built). */
export const packageRoot = resolve(__dirname, '../../../..');

export function configFromEnv(env: NodeJS.ProcessEnv = process.env): TempsConfig {
  const port = Number(env.PORT ?? 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT must be a port number, got "${env.PORT}"`);
  return {
    port,
    host: env.HOST ?? '0.0.0.0',
    dataDir: resolve(env.TEMPS_DATA_DIR ?? './data'),
    bootstrapApiKey: env.TEMPS_BOOTSTRAP_API_KEY || undefined,
    webDir: resolve(env.TEMPS_WEB_DIR ?? resolve(packageRoot, 'apps/web/build')),
  };
}
