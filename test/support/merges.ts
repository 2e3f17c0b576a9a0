import { boundField, RECORD_BUDGET_BYTES, storedBytes } from '../../lib/records/bounds';
import {
  CONNECTION_KEEP,
  connectionRecord,
  eventTimesCost,
  laterTimes,
  facts as connectionFacts,
  latestKey as connectionLatestKey,
  type ConnectionRecord,
} from '../../lib/records/connections';
import { distinct, maxBy, sortBy } from '../../lib/records/compare';
import {
  DISCOVER_KEEP,
  facts as discoverFacts,
  latestKey as discoverLatestKey,
  type Facts as DiscoverFacts,
  type DiscoverRecord,
} from '../../lib/records/discover';
import { boundRecord, ENTITIES } from '../../lib/records/entities';
import { nameCost } from '../../lib/records/fold';
import { setOwn } from '../../lib/records/own';
import {
  facts as jobFacts,
  isKnownStatus,
  isTerminal,
  JOB_KEEP,
  jobRecord,
  knownKey,
  latestKey as jobLatestKey,
  unknownKey,
  type Facts as JobFacts,
  type JobRecord,
} from '../../lib/records/jobs';
import { isPresent, text, type StoredEvent } from '../../lib/records/stored-event';
import type { Kind } from '../../lib/webhook/kinds';
import { microsToIso, toEpochMicros } from '../../lib/webhook/time';

/**
 * The specification of every record: a pure function of the *set* of an entity's events (any
 * order, any repetition, the same record). What ships folds one event at a time (Entity.fold);
 * the property tests hold each fold equal to these merges, the in-memory store keeps its records
 * by them, and the contract suite compares every store's records with them.
 */

/**
 * The size rule over the set of events: each field's name with the largest bounded value any
 * event gave it (see nameCost); `keyBytes` the largest order key of any event.
 */
class Sizes {
  readonly byName = new Map<string, number>();
  constructor(private readonly keep: ReadonlySet<string>) {}
  add(name: string, value: unknown): void {
    if (!isPresent(value)) return;
    const bytes = storedBytes(boundField(value, this.keep.has(name)));
    this.byName.set(name, Math.max(this.byName.get(name) ?? 0, bytes));
  }
  cost(keyBytes: number, skip?: string): number {
    let cost = 0;
    for (const [name, size] of this.byName)
      if (name !== skip) cost += nameCost(name, size, keyBytes);
    return cost;
  }
}

const largestKey = <F>(all: readonly F[], key: (f: F) => unknown[]): number =>
  Math.max(0, ...all.map((f) => storedBytes(key(f))));

/** `fields` with only the names in `keep`: what a record keeps once it outgrew its budget. */
const kept = (fields: Record<string, unknown>, keep: ReadonlySet<string>) =>
  Object.fromEntries(Object.entries(fields).filter(([name]) => keep.has(name)));

/**
 * The current status of a job from the set of its events:
 * - among known statuses, a terminal one (JOB_COMPLETED, any *_FAILED) beats every in-progress one;
 *   otherwise the later lifecycle phase wins; between equals, the later time;
 * - an unknown status moves the current status only by time: it becomes current when it is
 *   strictly later than the best known event and that event is not terminal.
 */
function currentStatus(all: JobFacts[]): JobFacts {
  const bestKnown = maxBy(
    all.filter((f) => isKnownStatus(f.status)),
    knownKey,
  );
  const latestUnknown = maxBy(
    all.filter((f) => !isKnownStatus(f.status)),
    unknownKey,
  );
  if (bestKnown === undefined) return latestUnknown as JobFacts;
  if (
    latestUnknown !== undefined &&
    !isTerminal(bestKnown.status) &&
    latestUnknown.time > bestKnown.time
  ) {
    return latestUnknown;
  }
  return bestKnown;
}

/**
 * Merges the set of a job's events into its current record. A pure function of the *set*:
 * any order, any repetition, the same record.
 *
 * Field rule: each payload field takes its value from the latest event (by time, then lifecycle
 * position) that carries it non-null; a later null or missing field never erases an earlier
 * value. `status_timestamp` is merged key by key the same way. `status` follows the status rule.
 */
export function mergeJob(events: readonly StoredEvent[]): JobRecord {
  const all = distinct(events).map(jobFacts);
  if (all.length === 0) throw new Error('a job needs at least one event');
  const ordered = sortBy(all, jobLatestKey);
  const fields: Record<string, unknown> = {};
  const stamps: Record<string, unknown> = {};
  for (const { event } of ordered) {
    for (const [name, value] of Object.entries(event.payload)) {
      if (!isPresent(value)) continue;
      if (name === 'status_timestamp' && typeof value === 'object' && !Array.isArray(value)) {
        for (const [phase, at] of Object.entries(value as Record<string, unknown>))
          if (isPresent(at)) setOwn(stamps, phase, at);
      } else {
        setOwn(fields, name, value);
      }
    }
  }
  const sizes = new Sizes(JOB_KEEP);
  const phases = new Sizes(new Set());
  for (const { event } of all) {
    for (const [name, value] of Object.entries(event.payload)) {
      if (name === 'status') continue;
      if (name === 'status_timestamp' && typeof value === 'object' && !Array.isArray(value)) {
        if (value !== null)
          for (const [phase, at] of Object.entries(value as Record<string, unknown>))
            phases.add(phase, at);
      } else sizes.add(name, value);
    }
  }
  const keyBytes = largestKey(all, jobLatestKey);
  const cost =
    sizes.cost(keyBytes, 'status_timestamp') +
    nameCost('status_timestamp', sizes.byName.get('status_timestamp') ?? 0, keyBytes) +
    phases.cost(keyBytes);
  if (cost > RECORD_BUDGET_BYTES) {
    for (const name of Object.keys(fields)) if (!JOB_KEEP.has(name)) delete fields[name];
  } else if (Object.keys(stamps).length > 0) fields.status_timestamp = stamps;
  const current = currentStatus(all);
  fields.status = current.status;
  const times = all.map((f) => f.time).filter((t) => t >= 0);
  const start =
    toEpochMicros(fields.start_time) ?? (times.length > 0 ? Math.min(...times) : undefined);
  const newest = ordered[ordered.length - 1] as (typeof ordered)[number];
  return jobRecord({
    s3Root: newest.event.payload.s3_root,
    fields,
    status: current.status,
    start,
    last: times.length > 0 ? Math.max(...times) : -1,
    count: all.length,
  });
}

function lastTime(all: DiscoverFacts[], status: string): string | undefined {
  const times = all.filter((f) => f.status === status && f.time >= 0).map((f) => f.time);
  return times.length > 0 ? microsToIso(Math.max(...times)) : undefined;
}

/** The discover state of one (env_id, tenant, flow_id, connector) from the set of its events. */
export function mergeDiscover(events: readonly StoredEvent[]): DiscoverRecord {
  const all = distinct(events).map(discoverFacts);
  const ordered = sortBy(all, discoverLatestKey);
  const latest = maxBy(all, discoverLatestKey);
  if (latest === undefined) throw new Error('a discover state needs at least one event');
  const fields: Record<string, unknown> = {};
  for (const { event } of ordered) {
    for (const [name, value] of Object.entries(event.payload))
      if (isPresent(value)) setOwn(fields, name, value);
  }
  const sizes = new Sizes(DISCOVER_KEEP);
  for (const { event } of all)
    for (const [name, value] of Object.entries(event.payload)) sizes.add(name, value);
  const merged =
    sizes.cost(largestKey(all, discoverLatestKey)) > RECORD_BUDGET_BYTES
      ? kept(fields, DISCOVER_KEEP)
      : fields;
  merged.status = latest.status;
  const times = all.map((f) => f.time).filter((t) => t >= 0);
  const record: DiscoverRecord = {
    env_id: text(merged.env_id) ?? '',
    tenant: String(merged.tenant),
    flow_id: String(merged.flow_id),
    connector: String(merged.connector),
    status: latest.status,
    event_count: all.length,
    fields: merged,
  };
  if (isPresent(latest.event.payload.timestamp)) record.timestamp = latest.event.payload.timestamp;
  if (times.length > 0) record.updated_at = microsToIso(Math.max(...times));
  const started = lastTime(all, 'DISCOVER_STARTED');
  const success = lastTime(all, 'DISCOVER_SUCCESS');
  const failed = lastTime(all, 'DISCOVER_FAILED');
  if (started !== undefined) record.last_started_at = started;
  if (success !== undefined) record.last_success_at = success;
  if (failed !== undefined) record.last_failed_at = failed;
  return record;
}

const ids = (events: readonly StoredEvent[]): number =>
  new Set(events.map((e) => connectionFacts(e).id)).size;

/**
 * The state of one connection (env_id, tenant, flow_id, connector_type, connector) from the set of
 * contents it was sent: every distinct content counts (should two share an `event_id`, both do),
 * and `event_count` counts distinct `event_id`s.
 */
export function mergeConnection(events: readonly StoredEvent[]): ConnectionRecord {
  const all = distinct(events).map(connectionFacts);
  const latest = maxBy(all, connectionLatestKey);
  if (latest === undefined) throw new Error('a connection needs at least one event');
  const fields: Record<string, unknown> = {};
  for (const { event } of sortBy(all, connectionLatestKey)) {
    for (const [name, value] of Object.entries(event.payload))
      if (isPresent(value)) setOwn(fields, name, value);
  }
  const lastAt = new Map<string, number>();
  let times = {};
  for (const f of all) {
    if (f.time >= 0) lastAt.set(f.name, Math.max(lastAt.get(f.name) ?? -1, f.time));
    times = laterTimes(times, f.name, f.time);
  }
  const sizes = new Sizes(CONNECTION_KEEP);
  for (const { event } of all)
    for (const [name, value] of Object.entries(event.payload)) sizes.add(name, value);
  const dropped =
    sizes.cost(largestKey(all, connectionLatestKey)) + eventTimesCost(lastAt) > RECORD_BUDGET_BYTES;
  if (dropped) for (const name of lastAt.keys()) if (name !== 'LINK') lastAt.delete(name);
  return connectionRecord(
    dropped ? kept(fields, CONNECTION_KEEP) : fields,
    { name: latest.name, timestamp: latest.event.payload.timestamp },
    lastAt,
    times,
    ids(events),
  );
}

/** Each kind's merge. */
const MERGES = {
  jobs: mergeJob,
  discover: mergeDiscover,
  connections: mergeConnection,
} satisfies Record<Kind, (events: readonly StoredEvent[]) => unknown>;

/** The record every store keeps for an entity's history: its merge, bounded in size. */
export const recordOfHistory = (kind: Kind, history: readonly StoredEvent[]): unknown =>
  boundRecord(MERGES[kind](history), ENTITIES[kind].keep);

/**
 * Chooses what a history keeps for one id: the event already there, or the newcomer when the
 * id is new or the newcomer's hash is larger. So any order of arrival keeps the same event.
 */
export const keepsNewcomer = (held: StoredEvent | undefined, newcomer: StoredEvent): boolean =>
  held === undefined || held.hash < newcomer.hash;
