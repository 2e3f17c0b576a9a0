import { microsToIso, toEpochMicros } from '../webhook/time';
import { hashOrder, sortBy, type SortKey } from './compare';
import { boundField } from './bounds';
import { dropFields, fieldsCost, foldFields, noWinners, overBudget, type Winners } from './fold';
import { isPresent, text, type StoredEvent } from './stored-event';

/** Event names that end a link. hotglue documents only LINK; every name is kept as it comes. */
const UNLINK = /unlink|remove|delete/i;

/** The fields a connection's record is made of: kept when its others outgrow their budget. */
export const CONNECTION_KEEP: ReadonlySet<string> = new Set([
  'env_id',
  'tenant',
  'flow_id',
  'connector_type',
  'connector',
  'event',
  'event_id',
  'first_link',
  'timestamp',
  'error',
  'message',
]);

/** What one entry of `last_at_by_event` takes beside its name (an ISO time and overheads). */
const EVENT_TIME_BYTES = 40;

export interface ConnectionHistoryEntry {
  event_id: string;
  event: string;
  timestamp?: unknown;
  first_link?: unknown;
}

export interface ConnectionRecord {
  env_id: string;
  tenant: string;
  flow_id: string;
  connector_type: string;
  connector: string;
  /** The latest event's name. */
  event: string;
  /** The latest event's `timestamp`, as hotglue sent it. */
  timestamp?: unknown;
  updated_at?: string;
  /** True when the latest event is LINK. */
  linked: boolean;
  first_link?: unknown;
  last_linked_at?: string;
  last_unlinked_at?: string;
  /**
   * The latest time of every event name seen, including names hotglue has not documented; only
   * LINK's once the record outgrew its budget.
   */
  last_at_by_event: Record<string, string>;
  /** Distinct `event_id`s seen. */
  event_count: number;
  fields: Record<string, unknown>;
}

export interface Facts {
  event: StoredEvent;
  id: string;
  name: string;
  time: number;
}

/** @internal exported for the tests */
export const facts = (event: StoredEvent): Facts => ({
  event,
  id: text(event.payload.event_id) ?? event.hash,
  name: String(event.payload.event),
  time: toEpochMicros(event.payload.timestamp) ?? -1,
});

/** A connection event's `timestamp` in epoch microseconds; -1 when none. */
export const connectionEventTime = (event: StoredEvent): number => facts(event).time;

/** @internal exported for the tests */
export const latestKey = (f: Facts): SortKey => [f.time, f.id, hashOrder(f.event.hash)];

/** One event per event_id; should two contents share an id, the larger hash wins (any order). */
function byEventId(events: readonly StoredEvent[]): Facts[] {
  const chosen = new Map<string, Facts>();
  for (const f of events.map(facts)) {
    const seen = chosen.get(f.id);
    if (seen === undefined || f.event.hash > seen.event.hash) chosen.set(f.id, f);
  }
  return [...chosen.values()];
}

/**
 * A connection's history as `connections list` shows it: one entry per `event_id` (of two
 * contents with one id, the larger hash), oldest first.
 */
export function connectionHistory(events: readonly StoredEvent[]): ConnectionHistoryEntry[] {
  return sortBy(byEventId(events), latestKey).map(({ id, name, event }) => ({
    event_id: id,
    event: name,
    ...(isPresent(event.payload.timestamp) && { timestamp: event.payload.timestamp }),
    ...(isPresent(event.payload.first_link) && { first_link: event.payload.first_link }),
  }));
}

/** The latest time (epoch microseconds) of any event, of a LINK, and of an event that unlinks. */
interface ConnectionTimes {
  updated?: number;
  linked?: number;
  unlinked?: number;
}

/**
 * `times` with one more event's name and time folded in.
 * @internal exported for the tests
 */
export function laterTimes(times: ConnectionTimes, name: string, time: number): ConnectionTimes {
  if (time < 0) return times;
  const later = (t: number | undefined) => Math.max(t ?? -1, time);
  return {
    updated: later(times.updated),
    ...(name === 'LINK' ? { linked: later(times.linked) } : { linked: times.linked }),
    ...(UNLINK.test(name) ? { unlinked: later(times.unlinked) } : { unlinked: times.unlinked }),
  };
}

/**
 * The record from its merged fields, latest event, latest time per event name and times.
 * @internal exported for the tests
 */
export function connectionRecord(
  fields: Record<string, unknown>,
  latest: { name: string; timestamp: unknown },
  lastAt: ReadonlyMap<string, number>,
  times: ConnectionTimes,
  eventCount: number,
): ConnectionRecord {
  const iso = (t: number | undefined) => (t === undefined || t < 0 ? undefined : microsToIso(t));
  const record: ConnectionRecord = {
    env_id: text(fields.env_id) ?? '',
    tenant: String(fields.tenant),
    flow_id: String(fields.flow_id),
    connector_type: text(fields.connector_type) ?? '',
    connector: String(fields.connector),
    event: latest.name,
    linked: latest.name === 'LINK',
    last_at_by_event: Object.fromEntries(
      [...lastAt].sort(([a], [b]) => (a < b ? -1 : 1)).map(([name, t]) => [name, microsToIso(t)]),
    ),
    event_count: eventCount,
    fields: { ...fields, event: latest.name },
  };
  if (isPresent(latest.timestamp)) record.timestamp = boundField(latest.timestamp, true);
  const updated = iso(times.updated);
  if (updated !== undefined) record.updated_at = updated;
  if (isPresent(fields.first_link)) record.first_link = fields.first_link;
  const linked = iso(times.linked);
  const unlinked = iso(times.unlinked);
  if (linked !== undefined) record.last_linked_at = linked;
  if (unlinked !== undefined) record.last_unlinked_at = unlinked;
  return record;
}

/**
 * At most what `last_at_by_event` takes in an item: grows with the names only.
 * @internal exported for the tests
 */
export const eventTimesCost = (lastAt: ReadonlyMap<string, number>): number =>
  [...lastAt.keys()].reduce((s, name) => s + Buffer.byteLength(name) + EVENT_TIME_BYTES, 0);

/** What a connection's CURRENT item keeps so that one more event can be folded in. */
export interface ConnectionFold {
  fields: Winners;
}

const micros = (iso: string | undefined): number | undefined =>
  iso === undefined ? undefined : toEpochMicros(iso);

/**
 * Folds one more content into a connection, reading nothing else (see foldJob): `isNew` says
 * whether its `event_id` is new to the connection. For any order and repetition of a set of
 * contents, exactly `mergeConnection` of the set.
 */
export function foldConnection(
  prev: { record: ConnectionRecord; fold: ConnectionFold } | undefined,
  event: StoredEvent,
  isNew: boolean,
): { record: ConnectionRecord; fold: ConnectionFold } {
  const f = facts(event);
  const fold: ConnectionFold = prev ? structuredClone(prev.fold) : { fields: noWinners() };
  const before = fold.fields.latest;
  const fields = { ...prev?.record.fields };
  foldFields(fields, fold.fields, event.payload, latestKey(f), CONNECTION_KEEP);
  const latest =
    prev === undefined || fold.fields.latest !== before
      ? { name: f.name, timestamp: event.payload.timestamp }
      : { name: prev.record.event, timestamp: prev.record.timestamp };
  const lastAt = new Map<string, number>(
    Object.entries(prev?.record.last_at_by_event ?? {}).map(([name, at]) => [
      name,
      toEpochMicros(at) ?? -1,
    ]),
  );
  if (f.time >= 0 && (!fold.fields.dropped || f.name === 'LINK'))
    lastAt.set(f.name, Math.max(lastAt.get(f.name) ?? -1, f.time));
  if (
    !fold.fields.dropped &&
    overBudget(
      fieldsCost(Object.keys(fields), fold.fields, fold.fields.keyBytes ?? 0),
      eventTimesCost(lastAt),
    )
  ) {
    dropFields(fields, fold.fields, CONNECTION_KEEP);
    for (const name of lastAt.keys()) if (name !== 'LINK') lastAt.delete(name);
  }
  const times = laterTimes(
    {
      updated: micros(prev?.record.updated_at),
      linked: micros(prev?.record.last_linked_at),
      unlinked: micros(prev?.record.last_unlinked_at),
    },
    f.name,
    f.time,
  );
  const count = (prev?.record.event_count ?? 0) + (isNew ? 1 : 0);
  return { record: connectionRecord(fields, latest, lastAt, times, count), fold };
}
