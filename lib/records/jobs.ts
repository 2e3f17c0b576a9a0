import type { EventSource } from '../webhook/envelope';
import { microsToIso, toEpochMicros } from '../webhook/time';
import { distinct, hashOrder, orderText, sortBy, type SortKey } from './compare';
import { boundValue, cutBytes, cutText } from './bounds';
import {
  dropFields,
  fieldsCost,
  foldFields,
  greaterKey,
  noWinners,
  overBudget,
  type Winners,
} from './fold';
import { own, setOwn } from './own';
import type { PollState } from './poll';
import { isPresent, text, type StoredEvent } from './stored-event';

/** hotglue's job lifecycle, in order (hotglue-facts.md). Failures sit after the phase they end. */
const LIFECYCLE = new Map<string, number>(
  Object.entries({
    JOB_CREATED: 10,
    DISCOVER_STARTED: 20,
    DISCOVER_FAILED: 25,
    SYNC_STARTED: 30,
    SYNC_FAILED: 35,
    SYNC_SUCCESS: 36,
    ETL_STARTED: 40,
    ETL_FAILED: 45,
    ETL_SUCCESS: 46,
    EXPORT_STARTED: 50,
    EXPORT_FAILED: 55,
    JOB_COMPLETED: 60,
  }),
);

/** The fields a job's record is made of: kept when its other fields outgrow their budget. */
export const JOB_KEEP: ReadonlySet<string> = new Set([
  's3_root',
  'job_id',
  'tenant',
  'flow_id',
  'env_id',
  'start_time',
  'error',
  'message',
]);

export type StatusClass = 'completed' | 'failed' | 'running' | 'other';
export const STATUS_CLASSES: readonly StatusClass[] = ['running', 'failed', 'completed', 'other'];

/** @internal exported for the tests */
export const isKnownStatus = (status: string): boolean => LIFECYCLE.has(status);
/** @internal exported for the tests */
export const isTerminal = (status: string): boolean =>
  status === 'JOB_COMPLETED' || (isKnownStatus(status) && status.endsWith('_FAILED'));

export function statusClass(status: string): StatusClass {
  if (status === 'JOB_COMPLETED') return 'completed';
  if (!isKnownStatus(status)) return 'other';
  return status.endsWith('_FAILED') ? 'failed' : 'running';
}

export interface Facts {
  event: StoredEvent;
  status: string;
  /** Epoch microseconds: `last_updated`, else `status_timestamp[status]`; -1 when neither. */
  time: number;
  position: number;
}

/** @internal exported for the tests */
export function facts(event: StoredEvent): Facts {
  const status = String(event.payload.status);
  const stamps = event.payload.status_timestamp;
  const phase =
    typeof stamps === 'object' && stamps !== null
      ? own(stamps as Record<string, unknown>, status)
      : undefined;
  const time = toEpochMicros(event.payload.last_updated) ?? toEpochMicros(phase) ?? -1;
  return { event, status, time, position: LIFECYCLE.get(status) ?? -1 };
}

/** A job event's time in epoch microseconds (`last_updated`, else its status's timestamp); -1 when none. */
export const jobEventTime = (event: StoredEvent): number => facts(event).time;

/**
 * A job event's place in its history as text that sorts the way the history does: its time (ISO
 * with microseconds; none sorts first), its lifecycle position, then its content hash.
 */
export function jobHistoryOrder(event: StoredEvent): string {
  const { time, position } = facts(event);
  return orderText(time, position + 1, event.hash);
}

/**
 * "Latest" for payload fields and history: by time, then lifecycle position, then content.
 * @internal exported for the tests
 */
export const latestKey = (f: Facts): SortKey => [
  f.time,
  f.position,
  f.status,
  hashOrder(f.event.hash),
];
/**
 * Precedence among known statuses: terminal above all, then lifecycle position, then time.
 * @internal exported for the tests
 */
export const knownKey = (f: Facts): SortKey =>
  isTerminal(f.status)
    ? [1, 0, f.time, f.status, hashOrder(f.event.hash)]
    : [0, f.position, f.time, f.status, hashOrder(f.event.hash)];
/**
 * Order among unknown statuses: by time only (then content).
 * @internal exported for the tests
 */
export const unknownKey = (f: Facts): SortKey => [f.time, f.status, hashOrder(f.event.hash)];

export interface JobHistoryEntry {
  status: string;
  /** The event's time (ISO with microseconds), when it has one. */
  time?: string;
  last_updated?: unknown;
  error?: unknown;
  message?: unknown;
  record_count?: number;
  record_counts?: Record<string, unknown>;
  received_at: string;
  /** `webhook`, or `reconcile` for an answer of hotglue's job-status API. */
  source: EventSource;
  hash: string;
}

export interface JobRecord {
  s3_root: string;
  job_id?: string;
  tenant: string;
  flow_id: string;
  env_id?: string;
  status: string;
  status_class: StatusClass;
  /** `start_time`, else the earliest event time (ISO); undefined when no event has a time. */
  started_at?: string;
  /** The latest event time (ISO). */
  updated_at?: string;
  event_count: number;
  /** The latest known value of every payload field, under hotglue's names. */
  fields: Record<string, unknown>;
  /** What reconciliation could not settle about this running job (see PollState); usually absent. */
  reconcile?: PollState;
}

function recordCounts(
  payload: Record<string, unknown>,
): Pick<JobHistoryEntry, 'record_count' | 'record_counts'> {
  const metrics = payload.metrics;
  const counts =
    typeof metrics === 'object' && metrics !== null
      ? (metrics as Record<string, unknown>).recordCount
      : undefined;
  if (typeof counts !== 'object' || counts === null) return {};
  const values = Object.values(counts as Record<string, unknown>).filter(
    (v): v is number => typeof v === 'number',
  );
  return {
    record_counts: counts as Record<string, unknown>,
    record_count: values.reduce((a, b) => a + b, 0),
  };
}

/**
 * The job's history, one entry per distinct event, in time then lifecycle order. Its texts are cut
 * as the history items' attributes are (boundValue): the record shows the latest whole (see
 * wholeTexts), and the timeline stays bounded however many events carry a long one.
 */
export function jobHistory(events: readonly StoredEvent[]): JobHistoryEntry[] {
  return sortBy(distinct(events).map(facts), latestKey).map(({ event, status, time }) => {
    const p = event.payload;
    return {
      status,
      ...(time >= 0 && { time: microsToIso(time) }),
      ...(isPresent(p.last_updated) && { last_updated: boundValue(p.last_updated) }),
      ...(isPresent(p.error) && { error: boundValue(p.error) }),
      ...(isPresent(p.message) && { message: boundValue(p.message) }),
      ...recordCounts(p),
      received_at: event.receivedAt,
      source: event.source ?? 'webhook',
      hash: event.hash,
    };
  });
}

/**
 * A job's payload fields with each text the record holds cut (see cutText) whole again, for one
 * job's page: the value of the latest event of `history` that carries the field (as the fold
 * chose it), when cutting that value gives the record's. Else (its event expired) it stays cut.
 */
export function wholeTexts(
  fields: Record<string, unknown>,
  history: readonly StoredEvent[],
): Record<string, unknown> {
  const cut = Object.keys(fields).filter((name) => cutBytes(fields[name]) !== undefined);
  if (cut.length === 0) return fields;
  const newestFirst = sortBy(distinct(history).map(facts), latestKey).reverse();
  const whole = { ...fields };
  for (const name of cut) {
    const carrying = newestFirst.find((f) => isPresent(own(f.event.payload, name)));
    const value = carrying && own(carrying.event.payload, name);
    if (typeof value === 'string' && cutText(value) === own(fields, name))
      setOwn(whole, name, value);
  }
  return whole;
}

/**
 * A job's record from its merged fields, current status, first and last times and count.
 * @internal exported for the tests
 */
export function jobRecord(parts: {
  s3Root: unknown;
  fields: Record<string, unknown>;
  status: string;
  start: number | undefined;
  last: number;
  count: number;
}): JobRecord {
  const { fields, status, start, last } = parts;
  return {
    s3_root: String(parts.s3Root),
    ...(text(fields.job_id) !== undefined && { job_id: text(fields.job_id) }),
    tenant: String(fields.tenant),
    flow_id: String(fields.flow_id),
    ...(text(fields.env_id) !== undefined && { env_id: text(fields.env_id) }),
    status,
    status_class: statusClass(status),
    ...(start !== undefined && { started_at: microsToIso(start) }),
    ...(last >= 0 && { updated_at: microsToIso(last) }),
    event_count: parts.count,
    fields,
  };
}

/** What a job's CURRENT item keeps so that one more event can be folded in (see foldJob). */
export interface JobFold {
  fields: Winners;
  /** The phases of `status_timestamp`, merged phase by phase. */
  stamps: Winners;
  /** The key of the best known status (knownKey: its time is [2], its status [3]). */
  known?: SortKey;
  /** The key of the latest unknown status (unknownKey: its time is [0], its status [1]). */
  unknown?: SortKey;
  /** The earliest event time (epoch microseconds); -1 while no event has one. */
  first: number;
}

const NOTHING: ReadonlySet<string> = new Set();

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * At most what a job's fields and their fold state take (see fieldsCost), counted alike for the
 * same set of events in any order: `status_timestamp` always once as a field (its value when it
 * is not an object), and once per phase.
 */
function jobCost(values: Record<string, unknown>, stamps: Record<string, unknown>, fold: JobFold) {
  const keyBytes = fold.fields.keyBytes ?? 0;
  const names = Object.keys(values).filter((name) => name !== 'status_timestamp');
  return (
    fieldsCost([...names, 'status_timestamp'], fold.fields, keyBytes) +
    fieldsCost(Object.keys(stamps), fold.stamps, keyBytes)
  );
}

/**
 * Folds one more event into a job's record, reading nothing else: `prev` is the record and fold
 * state so far (undefined for the first event), `isNew` says whether the event is new to the
 * job's history (so counts once). For any order and repetition of a set of events, the result is
 * exactly the merge of the set (`mergeJob` in test/support/merges.ts, held to it by fold.test.ts).
 */
export function foldJob(
  prev: { record: JobRecord; fold: JobFold } | undefined,
  event: StoredEvent,
  isNew: boolean,
): { record: JobRecord; fold: JobFold } {
  const f = facts(event);
  const key = latestKey(f);
  const fold: JobFold = prev
    ? structuredClone(prev.fold)
    : { fields: noWinners(), stamps: noWinners(), first: -1 };
  const { status: _status, ...values } = prev?.record.fields ?? {};
  let stampValues: Record<string, unknown> = {};
  if (isObject(values.status_timestamp)) {
    // The phases, shown once any phase has a time; a non-object value stays hidden from then on.
    stampValues = { ...values.status_timestamp };
    delete values.status_timestamp;
  }
  const { status: _s, status_timestamp: stamp, ...rest } = event.payload;
  const incoming = isObject(stamp) ? rest : { ...rest, status_timestamp: stamp };
  foldFields(values, fold.fields, incoming, key, JOB_KEEP);
  if (isObject(stamp) && !fold.fields.dropped)
    foldFields(stampValues, fold.stamps, stamp, key, NOTHING);
  if (!fold.fields.dropped && overBudget(jobCost(values, stampValues, fold))) {
    dropFields(values, fold.fields, JOB_KEEP);
    stampValues = {};
    fold.stamps = noWinners();
  }
  if (isKnownStatus(f.status)) fold.known = greaterKey(fold.known, knownKey(f));
  else fold.unknown = greaterKey(fold.unknown, unknownKey(f));
  if (f.time >= 0) fold.first = fold.first < 0 ? f.time : Math.min(fold.first, f.time);
  const known = fold.known && { status: String(fold.known[3]), time: Number(fold.known[2]) };
  const unknown = fold.unknown && {
    status: String(fold.unknown[1]),
    time: Number(fold.unknown[0]),
  };
  const current =
    known === undefined ||
    (unknown !== undefined && !isTerminal(known.status) && unknown.time > known.time)
      ? (unknown as NonNullable<typeof unknown>)
      : known;
  const showStamps = Object.keys(stampValues).length > 0;
  const fields: Record<string, unknown> = {
    ...values,
    ...(showStamps && { status_timestamp: stampValues }),
    status: current.status,
  };
  const record = jobRecord({
    s3Root: event.payload.s3_root,
    fields,
    status: current.status,
    start: toEpochMicros(fields.start_time) ?? (fold.first >= 0 ? fold.first : undefined),
    last: Math.max(toEpochMicros(prev?.record.updated_at) ?? -1, f.time),
    count: (prev?.record.event_count ?? 0) + (isNew ? 1 : 0),
  });
  return { record, fold };
}
