import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { compactSpanData, EVENT_SCHEMA_VERSION, EventTypes, spanIdTimeMs, Streams, type IngestMetadata, type SpanReceivedData } from '@temps/domain';
import { EVENT_STORE, timeOrderedEventId, type EventStore, type StreamWrite } from '@temps/event-store';

/** Spans waiting beyond this are dropped (with a warning): a store that is down must not grow memory without bound. */
const MAX_QUEUED = 10_000;
const RETRY_MS = [200, 1000, 5000];
/**
 * Spans wait this long to be appended together: under load one append (one message to the writer thread,
 * one commit, one projector batch) carries many calls instead of one each. TEMPS_AI_TRACE_BATCH_MS.
 */
const BATCH_MS = Number(process.env.TEMPS_AI_TRACE_BATCH_MS ?? 20);

/**
 * Appends the gateway's spans off the response path: a call's span is queued after its answer is sent
 * and appended in batches, as `SpanReceived` events built the way the OTLP receiver builds them
 * (schema 2 attribute maps, the same deterministic event id), so projections need no special case.
 */
@Injectable()
export class GatewayTracer implements OnApplicationShutdown {
  private readonly log = new Logger('Gateway');
  private queue: StreamWrite[] = [];
  private flushing: Promise<void> | null = null;
  private scheduled = false;

  private readonly callObservers = new Set<(provider: string, outcome: string) => void>();

  constructor(@Inject(EVENT_STORE) private readonly events: EventStore) {}

  /** Calls back on every gateway call with its provider and outcome ('ok' or the HTTP status): /metrics counts them. */
  observeCalls(observer: (provider: string, outcome: string) => void): () => void {
    this.callObservers.add(observer);
    return () => this.callObservers.delete(observer);
  }

  countCall(provider: string, outcome: string): void {
    for (const observe of this.callObservers) observe(provider, outcome);
  }

  record(projectId: string, received: SpanReceivedData): void {
    if (this.queue.length >= MAX_QUEUED) {
      this.log.warn(`${MAX_QUEUED} gateway spans waiting for the event store: dropping the span of trace ${received.span.traceId}`);
      return;
    }
    const metadata: IngestMetadata = { projectId, receivedAt: new Date().toISOString(), requestId: randomUUID(), encoding: 'json', schemaVersion: EVENT_SCHEMA_VERSION };
    // As apps/ingest's traces codec does: attribute maps, and an id from project, trace, span and content.
    const data = compactSpanData(received);
    const dataJson = JSON.stringify(data);
    const event = { id: timeOrderedEventId(spanIdTimeMs(data.span), projectId, data.span.traceId, data.span.spanId, dataJson), type: EventTypes.SpanReceived, data, dataJson, metadata: metadata as never };
    this.queue.push({ stream: Streams.trace(projectId, data.span.traceId), events: [event], expected: 'any' });
    if (!this.scheduled) {
      this.scheduled = true;
      setTimeout(() => {
        this.scheduled = false;
        void this.flush();
      }, BATCH_MS).unref();
    }
  }

  /** Appends everything queued; resolves when the queue is empty (or the store keeps failing). */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
    if (!this.queue.length) return;
    this.flushing = (async () => {
      while (this.queue.length) {
        const batch = this.queue.splice(0, 500);
        for (let attempt = 0; ; attempt++) {
          try {
            await this.events.appendMany(batch);
            break;
          } catch (err) {
            if (attempt >= RETRY_MS.length) {
              this.log.error(`could not append ${batch.length} gateway span(s): ${(err as Error).message}`);
              break;
            }
            await new Promise((r) => setTimeout(r, RETRY_MS[attempt]));
          }
        }
      }
    })();
    try {
      await this.flushing;
    } finally {
      this.flushing = null;
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.flush();
  }
}
