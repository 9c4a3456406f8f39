import type { LoggerService } from '@nestjs/common';
import pino, { type Logger } from 'pino';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * TEMPS_LOG_LEVEL: info by default (start, shutdown, rebuilds, warnings and failures; no line per request),
 * debug adds one line per request, warn or error keeps only problems, silent nothing.
 */
export function logLevelFromEnv(env: NodeJS.ProcessEnv = process.env): LogLevel {
  const raw = (env.TEMPS_LOG_LEVEL ?? '').trim().toLowerCase() || 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(raw)) throw new Error(`TEMPS_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')} (default info), got "${env.TEMPS_LOG_LEVEL}"`);
  return raw as LogLevel;
}

/**
 * Field paths that may carry a credential, censored wherever a caller puts them by mistake. The request
 * logger logs no headers and no bodies at all (message content never reaches a log line).
 */
const REDACT = ['authorization', '*.authorization', '*.headers.authorization', '*.headers.cookie', 'token', '*.token', 'apiKey', '*.apiKey', 'secret', '*.secret'];

/** The process's JSON logger: one JSON object per line on stdout, ISO times. */
export function createTempsLogger(level: LogLevel = logLevelFromEnv(), destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACT, censor: '[redacted]' },
    formatters: { level: (label) => ({ level: label }) },
  };
  return destination ? pino(options, destination) : pino(options);
}

const NEST_CHATTER = new Set(['NestFactory', 'InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestApplication', 'WebSocketsController']);

/** Nest's own messages (bootstrap errors, exceptions a filter did not handle, module warnings) through pino. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, ...rest: unknown[]): void {
    // Nest's start-up chatter (modules loaded, routes mapped) is debug: quiet by default.
    const context = rest[rest.length - 1];
    this.write(typeof context === 'string' && NEST_CHATTER.has(context) ? 'debug' : 'info', message, rest);
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.write('error', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.write('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.write('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.write('trace', message, rest);
  }
  fatal(message: unknown, ...rest: unknown[]): void {
    this.write('fatal', message, rest);
  }

  /** Nest passes (message, stack?, context?) for errors and (message, context?) otherwise. */
  private write(level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace', message: unknown, rest: unknown[]): void {
    if (!this.logger.isLevelEnabled(level)) return;
    const strings = rest.filter((r): r is string => typeof r === 'string');
    const context = strings.length ? strings[strings.length - 1] : undefined;
    const stack = (level === 'error' || level === 'fatal') && strings.length > 1 ? strings[0] : undefined;
    const fields = { ...(context ? { context } : {}), ...(stack ? { stack } : {}) };
    if (message instanceof Error) this.logger[level]({ ...fields, err: message }, message.message);
    else if (typeof message === 'string') this.logger[level](fields, message);
    else this.logger[level]({ ...fields, detail: message });
  }
}
