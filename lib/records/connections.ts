import { microsToIso, toEpochMicros } from '../webhook/time';
import { hashOrder, sortBy, type SortKey } from './compare';
import { foldFields, noWinners, type Winners } from './fold';
import { isPresent, text, type StoredEvent } from './stored-event';

/** Event names that end a link. hotglue documents only LINK; every name is kept as it comes. */
const UNLINK = /unlink|remove|delete/i;

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
  /** The latest time of every event name seen, including names hotglue has not documented. */
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

/**
 * The record from its merged fields, latest event and latest time per event name.
 * @internal exported for the tests
 */
export function connectionRecord(
  fields: Record<string, unknown>,
  latest: { name: string; timestamp: unknown },
  lastAt: Record<string, number>,
  eventCount: number,
): ConnectionRecord {
  const maxTime = (test: (name: string) => boolean): string | undefined => {
    const times = Object.entries(lastAt)
      .filter(([name]) => test(name))
      .map(([, t]) => t);
    return times.length > 0 ? microsToIso(Math.max(...times)) : undefined;
  };
  const record: ConnectionRecord = {
    env_id: text(fields.env_id) ?? '',
    tenant: String(fields.tenant),
    flow_id: String(fields.flow_id),
    connector_type: text(fields.connector_type) ?? '',
    connector: String(fields.connector),
    event: latest.name,
    linked: latest.name === 'LINK',
    last_at_by_event: Object.fromEntries(
      Object.entries(lastAt)
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([name, t]) => [name, microsToIso(t)]),
    ),
    event_count: eventCount,
    fields: { ...fields, event: latest.name },
  };
  if (isPresent(latest.timestamp)) record.timestamp = latest.timestamp;
  const updated = maxTime(() => true);
  if (updated !== undefined) record.updated_at = updated;
  if (isPresent(fields.first_link)) record.first_link = fields.first_link;
  const linked = maxTime((name) => name === 'LINK');
  const unlinked = maxTime((name) => UNLINK.test(name));
  if (linked !== undefined) record.last_linked_at = linked;
  if (unlinked !== undefined) record.last_unlinked_at = unlinked;
  return record;
}

/** What a connection's CURRENT item keeps so that one more event can be folded in. */
export interface ConnectionFold {
  fields: Winners;
}

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
  foldFields(fields, fold.fields, event.payload, latestKey(f));
  const latest =
    prev === undefined || fold.fields.latest !== before
      ? { name: f.name, timestamp: event.payload.timestamp }
      : { name: prev.record.event, timestamp: prev.record.timestamp };
  const lastAt: Record<string, number> = Object.fromEntries(
    Object.entries(prev?.record.last_at_by_event ?? {}).map(([name, iso]) => [
      name,
      toEpochMicros(iso) ?? -1,
    ]),
  );
  if (f.time >= 0) lastAt[f.name] = Math.max(lastAt[f.name] ?? -1, f.time);
  const count = (prev?.record.event_count ?? 0) + (isNew ? 1 : 0);
  return { record: connectionRecord(fields, latest, lastAt, count), fold };
}
