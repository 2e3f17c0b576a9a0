import { microsToIso, toEpochMicros } from '../webhook/time';
import { hashOrder, orderText, type SortKey } from './compare';
import { boundField } from './bounds';
import { dropFields, fieldsCost, foldFields, noWinners, overBudget, type Winners } from './fold';
import { isPresent, text, type StoredEvent } from './stored-event';

const POSITION = new Map<string, number>([
  ['DISCOVER_STARTED', 1],
  ['DISCOVER_SUCCESS', 2],
  ['DISCOVER_FAILED', 2],
]);

/** The fields a discover state's record is made of: kept when its others outgrow their budget. */
export const DISCOVER_KEEP: ReadonlySet<string> = new Set([
  'env_id',
  'tenant',
  'flow_id',
  'connector',
  'status',
  'timestamp',
  'error',
  'message',
]);

export interface DiscoverRecord {
  env_id: string;
  tenant: string;
  flow_id: string;
  connector: string;
  status: string;
  /** The latest event's `timestamp`, as hotglue sent it. */
  timestamp?: unknown;
  updated_at?: string;
  last_started_at?: string;
  last_success_at?: string;
  last_failed_at?: string;
  event_count: number;
  fields: Record<string, unknown>;
}

export interface Facts {
  event: StoredEvent;
  status: string;
  time: number;
}

/** @internal exported for the tests */
export const facts = (event: StoredEvent): Facts => ({
  event,
  status: String(event.payload.status),
  time: toEpochMicros(event.payload.timestamp) ?? -1,
});

/** A discover event's `timestamp` in epoch microseconds; -1 when none. */
export const discoverEventTime = (event: StoredEvent): number => facts(event).time;

/** A discover event's place in its history as sortable text: time, lifecycle position, content. */
export const discoverHistoryOrder = (event: StoredEvent): string => {
  const { time, status } = facts(event);
  return orderText(time, POSITION.get(status) ?? 0, event.hash);
};

/**
 * Latest by `timestamp`; equal times are settled by lifecycle position, then content.
 * @internal exported for the tests
 */
export const latestKey = (f: Facts): SortKey => [
  f.time,
  POSITION.get(f.status) ?? 0,
  f.status,
  hashOrder(f.event.hash),
];

/** What a discover state's CURRENT item keeps so that one more event can be folded in. */
export interface DiscoverFold {
  fields: Winners;
}

const laterTime = (iso: string | undefined, micros: number): string | undefined =>
  micros >= 0 && (iso === undefined || micros > (toEpochMicros(iso) ?? -1))
    ? microsToIso(micros)
    : iso;

/**
 * Folds one more event into a discover state, reading nothing else (see foldJob): for any order
 * and repetition of a set of events, exactly `mergeDiscover` of the set.
 */
export function foldDiscover(
  prev: { record: DiscoverRecord; fold: DiscoverFold } | undefined,
  event: StoredEvent,
  isNew: boolean,
): { record: DiscoverRecord; fold: DiscoverFold } {
  const f = facts(event);
  const fold: DiscoverFold = prev ? structuredClone(prev.fold) : { fields: noWinners() };
  const before = fold.fields.latest;
  const fields = { ...prev?.record.fields };
  foldFields(fields, fold.fields, event.payload, latestKey(f), DISCOVER_KEEP);
  if (
    !fold.fields.dropped &&
    overBudget(fieldsCost(Object.keys(fields), fold.fields, fold.fields.keyBytes ?? 0))
  )
    dropFields(fields, fold.fields, DISCOVER_KEEP);
  const becameLatest = fold.fields.latest !== before;
  const record: DiscoverRecord = {
    ...(prev?.record ?? {}),
    env_id: text(fields.env_id) ?? '',
    tenant: String(fields.tenant),
    flow_id: String(fields.flow_id),
    connector: String(fields.connector),
    status: String(fields.status),
    event_count: (prev?.record.event_count ?? 0) + (isNew ? 1 : 0),
    fields,
  };
  if (becameLatest) {
    if (isPresent(event.payload.timestamp))
      record.timestamp = boundField(event.payload.timestamp, true);
    else delete record.timestamp;
  }
  const set = (
    name: 'updated_at' | 'last_started_at' | 'last_success_at' | 'last_failed_at',
    micros: number,
  ) => {
    const value = laterTime(record[name], micros);
    if (value !== undefined) record[name] = value;
  };
  set('updated_at', f.time);
  if (f.status === 'DISCOVER_STARTED') set('last_started_at', f.time);
  if (f.status === 'DISCOVER_SUCCESS') set('last_success_at', f.time);
  if (f.status === 'DISCOVER_FAILED') set('last_failed_at', f.time);
  return { record, fold };
}
