import { microsToIso, toEpochMicros } from '../webhook/time';
import {
  connectionHistory,
  type ConnectionHistoryEntry,
  type ConnectionRecord,
} from './connections';
import type { DiscoverRecord } from './discover';
import { jobOrderKey } from './entities';
import {
  jobHistory,
  statusClass,
  STATUS_CLASSES,
  type JobHistoryEntry,
  type JobRecord,
  type StatusClass,
  wholeTexts,
} from './jobs';
import type { StoredEvent } from './stored-event';

/** `jobs get`: the current record's fields under hotglue's names, plus its history. */
export type JobView = Record<string, unknown> &
  Omit<JobRecord, 'fields'> & { history: JobHistoryEntry[] };

/** A row of `jobs list`: the record without its payload fields, but with the failure details. */
export type JobSummary = Omit<JobRecord, 'fields'> & { error?: unknown; message?: unknown };

/** A row of `discover list`: the record without its payload fields, but with the failure details. */
export type DiscoverView = Omit<DiscoverRecord, 'fields'> & { error?: unknown; message?: unknown };
/** A row of `connections list`: the record without its payload fields (its history is paged apart). */
export type ConnectionView = Omit<ConnectionRecord, 'fields'>;

/** One page of a list: its items, and the cursor of the next page (null on the last). */
export interface Page<T> {
  items: T[];
  next: string | null;
}

/** Which page of a history: at most `limit` entries, older than the `before` cursor when given. */
export interface PageRequest {
  limit: number;
  before?: string;
}

export interface JobFilter {
  tenant?: string;
  flow?: string;
  env?: string;
  /**
   * An exact status, or a class: failed, running, completed, other (any case); or `lost`, the
   * running jobs reconciliation gave up on.
   */
  status?: string;
  /** Jobs started at or after this time. */
  since?: Date;
  /** Jobs started before this time. */
  until?: Date;
  /** Jobs whose latest event is at or after this time (listed newest update first). */
  updatedSince?: Date;
  /** Items per page where a store reads in pages; results are the same whatever it is. */
  pageSize?: number;
}

export interface DiscoverFilter {
  tenant?: string;
  flow?: string;
  /** An exact status, or started, success, failed (any case). */
  status?: string;
}

export interface ConnectionFilter {
  tenant?: string;
  flow?: string;
  /** Only connections whose latest event is LINK. */
  linked?: boolean;
}

/**
 * One job as `jobs get` shows it: every field, its texts whole (read back from the history's
 * payloads, see wholeTexts), and its history.
 */
export function jobView(record: JobRecord, history: readonly StoredEvent[]): JobView {
  const fields = wholeTexts(record.fields, history);
  return { ...jobDetail({ ...record, fields }), history: jobHistory(history) };
}

/** `jobs get --json` without its history: every payload field, then the record's own. */
export function jobDetail(record: JobRecord): Record<string, unknown> & Omit<JobRecord, 'fields'> {
  const { fields, ...rest } = record;
  return { ...fields, ...rest };
}

/** The record without its payload fields, but with hotglue's `error` and `message` when present. */
const withFailure = <R extends { fields: Record<string, unknown> }>({ fields, ...rest }: R) => ({
  ...rest,
  ...(fields.error !== undefined && { error: fields.error }),
  ...(fields.message !== undefined && { message: fields.message }),
});

export const jobSummary = (record: JobRecord): JobSummary => withFailure(record);

/** A connection as `connections list --json` shows it, without its history. */
export const connectionSummary = (record: ConnectionRecord): ConnectionView =>
  withoutFields(record);

/** A cursor that is not one this code wrote: answered as a bad request, never guessed at. */
export class InvalidCursorError extends Error {
  constructor() {
    super('the cursor is not one a previous page gave (use its "next" as it is)');
    this.name = 'InvalidCursorError';
  }
}

type HistoryKey = [micros: number, eventId: string];

const historyKey = (e: ConnectionHistoryEntry): HistoryKey => [
  toEpochMicros(e.timestamp) ?? -1,
  e.event_id,
];
const newerFirst = (a: HistoryKey, b: HistoryKey): number =>
  b[0] - a[0] || (a[1] < b[1] ? 1 : a[1] > b[1] ? -1 : 0);

/** Throws InvalidCursorError unless `cursor` is one connectionHistoryPage wrote. */
export const checkHistoryCursor = (cursor: string | undefined): void =>
  void (cursor === undefined || cursorKey(cursor));

function cursorKey(cursor: string): HistoryKey {
  try {
    const key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (
      Array.isArray(key) &&
      key.length === 2 &&
      Number.isInteger(key[0]) &&
      typeof key[1] === 'string'
    )
      return key as HistoryKey;
  } catch {
    // not base64url JSON: refused below
  }
  throw new InvalidCursorError();
}

/**
 * One page of a connection's history, newest first: the entries older than `before` (a cursor a
 * previous page returned as `next`), at most `limit`. The cursor names the last entry shown by its
 * time and event_id, so events that arrive between two pages neither repeat nor hide an entry.
 */
export function connectionHistoryPage(
  events: readonly StoredEvent[],
  { limit, before }: PageRequest,
): Page<ConnectionHistoryEntry> {
  const after = before === undefined ? undefined : cursorKey(before);
  const older = connectionHistory(events)
    .map((entry) => ({ entry, key: historyKey(entry) }))
    .sort((a, b) => newerFirst(a.key, b.key))
    .filter(({ key }) => after === undefined || newerFirst(after, key) < 0);
  const shown = older.slice(0, limit);
  const last = shown.at(-1);
  return {
    items: shown.map(({ entry }) => entry),
    next:
      older.length > limit && last !== undefined
        ? Buffer.from(JSON.stringify(last.key)).toString('base64url')
        : null,
  };
}

export const discoverSummary = (record: DiscoverRecord): DiscoverView => withFailure(record);

const withoutFields = <R extends { fields: unknown }>({
  fields: _fields,
  ...view
}: R): Omit<R, 'fields'> => view;

const isClass = (s: string): s is StatusClass => (STATUS_CLASSES as readonly string[]).includes(s);

/** The status classes a job status filter can match: one class, or every class when none is given. */
export function statusClassesOf(status: string | undefined): StatusClass[] {
  if (status === undefined) return [...STATUS_CLASSES];
  const lower = status.toLowerCase();
  if (lower === 'lost') return ['running'];
  return [isClass(lower) ? lower : statusClass(status)];
}

/** The lowest job order key a `since` filter keeps (see jobOrderKey). */
export const sinceKey = (since: Date): string => microsToIso(since.getTime() * 1000);

/** When a job was last heard of: its latest event, else its start; undefined with neither. */
export function lastEventTime(
  job: Pick<JobSummary, 'updated_at' | 'started_at'>,
): number | undefined {
  const time = Date.parse(job.updated_at ?? job.started_at ?? '');
  return Number.isNaN(time) ? undefined : time;
}

/** Whether a job record passes every part of a filter. */
export function jobMatches(record: JobRecord, filter: JobFilter): boolean {
  const { tenant, flow, env, status, since } = filter;
  if (tenant !== undefined && record.tenant !== tenant) return false;
  if (flow !== undefined && record.flow_id !== flow) return false;
  if (env !== undefined && record.env_id !== env) return false;
  if (since !== undefined && jobOrderKey(record) < sinceKey(since)) return false;
  // A job without a start time sorts first, so before any `until`.
  if (filter.until !== undefined && jobOrderKey(record) >= sinceKey(filter.until)) return false;
  if (
    filter.updatedSince !== undefined &&
    (record.updated_at === undefined || record.updated_at < sinceKey(filter.updatedSince))
  )
    return false;
  if (status === undefined) return true;
  const lower = status.toLowerCase();
  if (lower === 'lost')
    return record.status_class === 'running' && record.reconcile?.lost_at !== undefined;
  return isClass(lower) ? record.status_class === lower : record.status === status;
}

const discoverStatus = (s: string): string => {
  const short = s.toUpperCase();
  return ['STARTED', 'SUCCESS', 'FAILED'].includes(short) ? `DISCOVER_${short}` : s;
};

export function discoverMatches(record: DiscoverRecord, filter: DiscoverFilter): boolean {
  if (filter.tenant !== undefined && record.tenant !== filter.tenant) return false;
  if (filter.flow !== undefined && record.flow_id !== filter.flow) return false;
  return filter.status === undefined || record.status === discoverStatus(filter.status);
}

export function connectionMatches(record: ConnectionRecord, filter: ConnectionFilter): boolean {
  if (filter.tenant !== undefined && record.tenant !== filter.tenant) return false;
  if (filter.flow !== undefined && record.flow_id !== filter.flow) return false;
  return filter.linked !== true || record.linked;
}

/** Takes up to `limit` items from an async sequence. */
export async function take<T>(items: AsyncIterable<T>, limit: number): Promise<T[]> {
  const out: T[] = [];
  if (limit <= 0) return out;
  for await (const item of items) {
    out.push(item);
    if (out.length >= limit) break;
  }
  return out;
}

/**
 * Newest update first: by `updated_at`, then s3_root, both descending (no time sorts last).
 * @internal exported for the tests
 */
export const byNewestUpdate = (a: JobSummary, b: JobSummary): number => {
  const x = `${a.updated_at ?? ''}#${a.s3_root}`;
  const y = `${b.updated_at ?? ''}#${b.s3_root}`;
  return x < y ? 1 : x > y ? -1 : 0;
};

/**
 * Sorts a stream already in descending hour-bucket order (see jobUpdatedKey) into newest update
 * first, holding one hour's jobs at a time.
 */
export async function* newestUpdateFirst(
  jobs: AsyncIterable<JobSummary>,
): AsyncGenerator<JobSummary> {
  let bucket: JobSummary[] = [];
  let hour: string | undefined;
  for await (const job of jobs) {
    const its = (job.updated_at ?? '').slice(0, 13);
    if (hour !== undefined && its !== hour) {
      yield* bucket.sort(byNewestUpdate);
      bucket = [];
    }
    hour = its;
    bucket.push(job);
  }
  yield* bucket.sort(byNewestUpdate);
}

/** The jobs page's summary: jobs started since `since`, per status class, and failures per tenant. */
export interface JobsSummaryView {
  since: string;
  /** The time the counts are by: hotglue's start of each job, as the jobs list is sorted. */
  basis: 'started';
  jobs: number;
  /** A bound was reached (see the store): the counts are of the first jobs only. */
  truncated: boolean;
  byClass: Record<StatusClass, number>;
  failuresByTenant: { tenant: string; failed: number }[];
  /**
   * Completed and failed jobs per hour of their start, oldest first, from the hour of `since` to
   * the current one (at most the last BY_HOUR_MAX hours).
   */
  byHour: HourCount[];
}

interface HourCount {
  /** The hour's start (ISO). */
  hour: string;
  completed: number;
  failed: number;
}

const HOUR_MS = 3_600_000;
/** The most hours a summary counts by hour: 7 days. */
const BY_HOUR_MAX = 168;

/** A finished job as the hourly counts see it: when it started, and how it ended. */
export interface FinishedStart {
  started_at?: string;
  status_class: StatusClass;
}

/** Completed and failed jobs per hour of their start, from `since`'s hour to `now`'s. */
function countByHour(since: Date, now: Date, finished: readonly FinishedStart[]): HourCount[] {
  const last = Math.floor(now.getTime() / HOUR_MS);
  const first = Math.max(Math.floor(since.getTime() / HOUR_MS), last - BY_HOUR_MAX + 1);
  const hours = Array.from({ length: Math.max(0, last - first + 1) }, (_, i) => ({
    hour: new Date((first + i) * HOUR_MS).toISOString(),
    completed: 0,
    failed: 0,
  }));
  for (const job of finished) {
    if (job.started_at === undefined) continue;
    const bucket = hours[Math.floor(Date.parse(job.started_at) / HOUR_MS) - first];
    if (bucket === undefined) continue;
    if (job.status_class === 'completed') bucket.completed += 1;
    if (job.status_class === 'failed') bucket.failed += 1;
  }
  return hours;
}

/** What a summary is asked for: jobs started since `since`, of one tenant or flow if given. */
export interface SummaryFilter {
  since: Date;
  tenant?: string;
  flow?: string;
  /** The end of the hourly counts (the current hour by default). */
  now?: Date;
}

const emptyCounts = (): Record<StatusClass, number> => ({
  running: 0,
  failed: 0,
  completed: 0,
  other: 0,
});

/** The summary of counts already made: per class, and the failed jobs' tenants. */
export function summaryFromCounts(
  filter: Pick<SummaryFilter, 'since' | 'now'>,
  byClass: Partial<Record<StatusClass, number>>,
  counted: { failedTenants: readonly string[]; finished: readonly FinishedStart[] },
  truncated: boolean,
): JobsSummaryView {
  const { since } = filter;
  const failedTenants = counted.failedTenants;
  const counts = { ...emptyCounts(), ...byClass };
  const perTenant = new Map<string, number>();
  for (const t of failedTenants) perTenant.set(t, (perTenant.get(t) ?? 0) + 1);
  return {
    since: since.toISOString(),
    basis: 'started',
    jobs: Object.values(counts).reduce((a, b) => a + b, 0),
    truncated,
    byClass: counts,
    failuresByTenant: [...perTenant.entries()]
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .map(([tenant, failed]) => ({ tenant, failed })),
    byHour: countByHour(since, filter.now ?? new Date(), counted.finished),
  };
}

/** The summary of jobs at hand (a tenant's or a flow's, read from their records). */
export function summaryOf(
  filter: Pick<SummaryFilter, 'since' | 'now'>,
  jobs: readonly Pick<JobSummary, 'status_class' | 'tenant' | 'started_at'>[],
  truncated: boolean,
): JobsSummaryView {
  const byClass = emptyCounts();
  for (const job of jobs) byClass[job.status_class] += 1;
  const failedTenants = jobs.filter((j) => j.status_class === 'failed').map((j) => j.tenant);
  return summaryFromCounts(filter, byClass, { failedTenants, finished: jobs }, truncated);
}
