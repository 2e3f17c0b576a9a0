import { gunzipSync, gzipSync } from 'node:zlib';
import {
  connectionOrderKey,
  discoverOrderKey,
  ENTITIES,
  jobOrderKey,
  jobUpdatedKey,
} from '../../records/entities';
import { canonicalJson, contentHash } from '../../webhook/content-hash';
import { attributeValue, recordAttributes, recordFromItem, type Item } from './record-item';
import { microsToIso } from '../../webhook/time';
import { sharded, shardOf } from '../../records/shards';
import { boundValue } from '../../records/bounds';
import type { Notification } from '../../records/changes';
import { outboxEntry, type Unsent } from '../../ports/event-store';
import type { StoredEvent } from '../../records/stored-event';
import type { Kind } from '../../webhook/kinds';

/**
 * How records live in a table: a partition per entity (pk = the entity key) holding one CURRENT
 * item, one `EVENT#<history id>` item per distinct event, and `PART#` items for large payloads.
 */
export type { Item };

/** Sort key of the one current record in each partition. */
export const CURRENT = 'CURRENT';
/** Sort key prefix of history items. */
export const EVENT_PREFIX = 'EVENT#';
const PART_PREFIX = 'PART#';

/**
 * Index names, as serverless.yml defines them. The keys one flow's burst would concentrate carry
 * a shard (see shards.ts): `by-status-shard` (status_shard), `by-flow-shard` (flow_shard), and
 * the `entity` of `by-updated` and `all`.
 */
export const INDEX = {
  byTenant: 'by-tenant',
  byFlow: 'by-flow-shard',
  byStatus: 'by-status-shard',
  byUpdated: 'by-updated',
  byJobId: 'by-job-id',
  byWatch: 'by-watch-shard',
  all: 'all',
} as const;

/**
 * A compressed payload larger than this is stored in parts (`PART#<hash>#<n>` items), so that
 * every event the ingest accepts (up to 785,664 bytes) fits under DynamoDB's 400 KB item limit.
 */
export const PART_BYTES = 300_000;

/** The sort key of part `index` of the payload of the history item with id `historyId`. */
export const partKey = (historyId: string, index: number): string =>
  `${PART_PREFIX}${historyId}#${String(index).padStart(3, '0')}`;

type Rec = Record<string, unknown>;

/** The `entity` value (before its shard) of `by-updated` (jobs) and `all` (the others). */
export const ENTITY_VALUE = {
  jobs: 'job',
  discover: 'discover',
  connections: 'connection',
} as const;

/**
 * The sparse `by-watch-shard` index's keys: a failed job by its start (the summary's failures per
 * tenant), a running job by the hour of its last event (reconcile's stale candidates); none for a
 * finished job. A running job reconciliation gave up on leaves the index (see recordPoll).
 */
function watchAttributes(
  job: { s3_root: string; started_at?: string; updated_at?: string; status_class: string },
  shard: string,
): Item {
  if (job.status_class === 'failed')
    return { watch_shard: sharded('failed', shard), watch_key: jobOrderKey(job) };
  if (job.status_class === 'running')
    return { watch_shard: sharded('running', shard), watch_key: jobUpdatedKey(job) };
  return {};
}

/**
 * The attributes the indexes need beside the record's own (tenant and job_id are record
 * attributes): the sharded keys of the entity's shard (`entity`, and a job's `status_shard`, a
 * failed or running job's `watch_shard` and `watch_key`, each kind's `flow_shard`), a job's start-time and update-hour sort keys, and for the others a listing
 * order key.
 */
const INDEX_ATTRIBUTES: Record<Kind, (record: Rec, shard: string) => Item> = {
  jobs: (r, shard) => {
    const job = r as {
      s3_root: string;
      started_at?: string;
      updated_at?: string;
      status_class: string;
      flow_id?: unknown;
    };
    return {
      started_key: jobOrderKey(job),
      entity: sharded(ENTITY_VALUE.jobs, shard),
      updated_key: jobUpdatedKey(job),
      status_shard: sharded(job.status_class, shard),
      ...watchAttributes(job, shard),
      ...(typeof job.flow_id === 'string' && { flow_shard: sharded(job.flow_id, shard) }),
    };
  },
  discover: (r, shard) => ({
    entity: sharded(ENTITY_VALUE.discover, shard),
    sort_key: discoverOrderKey(r as never),
    flow_shard: sharded(String(r.flow_id), shard),
  }),
  connections: (r, shard) => ({
    entity: sharded(ENTITY_VALUE.connections, shard),
    sort_key: connectionOrderKey(r as never),
    flow_shard: sharded(String(r.flow_id), shard),
  }),
};

/** The index attributes of the record `record` of entity `entityKey`, as a CURRENT item has them. */
const indexAttributes = (kind: Kind, entityKey: string, record: Rec): Item =>
  INDEX_ATTRIBUTES[kind](record, shardOf(entityKey));

/**
 * The readable attributes of a history item besides its payload (kept gzip-compressed): what it
 * is (`status`, or a connection's `event`), when hotglue says it happened (`time`), its failure
 * details (`error` and `message`, bounded like the record's: a text cut to TEXT_MAX_BYTES, see
 * boundValue; the payload keeps them whole), when we received it, and where it came from
 * (`source`: `webhook`). A connection's item also keeps its content `hash`, which its sort key
 * (the `event_id`) does not hold. Every byte counts: a job's history item then fits in one write
 * unit for hotglue's usual payloads.
 */
export function historyAttributes(kind: Kind, event: StoredEvent): Item {
  const p = event.payload;
  const micros = ENTITIES[kind].time(event);
  const present = (v: unknown) => v !== undefined && v !== null;
  return {
    ...(kind === 'connections' ? { event: p.event } : { status: p.status }),
    ...(micros >= 0 && { time: microsToIso(micros) }),
    ...(present(p.error) && { error: attributeValue(boundValue(p.error)) }),
    ...(present(p.message) && { message: attributeValue(boundValue(p.message)) }),
    ...(kind === 'connections' && { hash: event.hash }),
    received_at: event.receivedAt,
    source: event.source ?? 'webhook',
  };
}

/** A history item's payload as it is stored: the JSON text, gzip-compressed (`payload_gz`). */
export const encodePayload = (payload: Record<string, unknown>): Buffer =>
  gzipSync(Buffer.from(JSON.stringify(payload)));

const decodePayload = (gz: Uint8Array): Record<string, unknown> =>
  JSON.parse(gunzipSync(gz).toString('utf8')) as Record<string, unknown>;

function decodeHistoryItem(item: Item, parts: Map<string, Item>): StoredEvent {
  const id = String(item.sk).slice(EVENT_PREFIX.length);
  let gz = item.payload_gz as Uint8Array | undefined;
  const count = Number(item.payload_parts ?? 0);
  if (gz === undefined && count > 0) {
    const chunks: Uint8Array[] = [];
    for (let i = 0; i < count; i += 1) {
      const part = parts.get(partKey(id, i));
      if (part === undefined) throw new Error(`missing part ${i} of event ${id}`);
      chunks.push(part.chunk as Uint8Array);
    }
    gz = Buffer.concat(chunks);
  }
  if (gz === undefined) throw new Error(`event ${id} has no payload`);
  const payload = decodePayload(gz);
  return {
    hash: item.hash === undefined ? contentHash(payload) : String(item.hash),
    receivedAt: String(item.received_at ?? ''),
    payload,
    ...(item.source === 'reconcile' && { source: 'reconcile' as const }),
  };
}

/** A partition's items split into its CURRENT item and its decoded history. */
export function splitPartition(items: Item[]): { current?: Item; history: StoredEvent[] } {
  const current = items.find((i) => i.sk === CURRENT);
  const parts = new Map(
    items.filter((i) => String(i.sk).startsWith(PART_PREFIX)).map((i) => [String(i.sk), i]),
  );
  const history = items
    .filter((i) => String(i.sk).startsWith(EVENT_PREFIX))
    .map((i) => decodeHistoryItem(i, parts));
  return { ...(current !== undefined && { current }), history };
}

/** The record a CURRENT item holds (see record-item.ts). */
export const recordOf = <R>(kind: Kind, item: Item): R => {
  const record = recordFromItem<R>(item, ENTITIES[kind].attributes, ENTITIES[kind].computed);
  // A job's reconcile state is bookkeeping of its own item, shown with the record.
  return kind === 'jobs' && item.poll !== undefined ? { ...record, reconcile: item.poll } : record;
};

/** A CURRENT item as the store reads and writes it: the record, and the bookkeeping beside it. */
export interface CurrentItem {
  /** The write check: one more on every write (0 before the first). */
  version: number;
  /** The entity's record (a JobRecord, DiscoverRecord or ConnectionRecord). */
  record: object;
  /** What folding in one more event needs (see Entity.fold). */
  fold: unknown;
  /** History ids of events folded in whose history items were not yet seen written. */
  pending: string[];
  /** Notifications recorded and not yet marked sent (see markSent). */
  outbox: Unsent[];
  /** A job's Job Stale notice id, once one was recorded for its episode (see recordStale). */
  staleNotified?: string;
  /** When DynamoDB's time to live may delete the item (epoch seconds). */
  expiresAt?: number;
}

const strings = (value: unknown): string[] =>
  Array.isArray(value) ? value.map((v) => String(v)) : [];

/**
 * The notifications a CURRENT item holds until they are published (its outbox): each as the JSON
 * text of `{ at, notification }` (see outboxEntry), since a detail may hold values DynamoDB
 * cannot (record-item.ts).
 */
export const outboxOf = (item: Item | undefined): Unsent[] =>
  strings(item?.outbox).map((text) => {
    const { at, notification } = JSON.parse(text) as { at: number; notification: Notification };
    return { recordedAt: at, notification };
  });

/** The `outbox` attribute for these notifications, or nothing when there are none. */
export const outboxAttribute = (unsent: readonly Unsent[]): Item =>
  unsent.length === 0 ? {} : { outbox: unsent.map(outboxEntry) };

/** The CURRENT item `item` of an entity of `kind`, typed. */
export function fromCurrentItem(kind: Kind, item: Item): CurrentItem {
  const { attributes, computed } = ENTITIES[kind];
  return {
    version: Number(item.version ?? 0),
    record: recordFromItem<Rec>(item, attributes, computed),
    // A map, or JSON text where the fold holds what DynamoDB cannot (see attributeValue).
    fold: typeof item.fold === 'string' ? (JSON.parse(item.fold) as unknown) : item.fold,
    pending: strings(item.pending),
    outbox: outboxOf(item),
    ...(typeof item.stale_notified === 'string' && { staleNotified: item.stale_notified }),
    ...(typeof item.expires_at === 'number' && { expiresAt: item.expires_at }),
  };
}

/**
 * The CURRENT item of entity `entityKey` holding `current`: the readable record, the index keys,
 * and the bookkeeping (see CurrentItem). A job's reconcile state (`poll`) is not kept: it belongs
 * to the episode the write ends.
 */
export function toCurrentItem(kind: Kind, entityKey: string, current: CurrentItem): Item {
  const { fold, pending, outbox, staleNotified, expiresAt } = current;
  const record = current.record as Rec;
  return {
    pk: entityKey,
    sk: CURRENT,
    ...recordAttributes(record, ENTITIES[kind].attributes, ENTITIES[kind].computed),
    ...indexAttributes(kind, entityKey, record),
    fold: attributeValue(fold),
    ...(pending.length > 0 && { pending }),
    ...outboxAttribute(outbox),
    ...(staleNotified !== undefined && { stale_notified: staleNotified }),
    ...(expiresAt !== undefined && { expires_at: expiresAt }),
    version: current.version,
  };
}

/** Whether two CURRENT items hold the same, whatever their versions. */
export function sameButVersion(a: Item, b: Item): boolean {
  const { version: _a, ...restA } = a;
  const { version: _b, ...restB } = b;
  return canonicalJson(restA) === canonicalJson(restB);
}
