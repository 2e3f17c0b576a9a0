import type { Kind } from '../webhook/kinds';
import { isDeepStrictEqual } from 'node:util';
import { connectionEventTime, foldConnection, type ConnectionRecord } from './connections';
import {
  discoverEventTime,
  discoverHistoryOrder,
  foldDiscover,
  type DiscoverRecord,
} from './discover';
import { connectionKey, discoverKey, jobKey, joinKey } from './entity-keys';
import { foldJob, jobEventTime, jobHistoryOrder, type JobRecord } from './jobs';
import { cutStrings, omitted, storedBytes } from './bounds';
import { text, type StoredEvent } from './stored-event';

/** A record with what its CURRENT item keeps to fold in one more event. */
interface Folded<R> {
  record: R;
  fold: unknown;
}

/**
 * One kind of record: which entity an event belongs to, the event's id within that entity's
 * history, and the fold that turns the history into the record, one event at a time. The record
 * is a function of the *set* of events: the property tests hold every fold equal to the merge of
 * the set (test/support/merges.ts), which is the specification.
 */
export interface Entity<R> {
  kind: Kind;
  /** The entity an event belongs to (one job, one discover state, one connection). */
  key(payload: Record<string, unknown>): string;
  /**
   * Events with one id are one event; of two contents with one id, the larger hash is kept. Job
   * and discover ids sort in history order (time, lifecycle position, content); a connection's
   * id is hotglue's `event_id`.
   */
  historyId(event: StoredEvent): string;
  /**
   * Folds one more event into the record, reading nothing else; `isNew` says whether its history
   * id is new. Any order and repetition of a set of events folds to the same record.
   */
  fold(prev: Folded<R> | undefined, event: StoredEvent, isNew: boolean): Folded<R>;
  /** An event's own time (hotglue's), in epoch microseconds; -1 when it has none. */
  time(event: StoredEvent): number;
  /** The record's own attributes, beside its payload `fields` (which may share some names). */
  attributes: readonly string[];
  /** Those of its attributes that are computed, not copied from a payload field. */
  computed: readonly string[];
}

/** Lists every key of T but `fields`, once: a compile error when a record gains an attribute. */
const attributesOf =
  <T>() =>
  <const A extends readonly (keyof Omit<T, 'fields'>)[]>(
    ...names: A & ([keyof Omit<T, 'fields'>] extends [A[number]] ? unknown : never)
  ): readonly string[] =>
    names as readonly string[];

const str = (value: unknown): string => text(value) ?? '';

const discoverIdentity = (p: Record<string, unknown>) => ({
  env_id: str(p.env_id),
  tenant: str(p.tenant),
  flow_id: str(p.flow_id),
  connector: str(p.connector),
});

const jobEntity: Entity<JobRecord> = {
  kind: 'jobs',
  key: (p) => jobKey(String(p.s3_root)),
  historyId: jobHistoryOrder,
  fold: (prev, event, isNew) => foldJob(prev as Parameters<typeof foldJob>[0], event, isNew),
  time: jobEventTime,
  // `reconcile` is the item's bookkeeping (`poll`), shown with the record, never folded.
  attributes: attributesOf<Omit<JobRecord, 'reconcile'>>()(
    's3_root',
    'job_id',
    'tenant',
    'flow_id',
    'env_id',
    'status',
    'status_class',
    'started_at',
    'updated_at',
    'event_count',
  ),
  computed: ['status_class', 'started_at', 'updated_at', 'event_count'],
};

/** @internal exported for the tests */
export const discoverEntity: Entity<DiscoverRecord> = {
  kind: 'discover',
  key: (p) => discoverKey(discoverIdentity(p)),
  historyId: discoverHistoryOrder,
  fold: (prev, event, isNew) =>
    foldDiscover(prev as Parameters<typeof foldDiscover>[0], event, isNew),
  time: discoverEventTime,
  attributes: attributesOf<DiscoverRecord>()(
    'env_id',
    'tenant',
    'flow_id',
    'connector',
    'status',
    'timestamp',
    'updated_at',
    'last_started_at',
    'last_success_at',
    'last_failed_at',
    'event_count',
  ),
  computed: ['updated_at', 'last_started_at', 'last_success_at', 'last_failed_at', 'event_count'],
};

/** @internal exported for the tests */
export const connectionEntity: Entity<ConnectionRecord> = {
  kind: 'connections',
  key: (p) => connectionKey({ ...discoverIdentity(p), connector_type: str(p.connector_type) }),
  historyId: (e) => text(e.payload.event_id) ?? e.hash,
  fold: (prev, event, isNew) =>
    foldConnection(prev as Parameters<typeof foldConnection>[0], event, isNew),
  time: connectionEventTime,
  attributes: attributesOf<ConnectionRecord>()(
    'env_id',
    'tenant',
    'flow_id',
    'connector_type',
    'connector',
    'event',
    'timestamp',
    'updated_at',
    'linked',
    'first_link',
    'last_linked_at',
    'last_unlinked_at',
    'last_at_by_event',
    'event_count',
  ),
  computed: [
    'linked',
    'updated_at',
    'last_linked_at',
    'last_unlinked_at',
    'last_at_by_event',
    'event_count',
  ],
};

export const ENTITIES = {
  jobs: jobEntity,
  discover: discoverEntity,
  connections: connectionEntity,
} as const satisfies Record<Kind, Entity<unknown>>;

/** Job lists are newest first by this key: the start time, then the s3_root (no time sorts oldest). */
export const jobOrderKey = (r: Pick<JobRecord, 'started_at' | 's3_root'>): string =>
  `${r.started_at ?? ''}#${r.s3_root}`;

/**
 * Jobs updated since a time are found by this key: the hour of the latest event (`updated_at`
 * to the hour; none sorts first), then the s3_root. It moves at most once an hour per job.
 */
export const jobUpdatedKey = (r: Pick<JobRecord, 'updated_at' | 's3_root'>): string =>
  `${(r.updated_at ?? '').slice(0, 13)}#${r.s3_root}`;

/** Discover states are listed in the order of this key: tenant, flow, connector, env. */
export const discoverOrderKey = (r: DiscoverRecord): string =>
  joinKey([r.tenant, r.flow_id, r.connector, r.env_id]);

/** Connections are listed in the order of this key: tenant, flow, connector type, connector, env. */
export const connectionOrderKey = (r: ConnectionRecord): string =>
  joinKey([r.tenant, r.flow_id, r.connector_type, r.connector, r.env_id]);

/** A record is kept under this size, as its CURRENT item holds it (see recordBytes). */
const RECORD_BUDGET_BYTES = 300_000;

type Rec = Record<string, unknown>;

/** The record's own attributes that copy a payload field (its `status`, a connection's `timestamp`, …). */
const copiesOf = (own: Rec, fields: Rec): string[] =>
  Object.keys(own).filter((name) => name in fields && isDeepStrictEqual(own[name], fields[name]));

/** What a record takes in its CURRENT item: each field, and each own attribute but the copies. */
function recordBytes(own: Rec, fields: Rec, copies: readonly string[]): number {
  const apart = Object.entries(own).filter(([name]) => !copies.includes(name));
  return [...Object.entries(fields), ...apart].reduce(
    (s, [name, value]) => s + Buffer.byteLength(name) + storedBytes(value),
    0,
  );
}

/**
 * Keeps a record storable: every text field at most TEXT_MAX_BYTES (cut with a marker, see
 * cutText), then, while the record takes more than RECORD_BUDGET_BYTES, its largest payload field
 * replaced by `{"omitted": true, "bytes": n}`. An own attribute that copies a field (a discover
 * state's `timestamp`, say) takes the field's bounded value. The full values stay in the events'
 * stored payloads. A function of the record alone, so it stays order-independent.
 */
export function boundRecord<R>(record: R): R {
  const { fields, ...own } = record as { fields?: Rec } & Rec;
  if (fields === undefined) return record;
  const copies = copiesOf(own, fields);
  const bounded = { ...cutStrings(fields) };
  let bytes = recordBytes(own, bounded, copies);
  if (bytes > RECORD_BUDGET_BYTES) {
    const sizes = Object.entries(bounded)
      .map(([name, value]) => [name, storedBytes(value)] as const)
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    for (const [name, size] of sizes) {
      const marker = omitted(Buffer.byteLength(JSON.stringify(bounded[name]) ?? ''));
      bounded[name] = marker;
      bytes -= size - storedBytes(marker);
      if (bytes <= RECORD_BUDGET_BYTES) break;
    }
  }
  const copied = Object.fromEntries(copies.map((name) => [name, bounded[name]]));
  return { ...own, ...copied, fields: bounded } as R;
}
