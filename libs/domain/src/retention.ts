import { hourBucket } from './events';
import type { CounterRow } from './read-models/read-model-counters';

/**
 * Retention: how long a project's telemetry stays. Pure rules only (the sweep that carries them out lives
 * on the projector side): which cutoff applies to a project, and which hourly streams lie wholly before it.
 */

/** A project's own retention (the `access` stream); `days: null` goes back to the server default. */
export interface ProjectRetentionSetData {
  projectId: string;
  days: number | null;
  setAt: string;
}

export interface RetentionSettings {
  /** TEMPS_RETENTION_DAYS; null: keep everything (unless a project says otherwise). */
  defaultDays: number | null;
  /** Per project (ProjectRetentionSet), over the default. */
  projectDays: ReadonlyMap<string, number>;
}

/** Longest retention the CLI and the environment take (100 years): a typo must not wrap a date. */
export const MAX_RETENTION_DAYS = 36_500;

/** Parses a number of whole days (1..MAX_RETENTION_DAYS) or throws with what was wrong. */
export function parseRetentionDays(text: string, what: string): number {
  const days = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(days) || days < 1 || days > MAX_RETENTION_DAYS) {
    throw new RangeError(`${what} must be a whole number of days from 1 to ${MAX_RETENTION_DAYS}, got "${text}"`);
  }
  return days;
}

/** The retention in force for a project: its own, else the default, else null (kept forever). */
export function retentionDaysOf(settings: RetentionSettings, projectId: string): number | null {
  return settings.projectDays.get(projectId) ?? settings.defaultDays;
}

const DAY_MS = 86_400_000;

/** Telemetry older than this instant goes (ISO 8601). */
export function retentionCutoff(days: number, nowMs: number): string {
  return new Date(nowMs - days * DAY_MS).toISOString();
}

export type HourlyStreamKind = 'logs' | 'metrics';

/** `logs-{project}-` : the prefix every hourly stream of a kind and project starts with. */
export const hourlyStreamPrefix = (kind: HourlyStreamKind, projectId: string) => `${kind}-${projectId}-`;

/**
 * The first hourly stream name NOT wholly before the cutoff: the stream of the cutoff's own hour. Names of
 * a kind and project sort by hour (fixed-width YYYYMMDDHH), so every stream in [prefix, this) has expired.
 */
export function hourlyStreamBound(kind: HourlyStreamKind, projectId: string, cutoffIso: string): string {
  return hourlyStreamPrefix(kind, projectId) + hourBucket(cutoffIso);
}

/** Whether a stream name is one of a project's hourly streams of this kind that lies wholly before the cutoff. */
export function isExpiredHourlyStream(stream: string, kind: HourlyStreamKind, projectId: string, cutoffIso: string): boolean {
  const prefix = hourlyStreamPrefix(kind, projectId);
  if (!stream.startsWith(prefix)) return false;
  const hour = stream.slice(prefix.length);
  return /^\d{10}$/.test(hour) && stream < hourlyStreamBound(kind, projectId, cutoffIso);
}

/**
 * The hourly stream names of the `hours` hours before the cutoff's hour, newest first: for a store that
 * cannot list streams by prefix (EventStoreDB), the sweep deletes these by name.
 */
export function hourlyStreamsBefore(kind: HourlyStreamKind, projectId: string, cutoffIso: string, hours: number): string[] {
  const start = Math.floor(Date.parse(cutoffIso) / 3_600_000) * 3_600_000;
  const out: string[] = [];
  for (let i = 1; i <= hours; i++) out.push(hourlyStreamPrefix(kind, projectId) + hourBucket(new Date(start - i * 3_600_000).toISOString()));
  return out;
}

/** Where the sweep records what it removed, per project (`retention-1`). */
export const retentionStream = (projectId: string) => `retention-${projectId}`;

/**
 * The sweep deleted these traces' streams from the log (before appending this): every build of the read
 * models removes them when it folds this event, in log order, so a build in progress cannot keep them and a
 * rebuild, which no longer reads their spans, ends the same. Ids only: no content stays in the log.
 */
export interface TracesExpiredData {
  projectId: string;
  traceIds: string[];
  /** The cutoff they were older than (ISO 8601). */
  cutoff: string;
  /**
   * TEMPS_RETENTION_KEEP_USAGE: the model usage rows these traces added (usageCounters of their spans), added
   * back after the traces' own contribution is taken out; a rebuild, which never sees the traces, adds them
   * too. Null: usage goes with the traces.
   */
  usage: CounterRow[] | null;
}
