import type { AnyValue, KeyValue } from './any-value';
import type { Attributes, CompactValue } from './attribute-map';

/**
 * Bump when the shape of an event's data changes; projections read every version ever written.
 * 2: span and log record attributes as maps (Attributes, CompactValue), a compact log body.
 */
export const EVENT_SCHEMA_VERSION = 2;

/** `A`: how attribute lists are held: OTLP KeyValue lists as decoded, or either form as stored (Attributes). */
export interface RawSpanEvent<A extends Attributes = KeyValue[]> {
  timeUnixNano: string;
  name: string;
  attributes: A;
  droppedAttributesCount?: number;
}

export interface RawSpanLink<A extends Attributes = KeyValue[]> {
  traceId: string;
  spanId: string;
  traceState?: string;
  attributes: A;
  droppedAttributesCount?: number;
  flags?: number;
}

/** A span exactly as received: ids as lowercase hex, times as decimal nanosecond strings. */
export interface RawSpan<A extends Attributes = KeyValue[]> {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  traceState?: string;
  name: string;
  /** OTLP SpanKind: 0 unspecified, 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: A;
  droppedAttributesCount?: number;
  events: RawSpanEvent<A>[];
  droppedEventsCount?: number;
  links: RawSpanLink<A>[];
  droppedLinksCount?: number;
  /** OTLP status code: 0 unset, 1 ok, 2 error. */
  status: { code: number; message?: string };
  flags?: number;
  /** Attribute keys whose values were cut to the configured length limit (the rest is as received). */
  truncatedAttributes?: string[];
}

export interface RawResource<A extends Attributes = KeyValue[]> {
  attributes: A;
  droppedAttributesCount?: number;
  schemaUrl?: string;
}

export interface RawScope<A extends Attributes = KeyValue[]> {
  name: string;
  version?: string;
  attributes: A;
  droppedAttributesCount?: number;
  schemaUrl?: string;
}

/** An OTLP LogRecord exactly as received (GenAI content events arrive this way). */
export interface RawLogRecord<A extends Attributes = KeyValue[], B extends AnyValue | CompactValue = AnyValue> {
  timeUnixNano: string;
  observedTimeUnixNano: string;
  severityNumber: number;
  severityText?: string;
  /** LogRecord field 12; older SDKs put the name in the `event.name` attribute instead. */
  eventName?: string;
  body?: B;
  attributes: A;
  droppedAttributesCount?: number;
  flags?: number;
  /** Lowercase hex; absent when the record carries no trace context. */
  traceId?: string;
  spanId?: string;
  /** Attribute keys whose values were cut to the configured length limit. */
  truncatedAttributes?: string[];
}

export interface LogRecordReceivedData<A extends Attributes = KeyValue[], B extends AnyValue | CompactValue = AnyValue> {
  logRecord: RawLogRecord<A, B>;
  resource: RawResource<A>;
  scope: RawScope<A>;
}

/** A log record event's data as stored: schema version 1 (OTLP/JSON) or 2 (attribute maps, compact body). */
export type StoredLogRecordData = LogRecordReceivedData<Attributes, AnyValue | CompactValue>;

/** One OTLP Metric with all its data points, as received (points keep the OTLP/JSON shape). */
export interface RawMetric {
  name: string;
  description?: string;
  unit?: string;
  /** Which oneof member was set. */
  type: 'gauge' | 'sum' | 'histogram' | 'exponentialHistogram' | 'summary' | 'empty';
  aggregationTemporality?: number;
  isMonotonic?: boolean;
  dataPoints: Record<string, unknown>[];
  metadata?: KeyValue[];
  /** Paths of values cut to the configured length limit (e.g. `dataPoints[3].attributes.k`). */
  truncatedAttributes?: string[];
}

export interface MetricReceivedData {
  metric: RawMetric;
  resource: RawResource;
  scope: RawScope;
}

/** One received span with the resource and scope it came under. Never holds derived data. */
export interface SpanReceivedData<A extends Attributes = KeyValue[]> {
  span: RawSpan<A>;
  resource: RawResource<A>;
  scope: RawScope<A>;
}

/** A span event's data as stored: schema version 1 (OTLP/JSON) or 2 (attribute maps). */
export type StoredSpanData = SpanReceivedData<Attributes>;

export interface IngestMetadata {
  projectId: string;
  environmentId?: string;
  deploymentId?: string;
  /** ISO 8601 time the request was accepted. */
  receivedAt: string;
  requestId: string;
  encoding: 'protobuf' | 'json';
  schemaVersion: number;
}

export interface ProjectCreatedData {
  projectId: string;
  name: string;
  createdAt: string;
  /** Made by `temps demo` for its sample traces (removed by `temps demo --remove`). */
  demo?: boolean;
}

/** A project is gone: no key reaches it, its id is never given again. Its events stay in the log. */
export interface ProjectDeletedData {
  projectId: string;
  deletedAt: string;
}

export type Role = 'admin' | 'member' | 'viewer';

export interface ApiKeyCreatedData {
  keyId: string;
  name: string;
  role: Role;
  /** sha256 of the whole secret, hex. The secret itself is shown once and never stored. */
  secretHash: string;
  /** First characters of the secret, to recognise a key in listings. */
  prefix: string;
  /** Projects the key may use; absent means every project. */
  projectIds?: string[];
  createdAt: string;
}

export interface ApiKeyRevokedData {
  keyId: string;
  revokedAt: string;
}

/** A deployment token: ingest only, scoped to one project, environment and deployment. */
export interface DeploymentTokenCreatedData {
  tokenId: string;
  projectId: string;
  environmentId: string;
  deploymentId: string;
  secretHash: string;
  prefix: string;
  createdAt: string;
}

export interface DeploymentTokenRevokedData {
  tokenId: string;
  revokedAt: string;
}

/**
 * A dated model price (the `pricing` stream). Prices are USD per million tokens; the entry applies
 * to spans that start at or after effectiveFrom, until a later entry for the same model.
 */
export interface ModelPriceSetData {
  /** gen_ai.provider.name the price is for; absent: any provider serving this model name. */
  provider?: string;
  /** Model name as providers publish it (gpt-4o, claude-sonnet-4-5), or a pattern with `*`. */
  model: string;
  /** ISO date (YYYY-MM-DD) or ISO time. */
  effectiveFrom: string;
  currency: 'USD';
  perMillionTokens: {
    input: number;
    /** Cached input read (prompt cache hit); defaults to input. */
    cachedInputRead?: number;
    /** Cache write (cache creation); defaults to input. */
    cacheWrite?: number;
    output: number;
    /** Reasoning tokens (part of output); defaults to output. */
    reasoning?: number;
  };
  /** Where the price was published (URL). */
  source?: string;
}

/** AI Gateway providers (the `ai-providers` stream): a project's key for one provider, encrypted at rest. */
export interface AiProviderCredentialSetData {
  projectId: string;
  /** Gateway provider id: openai, anthropic, google, xai, mistral, deepseek, groq, azure_openai. */
  provider: string;
  /** AES-256-GCM of the API key: `v1:{keyId}:{base64 iv|tag|ciphertext}`, bound to project and provider. */
  apiKeyEncrypted: string;
  baseUrl?: string;
  setAt: string;
}

export interface AiProviderCredentialRemovedData {
  projectId: string;
  provider: string;
  removedAt: string;
}

/** Whether the gateway puts prompts and answers on the spans it makes for this project. */
export interface AiContentCaptureSetData {
  projectId: string;
  enabled: boolean;
  setAt: string;
}

export const EventTypes = {
  SpanReceived: 'SpanReceived',
  LogRecordReceived: 'LogRecordReceived',
  MetricReceived: 'MetricReceived',
  ProjectCreated: 'ProjectCreated',
  ProjectDeleted: 'ProjectDeleted',
  ApiKeyCreated: 'ApiKeyCreated',
  ApiKeyRevoked: 'ApiKeyRevoked',
  DeploymentTokenCreated: 'DeploymentTokenCreated',
  DeploymentTokenRevoked: 'DeploymentTokenRevoked',
  ModelPriceSet: 'ModelPriceSet',
  AiProviderCredentialSet: 'AiProviderCredentialSet',
  AiProviderCredentialRemoved: 'AiProviderCredentialRemoved',
  AiContentCaptureSet: 'AiContentCaptureSet',
  ProjectRetentionSet: 'ProjectRetentionSet',
  TracesExpired: 'TracesExpired',
  MetricsExpired: 'MetricsExpired',
} as const;

export type DomainEvent =
  | { type: 'SpanReceived'; data: SpanReceivedData; metadata: IngestMetadata }
  | { type: 'LogRecordReceived'; data: LogRecordReceivedData; metadata: IngestMetadata }
  | { type: 'MetricReceived'; data: MetricReceivedData; metadata: IngestMetadata }
  | { type: 'ProjectCreated'; data: ProjectCreatedData; metadata?: Record<string, unknown> }
  | { type: 'ProjectDeleted'; data: ProjectDeletedData; metadata?: Record<string, unknown> }
  | { type: 'ApiKeyCreated'; data: ApiKeyCreatedData; metadata?: Record<string, unknown> }
  | { type: 'ApiKeyRevoked'; data: ApiKeyRevokedData; metadata?: Record<string, unknown> }
  | { type: 'DeploymentTokenCreated'; data: DeploymentTokenCreatedData; metadata?: Record<string, unknown> }
  | { type: 'DeploymentTokenRevoked'; data: DeploymentTokenRevokedData; metadata?: Record<string, unknown> }
  | { type: 'ModelPriceSet'; data: ModelPriceSetData; metadata?: Record<string, unknown> }
  | { type: 'AiProviderCredentialSet'; data: AiProviderCredentialSetData; metadata?: Record<string, unknown> }
  | { type: 'AiProviderCredentialRemoved'; data: AiProviderCredentialRemovedData; metadata?: Record<string, unknown> }
  | { type: 'AiContentCaptureSet'; data: AiContentCaptureSetData; metadata?: Record<string, unknown> };

/** `2026-12-06T20:15:00.000Z` -> `2026120620` (UTC hour of an ISO 8601 time in Z form, as ingest stamps it). */
export function hourBucket(isoTime: string): string {
  const t = Date.parse(isoTime);
  if (!Number.isFinite(t)) throw new RangeError(`not an ISO 8601 time: "${isoTime}"`);
  const iso = new Date(t).toISOString();
  return iso.slice(0, 4) + iso.slice(5, 7) + iso.slice(8, 10) + iso.slice(11, 13);
}

/** Decimal nanoseconds since the epoch as ISO 8601 (ms), or null for 0 (OTLP: unknown) and anything not a time. */
function nanosToIso(nanos: unknown): string | null {
  if (typeof nanos !== 'string' || !/^\d{1,20}$/.test(nanos) || /^0+$/.test(nanos)) return null;
  const ms = Number(BigInt(nanos) / 1_000_000n);
  return ms <= 8.64e15 ? new Date(ms).toISOString() : null;
}

/** Decimal nanosecond strings compared as the numbers they are. */
const laterNanos = (a: string, b: string) => a.padStart(20, '0') > b.padStart(20, '0');

/**
 * The time whose hour names an untraced log record's stream: when it happened (timeUnixNano), else when it
 * was observed; null when it carries neither (0 means unknown in OTLP). A function of what the client sent,
 * so a retry of the same record names the same stream whenever it is received.
 */
export function logRecordStreamTime(record: { timeUnixNano?: string; observedTimeUnixNano?: string }): string | null {
  return nanosToIso(logRecordTimeNanos(record));
}

/** A log record's own time as decimal nanoseconds: timeUnixNano, else observedTimeUnixNano; null for neither (0). */
export function logRecordTimeNanos(record: { timeUnixNano?: string; observedTimeUnixNano?: string }): string | null {
  const known = (nanos: string | undefined) => (nanos && !/^0+$/.test(nanos) ? nanos : null);
  return known(record.timeUnixNano) ?? known(record.observedTimeUnixNano);
}

/** A data point's own time (timeUnixNano, else startTimeUnixNano) as decimal nanoseconds, or null. */
export function metricPointNanos(point: Record<string, unknown>): string | null {
  for (const key of ['timeUnixNano', 'startTimeUnixNano']) {
    const v = point[key];
    if (typeof v === 'string' && nanosToIso(v) !== null) return v;
  }
  return null;
}

/**
 * The time whose hour names a metric's stream: its LATEST data point's time (else start time), so every
 * point of a stream lies in or before the stream's hour and a stream wholly before a retention cutoff holds
 * nothing newer. Null when no point carries a time. A function of the metric as sent, as for log records.
 */
export function metricStreamTime(metric: { dataPoints: readonly Record<string, unknown>[] }): string | null {
  let latest: string | null = null;
  for (const p of metric.dataPoints) {
    const t = metricPointNanos(p);
    if (t !== null && (latest === null || laterNanos(t, latest))) latest = t;
  }
  return nanosToIso(latest);
}

export const Streams = {
  /** All events of one trace of one project; scoping by project keeps tenants' trace ids apart. */
  trace: (projectId: string, traceId: string) => `trace-${projectId}-${traceId}`,
  /**
   * Log records without trace context, per project and UTC hour of the record's own time
   * (logRecordStreamTime; the hour received only for a record with no time at all): `logs-1-2026120620`.
   * A stream that never ends would make every append to it cost more on some stores (EventStoreDB conflicts
   * read its tail, scavenges and stream reads grow); a bucket taken from the body, not the clock, keeps a
   * retry in the stream of its first attempt, where EventStoreDB's per-stream idempotency sees it. Nothing
   * reads these streams by name (projections read the log), so events of the unbucketed `logs-{project}` of
   * earlier versions, and of hours named by the time received, stay where they are and are read as before.
   */
  logs: (projectId: string, time: string) => `logs-${projectId}-${hourBucket(time)}`,
  /** Metric data, per project and UTC hour of the metric's latest point (metricStreamTime), for the same reasons. */
  metrics: (projectId: string, time: string) => `metrics-${projectId}-${hourBucket(time)}`,
  access: 'access',
  /** Dated model prices (ModelPriceSet). */
  pricing: 'pricing',
  /** AI Gateway provider credentials and content capture, per project. */
  aiProviders: 'ai-providers',
  isTrace: (stream: string) => stream.startsWith('trace-'),
};
