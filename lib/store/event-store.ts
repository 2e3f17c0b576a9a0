import { gunzipSync, gzipSync } from 'node:zlib';
import { ConditionalCheckFailedException, type ConsumedCapacity } from '@aws-sdk/client-dynamodb';
import { PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { canonicalJson } from '../canonical';
import type { StoredEvent } from '../records/event';
import type { Entity } from './entities';
import { CURRENT, EVENT_PREFIX } from './keys';

export type Item = Record<string, unknown>;

export interface StoreResult {
  /** The history already held this exact event. */
  duplicate: boolean;
  /** The CURRENT item was written (false when the merge left it unchanged). */
  changed: boolean;
  /** CURRENT writes that lost a race and were retried. */
  conflicts: number;
  /** Write capacity units consumed (table and indexes), as DynamoDB reported them. */
  writeUnits: number;
}

/** A CURRENT item could not be written after many races: the record is retried by SQS. */
export class WriteConflictError extends Error {
  constructor(partition: string) {
    super(`gave up updating ${partition} after repeated conflicts`);
    this.name = 'WriteConflictError';
  }
}

const MAX_ATTEMPTS = 10;
const units = (c: ConsumedCapacity | undefined): number => c?.CapacityUnits ?? 0;

/** Reads a whole partition with a strongly consistent Query, page by page. */
export async function readPartition(
  db: DynamoDBDocumentClient,
  table: string,
  pk: string,
): Promise<Item[]> {
  const items: Item[] = [];
  let start: Item | undefined;
  do {
    const page = await db.send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': pk },
        ConsistentRead: true,
        ExclusiveStartKey: start,
      }),
    );
    items.push(...((page.Items ?? []) as Item[]));
    start = page.LastEvaluatedKey as Item | undefined;
  } while (start !== undefined);
  return items;
}

/**
 * A compressed payload larger than this is stored in parts (`PART#<hash>#<n>` items), so that
 * every event the ingest accepts (up to 785,664 bytes) fits under DynamoDB's 400 KB item limit.
 */
export const PART_BYTES = 300_000;
/** The CURRENT item's record is kept under this size (see boundRecord). */
export const RECORD_BUDGET_BYTES = 300_000;
const PART_PREFIX = 'PART#';

const partKey = (hash: string, index: number) =>
  `${PART_PREFIX}${hash}#${String(index).padStart(3, '0')}`;

/** A history item's content hash: its own attribute, or (when its id is the hash) its sort key. */
const hashOf = (item: Item): string =>
  String(item.hash ?? String(item.sk).slice(EVENT_PREFIX.length));

export function decodeHistoryItem(item: Item, parts: Map<string, Item> = new Map()): StoredEvent {
  const hash = hashOf(item);
  let gz = item.payload_gz as Uint8Array | undefined;
  const count = Number(item.payload_parts ?? 0);
  if (gz === undefined && count > 0) {
    const chunks: Uint8Array[] = [];
    for (let i = 0; i < count; i += 1) {
      const part = parts.get(partKey(hash, i));
      if (part === undefined) throw new Error(`missing part ${i} of event ${hash}`);
      chunks.push(part.chunk as Uint8Array);
    }
    gz = Buffer.concat(chunks);
  }
  if (gz === undefined) throw new Error(`event ${hash} has no payload`);
  return {
    hash,
    dedupeKey: String(item.dedupe_key ?? ''),
    receivedAt: String(item.received_at ?? ''),
    payload: JSON.parse(gunzipSync(gz).toString('utf8')) as Record<string, unknown>,
  };
}

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

/**
 * Keeps a record under RECORD_BUDGET_BYTES: while its JSON is too large, the largest payload
 * field is replaced by `{"omitted": true, "bytes": n}` (its full value stays in the event's
 * stored payload). A function of the record alone, so it stays order-independent.
 */
export function boundRecord<R>(record: R): R {
  const fields = (record as { fields?: Record<string, unknown> }).fields;
  if (fields === undefined || Buffer.byteLength(canonicalJson(record)) <= RECORD_BUDGET_BYTES)
    return record;
  const bounded = { ...fields };
  const sizes = Object.entries(bounded)
    .map(([name, value]) => [name, Buffer.byteLength(JSON.stringify(value) ?? '')] as const)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  for (const [name, bytes] of sizes) {
    bounded[name] = { omitted: true, bytes };
    if (Buffer.byteLength(canonicalJson({ ...record, fields: bounded })) <= RECORD_BUDGET_BYTES)
      break;
  }
  return { ...record, fields: bounded };
}

/** The record held by a CURRENT item (canonical JSON, gzip-compressed in `record_gz`). */
export function recordOf<R>(item: Item): R {
  return JSON.parse(recordText(item)) as R;
}

function recordText(item: Item): string {
  return gunzipSync(item.record_gz as Uint8Array).toString('utf8');
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Stores one event: first its history item (idempotent), then the CURRENT item recomputed from
 * the whole history and written only if nobody changed it meanwhile (a version check). Every
 * write is conditional and no transaction is used: a consumer that dies between the two writes
 * leaves a history item whose retry recomputes the same CURRENT item, so the table converges.
 */
export async function storeEvent<R>(
  db: DynamoDBDocumentClient,
  table: string,
  entity: Entity<R>,
  event: StoredEvent,
): Promise<StoreResult> {
  const pk = entity.partition(event.payload);
  const historyId = entity.historyId(event);
  const result: StoreResult = { duplicate: false, changed: false, conflicts: 0, writeUnits: 0 };
  const gz = gzipSync(Buffer.from(JSON.stringify(event.payload)));
  let payload: Item = { payload_gz: gz };
  if (gz.length > PART_BYTES) {
    // Parts first: they are keyed by content, so rewriting them on a retry changes nothing.
    const count = Math.ceil(gz.length / PART_BYTES);
    for (let i = 0; i < count; i += 1) {
      const put = await db.send(
        new PutCommand({
          TableName: table,
          Item: {
            pk,
            sk: partKey(event.hash, i),
            chunk: gz.subarray(i * PART_BYTES, (i + 1) * PART_BYTES),
          },
          ReturnConsumedCapacity: 'TOTAL',
        }),
      );
      result.writeUnits += units(put.ConsumedCapacity);
    }
    payload = { payload_parts: count };
  }
  try {
    const put = await db.send(
      new PutCommand({
        TableName: table,
        Item: {
          pk,
          sk: `${EVENT_PREFIX}${historyId}`,
          // The hash is the sort key already for most kinds: stored again only when it is not,
          // since every byte counts towards the write units.
          ...(historyId !== event.hash && { hash: event.hash }),
          dedupe_key: event.dedupeKey,
          received_at: event.receivedAt,
          ...entity.historySummary(event),
          ...payload,
        },
        // A new event, or (for ids that two contents share) the larger hash, so any order converges.
        ConditionExpression: 'attribute_not_exists(pk) OR #hash < :hash',
        ExpressionAttributeNames: { '#hash': 'hash' },
        ExpressionAttributeValues: { ':hash': event.hash },
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    result.writeUnits += units(put.ConsumedCapacity);
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
    result.duplicate = true;
  }
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
    const { current, history } = splitPartition(await readPartition(db, table, pk));
    const record = boundRecord(entity.merge(history));
    const text = canonicalJson(record);
    if (current !== undefined && recordText(current) === text) return result;
    // Compressed: a job's CURRENT item then fits in one write unit, where the JSON takes two.
    const next = { ...entity.indexAttributes(record), record_gz: gzipSync(Buffer.from(text)) };
    const version = Number(current?.version ?? 0);
    try {
      const put = await db.send(
        new PutCommand({
          TableName: table,
          Item: { pk, sk: CURRENT, ...next, version: version + 1 },
          ...(current === undefined
            ? { ConditionExpression: 'attribute_not_exists(pk)' }
            : {
                ConditionExpression: '#version = :version',
                ExpressionAttributeNames: { '#version': 'version' },
                ExpressionAttributeValues: { ':version': version },
              }),
          ReturnConsumedCapacity: 'TOTAL',
        }),
      );
      result.writeUnits += units(put.ConsumedCapacity);
      result.changed = true;
      return result;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      result.conflicts += 1;
      await sleep(Math.random() * 20 * (attempt + 1));
    }
  }
  throw new WriteConflictError(pk);
}
