import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import type { OtlpItemOutcome, TempsMetrics } from './temps-metrics';

/** POST paths of the OTLP receiver (see OtlpController), with the signal last. */
const OTLP_PATH = /^\/(?:api\/otel\/|api\/)?v1\/(?:[^/]+\/[^/]+\/[^/]+\/)?([^/]+)$/;
/** An X-Request-Id a client or proxy sent that is safe to echo and log; anything else gets a fresh id. */
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Where draining stands: set by the shutdown, read by every request. */
export interface DrainState {
  draining: boolean;
}

/** A response's request id (what its log line and X-Request-Id say). */
export function requestIdOf(res: Response): string | undefined {
  return (res.locals as { requestId?: string }).requestId;
}

/**
 * The HTTP edge of operations, first in the chain: a request id (X-Request-Id, echoed), one log line per
 * request at debug (a 5xx at warn) with no header, query or body in it, the in-flight gauge, and the OTLP
 * counters from the ingest result the controller left in res.locals. While draining, new requests are
 * refused with 503 and in-flight ones end their connection.
 */
export function requestOperations(options: { metrics: TempsMetrics; logger: Logger; drain: DrainState }) {
  const { metrics, logger, drain } = options;
  const active = new Set<Response>();
  const idle: (() => void)[] = [];
  const handler = (req: Request, res: Response, next: NextFunction) => {
    const sent = req.headers['x-request-id'];
    const requestId = typeof sent === 'string' && REQUEST_ID.test(sent) ? sent : randomUUID();
    (res.locals as { requestId?: string }).requestId = requestId;
    res.setHeader('X-Request-Id', requestId);
    if (drain.draining) {
      // Answered once the body is in: closing while the client still sends it would reset the connection before it reads the 503.
      const refuse = () => {
        if (res.headersSent || res.destroyed) return;
        res.setHeader('Connection', 'close');
        res.setHeader('Retry-After', '1');
        res.status(503).json({ error: 'the server is shutting down: retry on another instance' });
      };
      if (req.complete) refuse();
      else req.once('end', refuse).resume();
      return;
    }
    const otlp = req.method === 'POST' ? OTLP_PATH.exec(req.path) : null;
    const signal = otlp?.[1];
    const ended = metrics.requestStarted(otlp ? 'otlp' : 'api');
    const started = performance.now();
    const path = req.path;
    active.add(res);
    res.once('close', () => {
      active.delete(res);
      if (active.size === 0) for (const resolve of idle.splice(0)) resolve();
      ended();
      const status = res.writableFinished ? String(res.statusCode) : 'client_gone';
      const outcome = (res.locals as { otlpOutcome?: OtlpItemOutcome }).otlpOutcome;
      const declared = Number(req.headers['content-length']);
      if (signal !== undefined) metrics.otlpRequest(signal, status, Number.isFinite(declared) ? declared : 0, outcome);
      const level = res.statusCode >= 500 ? 'warn' : 'debug';
      if (!logger.isLevelEnabled(level)) return;
      logger[level]({
        reqId: requestId,
        method: req.method,
        path,
        status: res.writableFinished ? res.statusCode : null,
        ms: Math.round((performance.now() - started) * 10) / 10,
        ...(signal !== undefined ? { signal, ...(outcome ? { accepted: outcome.accepted, rejected: Object.values(outcome.rejected).reduce((a, b) => a + b, 0) } : {}) } : {}),
      }, res.writableFinished ? 'request' : 'request: the client went away');
    });
    next();
  };
  return Object.assign(handler, {
    /** Requests being served now. */
    get inflight() {
      return active.size;
    },
    /** Responses still to be sent close their connection afterwards (draining). */
    closeConnectionsAfterResponse() {
      for (const res of active) if (!res.headersSent) res.shouldKeepAlive = false;
    },
    /** Resolves once no request is being served (those refused while draining are not counted). */
    whenIdle(): Promise<void> {
      return active.size === 0 ? Promise.resolve() : new Promise<void>((resolve) => idle.push(resolve));
    },
  });
}
