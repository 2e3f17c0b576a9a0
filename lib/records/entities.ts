import type { Kind } from '../webhook/kinds';
import {
  CONNECTION_KEEP,
  connectionEventTime,
  foldConnection,
  type ConnectionRecord,
} from './connections';
import {
  DISCOVER_KEEP,
  discoverEventTime,
  discoverHistoryOrder,
  foldDiscover,
  type DiscoverRecord,
} from './discover';
import { connectionKey, discoverKey, jobKey, joinKey } from './entity-keys';
import { foldJob, JOB_KEEP, jobEventTime, jobHistoryOrder, type JobRecord } from './jobs';
import { boundField } from './bounds';
import { setOwn } from './own';
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
  /** The payload fields the record is made of: bounded as identities, never dropped. */
  keep: ReadonlySet<string>;
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
  keep: JOB_KEEP,
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
  keep: DISCOVER_KEEP,
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
  keep: CONNECTION_KEEP,
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

type Rec = Record<string, unknown>;

/** Own attributes copied from a payload field that is not an identity: bounded like one. */
const COPIED = ['timestamp', 'first_link'];

/**
 * Keeps a record storable: every field bounded (boundField: a text cut to TEXT_MAX_BYTES, any
 * other value over FIELD_MAX_BYTES omitted; over TEXT_MAX_BYTES for a field in `keep`, the fields
 * the record is made of), and the own attributes copied from a payload field alike. Each value is
 * measured once. The fold has bounded them already and keeps the whole record under its budget
 * (see fieldsCost); this bounds a record merged from whole events the same way. A function of
 * each value alone, so records stay order-independent.
 */
export function boundRecord<R>(record: R, keep: ReadonlySet<string>): R {
  const { fields, ...attributes } = record as { fields?: Rec } & Rec;
  if (fields === undefined) return record;
  const bounded: Rec = {};
  for (const [name, value] of Object.entries(fields))
    setOwn(bounded, name, boundField(value, keep.has(name)));
  for (const name of COPIED)
    if (attributes[name] !== undefined) attributes[name] = boundField(attributes[name], true);
  return { ...attributes, fields: bounded } as R;
}
