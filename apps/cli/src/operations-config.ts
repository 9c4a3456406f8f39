import { logLevelFromEnv, type LogLevel } from './temps-logger';

export interface OperationsConfig {
  /** TEMPS_METRICS_PORT: /metrics on its own port (no credential there; keep it off the public network). Unset: /metrics on the main port, protected. */
  metricsPort: number | null;
  /** TEMPS_METRICS_HOST: the address of that port (default HOST). */
  metricsHost: string | null;
  /** TEMPS_METRICS_TOKEN: a bearer token a scraper may use on the main port instead of an admin API key. */
  metricsToken: string | null;
  /** TEMPS_READY_MAX_LAG_SECONDS: /readyz fails while the projector is further behind than this (default 30). */
  readyMaxLagSeconds: number;
  /** TEMPS_SHUTDOWN_TIMEOUT_MS: how long SIGTERM/SIGINT may drain before the process gives up and exits 1 (default 25000). */
  shutdownTimeoutMs: number;
  logLevel: LogLevel;
}

function number(env: NodeJS.ProcessEnv, name: string, fallback: number, ok: (n: number) => boolean, what: string): number {
  const raw = (env[name] ?? '').trim();
  if (raw === '') return fallback;
  const n = Number(raw);
  if (!ok(n)) throw new Error(`${name} must be ${what}, got "${env[name]}"`);
  return n;
}

export function operationsConfigFromEnv(env: NodeJS.ProcessEnv = process.env): OperationsConfig {
  const port = number(env, 'TEMPS_METRICS_PORT', -1, (n) => Number.isInteger(n) && n >= 0 && n <= 65535, 'a port number (0: any free port)');
  const token = (env.TEMPS_METRICS_TOKEN ?? '').trim();
  if (token && token.length < 16) throw new Error('TEMPS_METRICS_TOKEN must be at least 16 characters (it guards /metrics)');
  return {
    metricsPort: port < 0 ? null : port,
    metricsHost: (env.TEMPS_METRICS_HOST ?? '').trim() || null,
    metricsToken: token || null,
    readyMaxLagSeconds: number(env, 'TEMPS_READY_MAX_LAG_SECONDS', 30, (n) => Number.isFinite(n) && n > 0, 'a positive number of seconds'),
    shutdownTimeoutMs: number(env, 'TEMPS_SHUTDOWN_TIMEOUT_MS', 25_000, (n) => Number.isInteger(n) && n > 0, 'a positive number of milliseconds'),
    logLevel: logLevelFromEnv(env),
  };
}
