import type { IncomingMessage } from 'node:http';
import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { AccessService, bearerToken } from '@temps/access';
import { EVENT_SCHEMA_VERSION, EventTypes, Streams, type IngestMetadata } from '@temps/domain';
import { EVENT_STORE, EventStoreUnavailableError, type EventStore, type StreamWrite } from '@temps/event-store';
import { decodeTraceRequest, encodeRpcStatus, encodeTraceResponse, OtlpDecodeError, validateSpan } from '@temps/otlp';
import { INGEST_LIMITS } from './ingest.tokens';
import type { IngestLimits } from './ingest-limits';
import type { OtlpResponse } from './otlp-response';
import { BodyError, readRequestBody } from './read-request-body';
import { spanEventId } from './span-event-id';

const PROTOBUF = 'application/x-protobuf';
// google.rpc.Code values used in Status bodies.
const RpcCode = { INVALID_ARGUMENT: 3, PERMISSION_DENIED: 7, RESOURCE_EXHAUSTED: 8, UNAVAILABLE: 14, UNAUTHENTICATED: 16, INTERNAL: 13 } as const;

function rpcCodeFor(status: number): number {
  if (status === 401) return RpcCode.UNAUTHENTICATED;
  if (status === 403) return RpcCode.PERMISSION_DENIED;
  if (status === 413 || status === 429) return RpcCode.RESOURCE_EXHAUSTED;
  if (status === 503) return RpcCode.UNAVAILABLE;
  if (status >= 500) return RpcCode.INTERNAL;
  return RpcCode.INVALID_ARGUMENT;
}

function failure(status: number, message: string, headers?: Record<string, string>): OtlpResponse {
  return { status, contentType: PROTOBUF, body: encodeRpcStatus({ code: rpcCodeFor(status), message }), headers };
}

/** OTLP/HTTP traces: authenticate, read, decode, validate, append one SpanReceived per span, ack. */
@Injectable()
export class IngestTracesService {
  constructor(
    @Inject(EVENT_STORE) private readonly events: EventStore,
    private readonly access: AccessService,
    @Inject(INGEST_LIMITS) private readonly limits: IngestLimits,
  ) {}

  async export(req: IncomingMessage): Promise<OtlpResponse> {
    const contentType = String(req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (contentType !== PROTOBUF) {
      req.resume();
      return failure(415, `unsupported Content-Type "${contentType || '(none)'}": send ${PROTOBUF}`);
    }
    const projectHeader = req.headers['x-temps-project-id'];
    const auth = await this.access.authorize(
      bearerToken(req.headers.authorization),
      Array.isArray(projectHeader) ? projectHeader[0] : projectHeader,
      'ingest',
    );
    if (!auth.ok) {
      req.resume();
      return failure(auth.status, auth.message);
    }

    let body: Buffer;
    try {
      body = await readRequestBody(req, this.limits.maxBodyBytes);
    } catch (err) {
      if (err instanceof BodyError) return failure(err.status, err.message);
      throw err;
    }

    let spans;
    try {
      spans = decodeTraceRequest(body);
    } catch (err) {
      if (err instanceof OtlpDecodeError) return failure(400, err.message);
      throw err;
    }

    const metadata: IngestMetadata = {
      projectId: auth.projectId,
      receivedAt: new Date().toISOString(),
      requestId: randomUUID(),
      encoding: 'protobuf',
      schemaVersion: EVENT_SCHEMA_VERSION,
    };
    const byStream = new Map<string, StreamWrite>();
    const rejected = new Map<string, number>();
    for (const data of spans) {
      const reason = validateSpan(data.span);
      if (reason) {
        rejected.set(reason, (rejected.get(reason) ?? 0) + 1);
        continue;
      }
      const stream = Streams.trace(auth.projectId, data.span.traceId);
      let write = byStream.get(stream);
      if (!write) byStream.set(stream, (write = { stream, events: [], expected: 'any' }));
      const dataJson = JSON.stringify(data);
      const id = spanEventId(auth.projectId, data.span.traceId, data.span.spanId, dataJson);
      write.events.push({ id, type: EventTypes.SpanReceived, data, dataJson, metadata: metadata as unknown as Record<string, unknown> });
    }

    if (byStream.size > 0) {
      try {
        await this.events.appendMany([...byStream.values()]);
      } catch (err) {
        if (err instanceof EventStoreUnavailableError) {
          return failure(503, `the event store is unavailable, retry later: ${err.message}`, { 'Retry-After': '2' });
        }
        throw err;
      }
    }

    const rejectedCount = [...rejected.values()].reduce((a, b) => a + b, 0);
    const partial = rejectedCount
      ? { rejectedSpans: rejectedCount, errorMessage: [...rejected].map(([reason, n]) => `${n} span(s) rejected: ${reason}`).join('; ') }
      : undefined;
    return { status: 200, contentType: PROTOBUF, body: encodeTraceResponse(partial) };
  }
}
