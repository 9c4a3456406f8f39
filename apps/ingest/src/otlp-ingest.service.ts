import type { IncomingMessage } from 'node:http';
import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { AccessService, bearerToken } from '@temps/access';
import { EVENT_SCHEMA_VERSION, type IngestMetadata } from '@temps/domain';
import { EVENT_STORE, EventStoreUnavailableError, type EventStore, type StreamWrite } from '@temps/event-store';
import { DEFAULT_DECODE_LIMITS, OTLP_CONTENT_TYPES, OtlpDecodeError, otlpEncodingOf, otlpErrorBody, summarizeRejections, type DecodeLimits } from '@temps/otlp';
import { FairInflightLimiter, type InflightScope } from './fair-inflight-limiter';
import { INGEST_LIMITS } from './ingest.tokens';
import type { IngestLimits } from './ingest-limits';
import type { OtlpResponse } from './otlp-response';
import { SIGNAL_CODECS, type Encoding, type Signal, type SignalCodec } from './otlp-signals';
import { BodyError, ClientGoneError, readRequestBody } from './read-request-body';

/** A google.rpc.Status error in the request's encoding (protobuf when the encoding is unknown). */
function failure(encoding: Encoding, status: number, message: string, headers?: Record<string, string>): OtlpResponse {
  return { status, ...otlpErrorBody(encoding, status, message), headers };
}

/** OTLP protobuf and JSON gzip to about 1/5-1/15 of their size: a compressed body is admitted as if it inflated 8x. */
const ASSUMED_INFLATE_RATIO = 8;

const SCOPE_NAMES: Record<InflightScope, string> = { total: 'in all', credential: 'for this credential', project: 'for this project' };

function refusalMessage(scope: InflightScope, what: string): string {
  return `${what} ${SCOPE_NAMES[scope]}: retry after the delay in Retry-After`;
}

/** Items as OTLP counts them: spans, log records, or metric data points (a metric is its points). */
function countItems(items: unknown[]): number {
  let n = 0;
  for (const item of items) n += (item as { metric?: { dataPoints: unknown[] } }).metric?.dataPoints.length ?? 1;
  return n;
}

/**
 * Each item's event, grouped by stream, handed to the store: the append under way (null when nothing is
 * to be stored) and the items the store refused. Not async, so the events live in no frame that awaits
 * the commit (an async frame kept a request's span JSON alive until then, and the young generation
 * promoted it); the store has serialized them by the time this returns.
 */
function appendItems(items: unknown[], codec: SignalCodec<unknown>, metadata: IngestMetadata, events: EventStore): { appended: Promise<unknown> | null; refused: { reason: string }[] } {
  const byStream = new Map<string, StreamWrite>();
  const refused: { reason: string }[] = [];
  for (const item of items) {
    const { stream, event } = codec.toEvent(item, metadata);
    // An item the store can never take is rejected alone (partial success), not retried forever as a 503.
    const refusal = events.rejectsEvent?.(event);
    if (refusal) {
      refused.push({ reason: `item ${refusal}` });
      continue;
    }
    let write = byStream.get(stream);
    if (!write) byStream.set(stream, (write = { stream, events: [], expected: 'any' }));
    write.events.push(event);
  }
  return { appended: byStream.size > 0 ? events.appendMany([...byStream.values()]) : null, refused };
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
  private readonly limiter: FairInflightLimiter;
  private readonly decodeLimits: DecodeLimits;
  /** Projects a genuine key sent to before they existed: said once on the console, where a newcomer looks. */
  private readonly warnedMissing = new Set<string>();

  constructor(
    @Inject(EVENT_STORE) private readonly events: EventStore,
    private readonly access: AccessService,
    @Inject(INGEST_LIMITS) private readonly limits: IngestLimits,
  ) {
    this.limiter = new FairInflightLimiter(limits.inflight);
    this.decodeLimits = { ...DEFAULT_DECODE_LIMITS, ...limits.decode };
  }

  /**
   * The bytes a body will hold once read, asked for on admission: its declared size, and for a compressed
   * body the size it is likely to inflate to, so a burst of small bodies that inflate large is mostly
   * refused before any work is spent on it. Reading then asks for what it really holds (and gives back the rest).
   */
  private expectedBodyBytes(req: IncomingMessage): number {
    const declared = Number(req.headers['content-length']);
    if (!Number.isFinite(declared) || declared < 0) return 0; // chunked: asked for as it arrives
    const encoding = String(req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
    const compressed = encoding !== 'identity' && encoding !== '';
    return Math.min(compressed ? declared * ASSUMED_INFLATE_RATIO : declared, this.limits.maxBodyBytes);
  }

  /** The response to send, or null when the client is gone and there is no one to answer. */
  async export(signalName: string, req: IncomingMessage, pathIds?: PathIds): Promise<OtlpResponse | null> {
    const encoding = otlpEncodingOf(req.headers['content-type']);
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

    const projectHeader = req.headers['x-temps-project-id'];
    const auth = await this.access.authorize(bearerToken(req.headers.authorization), Array.isArray(projectHeader) ? projectHeader[0] : projectHeader, 'ingest', pathIds);
    if (!auth.ok) {
      req.resume();
      if (auth.missingProject && !this.warnedMissing.has(auth.missingProject) && this.warnedMissing.size < 100) {
        this.warnedMissing.add(auth.missingProject);
        new Logger('OTLP').warn(`refused an export: ${auth.message}`);
      }
      return failure(encoding, auth.status, auth.message);
    }

    const ticket = this.limiter.tryAcquire(auth.principal, auth.projectId, this.expectedBodyBytes(req));
    if (typeof ticket === 'string') {
      req.resume();
      return failure(encoding, 429, refusalMessage(ticket, 'too many export requests in flight'), { 'Retry-After': '1' });
    }
    try {
      let body: Buffer;
      try {
        body = await readRequestBody(req, {
          maxBytes: this.limits.maxBodyBytes,
          timeoutMs: this.limits.bodyTimeoutMs,
          reserve: (bytes) => {
            const refused = ticket.growTo(bytes);
            return refused && refusalMessage(refused, 'too many request body bytes in flight');
          },
        });
        ticket.shrinkTo(body.length);
      } catch (err) {
        if (err instanceof BodyError) return failure(encoding, err.status, err.message, err.status === 429 ? { 'Retry-After': '1', ...err.headers } : err.headers);
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
      const { appended, refused } = appendItems(decoded.items, codec, metadata, this.events);
      const itemCount = countItems(decoded.items) - refused.length; // what this request stores
      decoded.items = []; // posted to the store: nothing here holds them while the commit is awaited
      if (appended) {
        try {
          await appended;
        } catch (err) {
          if (err instanceof EventStoreUnavailableError) {
            const refused = failure(encoding, 503, `the event store is unavailable, retry later: ${err.message}`, { 'Retry-After': '2' });
            return { ...refused, outcome: { accepted: 0, rejected: { 'event store unavailable': itemCount } } };
          }
          throw err;
        }
      }

      const { rejected, message, byReason } = summarizeRejections([...decoded.rejected, ...refused]);
      const response = codec.response(encoding, rejected, message);
      return {
        status: 200,
        contentType: OTLP_CONTENT_TYPES[encoding],
        body: encoding === 'json' ? JSON.stringify(response) : (response as Uint8Array),
        outcome: { accepted: itemCount, rejected: byReason },
      };
    } finally {
      ticket.release();
    }
  }
}
