import { microsToIso, toEpochMicros } from '../webhook/time';
import { maxBy, sortBy, type SortKey } from './compare';
import { isPresent, text, type StoredEvent } from './stored-event';

/** Event names that end a link. hotglue documents only LINK; every name is kept as it comes. */
const UNLINK = /unlink|remove|delete/i;

interface ConnectionHistoryEntry {
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
  event_count: number;
  history: ConnectionHistoryEntry[];
  fields: Record<string, unknown>;
}

interface Facts {
  event: StoredEvent;
  id: string;
  name: string;
  time: number;
}

const facts = (event: StoredEvent): Facts => ({
  event,
  id: text(event.payload.event_id) ?? event.hash,
  name: String(event.payload.event),
  time: toEpochMicros(event.payload.timestamp) ?? -1,
});

/** A connection event's `timestamp` in epoch microseconds; -1 when none. */
export const connectionEventTime = (event: StoredEvent): number => facts(event).time;

const latestKey = (f: Facts): SortKey => [f.time, f.id, f.event.hash];

/** One event per event_id; should two contents share an id, the larger hash wins (any order). */
function byEventId(events: readonly StoredEvent[]): Facts[] {
  const chosen = new Map<string, Facts>();
  for (const f of events.map(facts)) {
    const seen = chosen.get(f.id);
    if (seen === undefined || f.event.hash > seen.event.hash) chosen.set(f.id, f);
  }
  return [...chosen.values()];
}

/** The state of one connection (env_id, tenant, flow_id, connector_type, connector) from its events. */
export function mergeConnection(events: readonly StoredEvent[]): ConnectionRecord {
  const all = byEventId(events);
  const latest = maxBy(all, latestKey);
  if (latest === undefined) throw new Error('a connection needs at least one event');
  const ordered = sortBy(all, latestKey);
  const fields: Record<string, unknown> = {};
  for (const { event } of ordered) {
    for (const [name, value] of Object.entries(event.payload))
      if (isPresent(value)) fields[name] = value;
  }
  fields.event = latest.name;
  const lastAt: Record<string, number> = {};
  for (const f of all) if (f.time >= 0) lastAt[f.name] = Math.max(lastAt[f.name] ?? -1, f.time);
  const maxTime = (test: (name: string) => boolean): string | undefined => {
    const times = Object.entries(lastAt)
      .filter(([name]) => test(name))
      .map(([, t]) => t);
    return times.length > 0 ? microsToIso(Math.max(...times)) : undefined;
  };
  const times = all.map((f) => f.time).filter((t) => t >= 0);
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
    event_count: all.length,
    history: ordered.map(({ id, name, event }) => ({
      event_id: id,
      event: name,
      ...(isPresent(event.payload.timestamp) && { timestamp: event.payload.timestamp }),
      ...(isPresent(event.payload.first_link) && { first_link: event.payload.first_link }),
    })),
    fields,
  };
  if (isPresent(latest.event.payload.timestamp)) record.timestamp = latest.event.payload.timestamp;
  if (times.length > 0) record.updated_at = microsToIso(Math.max(...times));
  if (isPresent(fields.first_link)) record.first_link = fields.first_link;
  const linked = maxTime((name) => name === 'LINK');
  const unlinked = maxTime((name) => UNLINK.test(name));
  if (linked !== undefined) record.last_linked_at = linked;
  if (unlinked !== undefined) record.last_unlinked_at = unlinked;
  return record;
}
