import type { IncomingMessage } from 'node:http';
import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { AccessService, bearerToken } from '@temps/access';
import { EVENT_SCHEMA_VERSION, type IngestMetadata } from '@temps/domain';
import { EVENT_STORE, EventStoreUnavailableError, type EventStore, type StreamWrite } from '@temps/event-store';
import { DEFAULT_DECODE_LIMITS, encodeRpcStatus, OtlpDecodeError, rpcStatusJson, type DecodeLimits } from '@temps/otlp';
import { InflightLimiter } from './inflight-limiter';
import { INGEST_LIMITS } from './ingest.tokens';
import type { IngestLimits } from './ingest-limits';
import type { OtlpResponse } from './otlp-response';
import { SIGNAL_CODECS, type Encoding, type Signal } from './otlp-signals';
import { BodyError, ClientGoneError, readRequestBody } from './read-request-body';

const CONTENT_TYPES: Record<Encoding, string> = { protobuf: 'application/x-protobuf', json: 'application/json' };
// google.rpc.Code values used in Status bodies.
const RpcCode = { INVALID_ARGUMENT: 3, NOT_FOUND: 5, PERMISSION_DENIED: 7, RESOURCE_EXHAUSTED: 8, INTERNAL: 13, UNAVAILABLE: 14, UNAUTHENTICATED: 16 } as const;

function rpcCodeFor(status: number): number {
  if (status === 401) return RpcCode.UNAUTHENTICATED;
  if (status === 403) return RpcCode.PERMISSION_DENIED;
  if (status === 404) return RpcCode.NOT_FOUND;
  if (status === 413 || status === 429) return RpcCode.RESOURCE_EXHAUSTED;
  if (status === 503) return RpcCode.UNAVAILABLE;
  if (status >= 500) return RpcCode.INTERNAL;
  return RpcCode.INVALID_ARGUMENT;
}

/** A google.rpc.Status error in the request's encoding (protobuf when the encoding is unknown). */
function failure(encoding: Encoding, status: number, message: string, headers?: Record<string, string>): OtlpResponse {
  const rpc = { code: rpcCodeFor(status), message };
  return {
    status,
    contentType: CONTENT_TYPES[encoding],
    body: encoding === 'json' ? JSON.stringify(rpcStatusJson(rpc)) : encodeRpcStatus(rpc),
    headers,
  };
}

function encodingOf(req: IncomingMessage): Encoding | null {
  const type = String(req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'application/x-protobuf' || type === 'application/protobuf') return 'protobuf';
  if (type === 'application/json') return 'json';
  return null;
}

export interface PathIds {
  projectId: string;
  environmentId: string;
  deploymentId: string;
}

/**
 * OTLP/HTTP for traces, logs and metrics: bound in-flight work, authenticate, read and decode the
 * body, validate item by item, append one raw event per item, and answer only after the commit.
 */
@Injectable()
export class OtlpIngestService {
  private readonly limiter: InflightLimiter;
  private readonly decodeLimits: DecodeLimits;

  constructor(
    @Inject(EVENT_STORE) private readonly events: EventStore,
    private readonly access: AccessService,
    @Inject(INGEST_LIMITS) private readonly limits: IngestLimits,
  ) {
    this.limiter = new InflightLimiter(limits.maxInflightRequests, limits.maxInflightBytes);
    this.decodeLimits = { ...DEFAULT_DECODE_LIMITS, ...limits.decode };
  }

  /** The response to send, or null when the client is gone and there is no one to answer. */
  async export(signalName: string, req: IncomingMessage, pathIds?: PathIds): Promise<OtlpResponse | null> {
    const encoding = encodingOf(req);
    const codec = SIGNAL_CODECS[signalName as Signal];
    if (!codec || !Object.hasOwn(SIGNAL_CODECS, signalName)) {
      req.resume();
      return failure(encoding ?? 'protobuf', 404, `unknown OTLP signal "${signalName}": post to .../v1/traces, .../v1/logs or .../v1/metrics`);
    }
    if (!encoding) {
      req.resume();
      const type = String(req.headers['content-type'] ?? '') || '(none)';
      return failure('protobuf', 415, `unsupported Content-Type "${type}": send application/x-protobuf or application/json`);
    }

    const declared = Number(req.headers['content-length']);
    const release = this.limiter.tryAcquire(Number.isFinite(declared) && declared >= 0 ? Math.min(declared, this.limits.maxBodyBytes) : this.limits.maxBodyBytes);
    if (!release) {
      req.resume();
      return failure(encoding, 429, 'too many export requests in flight: retry after the delay in Retry-After', { 'Retry-After': '1' });
    }
    try {
      const projectHeader = req.headers['x-temps-project-id'];
      const auth = await this.access.authorize(
        bearerToken(req.headers.authorization),
        Array.isArray(projectHeader) ? projectHeader[0] : projectHeader,
        'ingest',
        pathIds,
      );
      if (!auth.ok) {
        req.resume();
        return failure(encoding, auth.status, auth.message);
      }

      let body: Buffer;
      try {
        body = await readRequestBody(req, this.limits.maxBodyBytes);
      } catch (err) {
        if (err instanceof BodyError) return failure(encoding, err.status, err.message, err.headers);
        if (err instanceof ClientGoneError) return null;
        throw err;
      }

      let decoded;
      try {
        decoded = codec.decode(encoding, body, this.decodeLimits);
      } catch (err) {
        if (err instanceof OtlpDecodeError) return failure(encoding, 400, err.message);
        throw err;
      }

      const metadata: IngestMetadata = {
        projectId: auth.projectId,
        ...(auth.environmentId ? { environmentId: auth.environmentId } : {}),
        ...(auth.deploymentId ? { deploymentId: auth.deploymentId } : {}),
        receivedAt: new Date().toISOString(),
        requestId: randomUUID(),
        encoding,
        schemaVersion: EVENT_SCHEMA_VERSION,
      };
      const byStream = new Map<string, StreamWrite>();
      for (const item of decoded.items) {
        const { stream, event } = codec.toEvent(item, metadata);
        let write = byStream.get(stream);
        if (!write) byStream.set(stream, (write = { stream, events: [], expected: 'any' }));
        write.events.push(event);
      }
      decoded.items = []; // the events hold them as JSON now: collectable while the commit is awaited
      if (byStream.size > 0) {
        try {
          await this.events.appendMany([...byStream.values()]);
        } catch (err) {
          if (err instanceof EventStoreUnavailableError) {
            return failure(encoding, 503, `the event store is unavailable, retry later: ${err.message}`, { 'Retry-After': '2' });
          }
          throw err;
        }
      }

      const reasons = new Map<string, number>();
      let rejected = 0;
      for (const r of decoded.rejected) {
        const n = (r as { count?: number }).count ?? 1;
        rejected += n;
        reasons.set(r.reason, (reasons.get(r.reason) ?? 0) + n);
      }
      const message = [...reasons].map(([reason, n]) => `${n} rejected: ${reason}`).join('; ');
      const response = codec.response(encoding, rejected, message);
      return {
        status: 200,
        contentType: CONTENT_TYPES[encoding],
        body: encoding === 'json' ? JSON.stringify(response) : (response as Uint8Array),
      };
    } finally {
      release();
    }
  }
}
