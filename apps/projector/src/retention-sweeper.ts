import {
  EventTypes,
  genaiMetricHourOf,
  genaiMetricHourRanges,
  hourlyStreamBound,
  hourlyStreamPrefix,
  hourlyStreamsBefore,
  isExpiredHourlyStream,
  parseRetentionDays,
  retentionCutoff,
  retentionDaysOf,
  retentionStream,
  Streams,
  summarizeExpiredGenaiMetrics,
  type ExpiredGenaiMetrics,
  sumCounters,
  usageCounters,
  type HourlyStreamKind,
  type MetricsExpiredData,
  type TracesExpiredData,
} from '@temps/domain';
import { deterministicEventId, type EventStore } from '@temps/event-store';
import type { TraceQueries, TraceWriter } from '@temps/read-store';

/** Nest injection token for RetentionOptions. */
export const RETENTION_OPTIONS = Symbol('RetentionOptions');

export interface RetentionOptions {
  /** TEMPS_RETENTION_DAYS: null keeps everything, except in projects with a retention of their own. */
  defaultDays: number | null;
  /** TEMPS_RETENTION_KEEP_USAGE (default true): model usage of expired traces stays in the usage read model. */
  keepUsage: boolean;
  /** TEMPS_RETENTION_SWEEP_MINUTES (default 60): time between sweeps; the first runs soon after start. */
  intervalMs: number;
  /** Traces per TracesExpired event (and per deletion call). */
  batch?: number;
  /**
   * A store that cannot list streams (EventStoreDB) gets the hourly streams of this many hours before the
   * cutoff deleted by name on each sweep (default: two sweep intervals and a day).
   */
  lookbackHours?: number;
}

export function retentionOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): RetentionOptions {
  const days = (env.TEMPS_RETENTION_DAYS ?? '').trim();
  const keep = (env.TEMPS_RETENTION_KEEP_USAGE ?? '').trim().toLowerCase();
  if (!['', '1', 'true', 'yes', 'on', '0', 'false', 'no', 'off'].includes(keep)) throw new Error(`TEMPS_RETENTION_KEEP_USAGE must be true (the default) or false, got "${env.TEMPS_RETENTION_KEEP_USAGE}"`);
  const minutes = (env.TEMPS_RETENTION_SWEEP_MINUTES ?? '').trim();
  const interval = minutes === '' ? 60 : Number(minutes);
  if (!Number.isFinite(interval) || interval <= 0 || interval > 7 * 24 * 60) throw new Error(`TEMPS_RETENTION_SWEEP_MINUTES must be a number of minutes above 0 and at most a week, got "${minutes}"`);
  return {
    defaultDays: days === '' ? null : parseRetentionDays(days, 'TEMPS_RETENTION_DAYS'),
    keepUsage: !['0', 'false', 'no', 'off'].includes(keep),
    intervalMs: Math.round(interval * 60_000),
  };
}

/** What a project's retention is, for the API and the dashboard. */
export interface RetentionInForce {
  days: number | null;
  /** `project`: set for this project (temps project retention); `default`: TEMPS_RETENTION_DAYS; `none`: kept forever. */
  source: 'project' | 'default' | 'none';
  keepUsage: boolean;
}

export interface RetentionSweepResult {
  /** Traces deleted (their streams, and a TracesExpired event each batch). */
  traces: number;
  /** Hourly log streams deleted (or, on a store that cannot list streams, named for deletion). */
  logStreams: number;
  /** Hourly metric streams deleted (that held events), with a MetricsExpired event each page. */
  metricStreams: number;
  /** The sweep stopped before its end (mayGoOn said no: the lease was lost); the next one goes on. */
  stopped?: boolean;
}

/** A page of hourly streams as `beforeDelete` leaves it: how many it counts, which to delete, and at which revisions. */
interface HourlyPage {
  count: number;
  names: string[];
  ifAt?: ReadonlyMap<string, bigint>;
}

/** What the sweep needs of the access state: live projects and their own retention. */
export interface RetentionAccess {
  projects(): Promise<string[]>;
  projectRetention(): Promise<Map<string, number>>;
}

/** The retention in force for a project: its own, else TEMPS_RETENTION_DAYS, else none (the API's answer). */
export async function retentionInForce(access: RetentionAccess, options: Pick<RetentionOptions, 'defaultDays' | 'keepUsage'>, projectId: string): Promise<RetentionInForce> {
  const own = (await access.projectRetention()).get(projectId);
  const keepUsage = options.keepUsage;
  if (own !== undefined) return { days: own, source: 'project', keepUsage };
  if (options.defaultDays !== null) return { days: options.defaultDays, source: 'default', keepUsage };
  return { days: null, source: 'none', keepUsage };
}

/**
 * Removes what is older than each project's retention. Order, per batch of traces: the streams are deleted
 * from the log FIRST, then a TracesExpired event names them, which every build of the read models folds in
 * log order (the projector runs the removal: no second writer races it). Crash between the two: the read
 * model still lists the traces, so the next sweep finds them again, deletes nothing more and appends the
 * event. A build in progress folds the event too, and a bulk load that starts later never reads the deleted
 * events. The caller makes sure the projector has folded every earlier event before a sweep (whenCaughtUp),
 * so a trace is never named twice.
 *
 * Finding expired traces costs one indexed range read of the read model per batch (traces by project and
 * start time); hourly log streams are a range of the event store's stream names (listStreams), or named
 * one by one where the store cannot list (EventStoreDB).
 */
export class RetentionSweeper {
  constructor(
    private readonly events: EventStore,
    /** The serving build: its trace list by start time, and (load) the spans of the traces whose usage is kept. */
    private readonly reads: TraceQueries & Pick<TraceWriter, 'load'>,
    private readonly access: RetentionAccess,
    private readonly options: RetentionOptions,
  ) {}

  inForce(projectId: string): Promise<RetentionInForce> {
    return retentionInForce(this.access, this.options, projectId);
  }

  /**
   * `mayGoOn` is asked before each page (of traces or hourly streams): false stops the sweep there (e.g. this
   * process lost the projection's lease), with what was done so far and `stopped` set; the next sweep resumes.
   */
  async sweep(nowMs = Date.now(), mayGoOn: () => Promise<boolean> = async () => true): Promise<RetentionSweepResult> {
    if (!this.events.deleteStreams) throw new Error('retention needs an event store that can delete streams (SQLite, EventStoreDB)');
    const settings = { defaultDays: this.options.defaultDays, projectDays: await this.access.projectRetention() };
    const result: RetentionSweepResult = { traces: 0, logStreams: 0, metricStreams: 0 };
    const stop = async () => {
      if (await mayGoOn()) return false;
      result.stopped = true;
      return true;
    };
    for (const projectId of await this.access.projects()) {
      const days = retentionDaysOf(settings, projectId);
      if (days === null) continue;
      const cutoff = retentionCutoff(days, nowMs);
      result.traces += await this.sweepTraces(projectId, cutoff, stop);
      if (!result.stopped) result.logStreams += await this.sweepHourly('logs', projectId, cutoff, stop, 500, async (names) => ({ count: names.length, names }));
      if (!result.stopped) result.metricStreams += await this.sweepHourly('metrics', projectId, cutoff, stop, 24, (names) => this.expireMetrics(projectId, cutoff, names));
      if (result.stopped) break;
    }
    return result;
  }

  private async sweepTraces(projectId: string, cutoff: string, stop: () => Promise<boolean>): Promise<number> {
    const batch = this.options.batch ?? 200;
    let count = 0;
    let cursor: string | undefined;
    do {
      if (await stop()) break;
      // Keyset pages over the index on (project, start time): the read model is changed only by the projector, later.
      const page = await this.reads.listTraces(projectId, { to: cutoff, limit: batch, ...(cursor ? { cursor } : {}) });
      cursor = page.nextCursor ?? undefined;
      if (page.items.length === 0) break;
      const traceIds = page.items.map((t) => t.traceId);
      const usage = this.options.keepUsage ? await this.usageOf(projectId, traceIds) : null;
      await this.events.deleteStreams!(traceIds.map((traceId) => Streams.trace(projectId, traceId)));
      const data: TracesExpiredData = { projectId, traceIds, cutoff, usage };
      // Named by its traces: a second sweeper racing over the same page appends nothing (a trace named twice would add its kept usage twice).
      const id = deterministicEventId(EventTypes.TracesExpired, projectId, ...[...traceIds].sort());
      await this.events.append(retentionStream(projectId), [{ id, type: EventTypes.TracesExpired, data }]);
      count += traceIds.length;
    } while (cursor);
    return count;
  }

  /** The usage rows these traces add, summed (kept when the traces go): their spans in one read. */
  private async usageOf(projectId: string, traceIds: string[]) {
    const { spans } = await this.reads.load({ traces: traceIds.map((traceId) => ({ projectId, traceId })) });
    const byTrace = new Map<string, typeof spans>();
    for (const s of spans) byTrace.set(s.traceId, [...(byTrace.get(s.traceId) ?? []), s]);
    return [...sumCounters([...byTrace.values()].flatMap((trace) => usageCounters(trace))).values()];
  }

  /**
   * Deletes a project's hourly streams of a kind wholly before the cutoff, a page at a time; `beforeDelete`
   * runs first on each page and says how many it counts, which of the page to delete, and (ifAt) at which
   * revisions: a stream written to after it was read is left for the next sweep.
   */
  private async sweepHourly(kind: HourlyStreamKind, projectId: string, cutoff: string, stop: () => Promise<boolean>, pageSize: number, beforeDelete: (names: string[]) => Promise<HourlyPage>): Promise<number> {
    const to = hourlyStreamBound(kind, projectId, cutoff);
    let count = 0;
    if (!this.events.listStreams) {
      const hours = this.options.lookbackHours ?? Math.ceil((2 * this.options.intervalMs) / 3_600_000) + 24;
      const names = hourlyStreamsBefore(kind, projectId, cutoff, hours).reverse();
      for (let i = 0; i < names.length; i += pageSize) {
        if (await stop()) return count;
        const page = await beforeDelete(names.slice(i, i + pageSize));
        count += page.count;
        await this.events.deleteStreams!(page.names, page.ifAt);
      }
      return count;
    }
    // The range also holds other projects' streams: project '1-2''s 'logs-1-2-...' sorts inside project 1's
    // ['logs-1-', 'logs-1-2026...') ('-' < '0'): only names of this project's hours are taken. The cursor moves
    // past every name listed, so neither a skipped name nor a stream left (written to since it was read) is read again.
    for (let cursor = hourlyStreamPrefix(kind, projectId); ; ) {
      if (await stop()) return count;
      const listed = await this.events.listStreams({ from: cursor, to, limit: pageSize });
      if (listed.length === 0) return count;
      cursor = `${listed[listed.length - 1]!}\0`;
      const names = listed.filter((name) => isExpiredHourlyStream(name, kind, projectId, cutoff));
      if (names.length === 0) continue;
      const page = await beforeDelete(names);
      count += page.count;
      await this.events.deleteStreams!(page.names, page.ifAt);
    }
  }

  /**
   * Before a page of hourly metric streams is deleted: a MetricsExpired event with their cumulative series'
   * newest points and, when usage is kept, the metric rows of the hours their points counted in (genai-metrics.ts).
   * Appended BEFORE the deletion, and named by the streams and the ids of the events it read: a sweep that
   * dies in between finds the same events again and appends nothing twice, and a build folds the event the
   * same with or without the deleted points. Streams are named by their items' own hours, so a point that
   * arrives late for an expired hour starts its stream again: the next sweep reads other events there and
   * names a new event (by the streams alone it would repeat the first one's id, which every store skips,
   * and the late point would go without its rows being set).
   */
  private async expireMetrics(projectId: string, cutoff: string, names: string[]): Promise<HourlyPage> {
    const streams: string[] = [];
    const ids: string[] = [];
    const ifAt = new Map<string, bigint>();
    const expired: ExpiredGenaiMetrics = { baselines: new Map(), hours: new Set() };
    // Stream by stream: a page holds up to a day of a project's metric points, only what they leave behind is kept.
    for (const name of names) {
      const events = await this.events.readStream(name);
      if (events.length === 0) continue;
      streams.push(name);
      ifAt.set(name, events[events.length - 1]!.revision);
      for (const e of events) ids.push(e.id);
      summarizeExpiredGenaiMetrics(events, expired);
    }
    if (streams.length === 0) return { count: 0, names: [] };
    const cutoffHour = genaiMetricHourOf(cutoff);
    // A stream's hour is its latest point's, so its points lie before the cutoff's hour; streams of earlier
    // versions were named by the hour received and may hold a point stamped later: only earlier hours are carried.
    const hours = this.options.keepUsage ? [...expired.hours].filter((hour) => hour < cutoffHour).sort() : null;
    const rows = hours ? (await Promise.all(genaiMetricHourRanges(projectId, hours).map((range) => this.reads.counterRows(range)))).flat() : null;
    const baselines = [...expired.baselines.values()].sort((a, b) => (a.seriesId < b.seriesId ? -1 : 1));
    const data: MetricsExpiredData = { projectId, cutoff, streams, baselines, hours, rows };
    await this.events.append(retentionStream(projectId), [{ id: deterministicEventId(EventTypes.MetricsExpired, projectId, ...streams, ids.join(' ')), type: EventTypes.MetricsExpired, data }]);
    // Only what the event accounts for goes: a point that arrives meanwhile keeps its stream until the next sweep.
    return { count: streams.length, names: streams, ifAt };
  }
}
