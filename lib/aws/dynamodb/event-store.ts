import { gzipSync } from 'node:zlib';
import { ConditionalCheckFailedException, type ConsumedCapacity } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  type DynamoDBDocumentClient,
  type PutCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { WriteConflictError, type StoreOutcome } from '../../ports/event-store';
import { boundRecord, type Entity } from '../../records/entities';
import type { StoredEvent } from '../../records/stored-event';
import {
  CURRENT,
  currentAttributes,
  EVENT_PREFIX,
  foldOf,
  historyAttributes,
  holds,
  PART_BYTES,
  partKey,
  recordOf,
  splitPartition,
  type Item,
} from './table-layout';

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

/** An entity's stored history (for reading back; storing never reads it). */
export const readHistory = async (
  db: DynamoDBDocumentClient,
  table: string,
  pk: string,
): Promise<StoredEvent[]> => splitPartition(await readPartition(db, table, pk)).history;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A put, counted in `outcome`; false when its condition failed (any other error is thrown). */
async function countedPut(
  db: DynamoDBDocumentClient,
  input: PutCommandInput,
  outcome: StoreOutcome,
): Promise<boolean> {
  try {
    const put = await db.send(new PutCommand({ ...input, ReturnConsumedCapacity: 'TOTAL' }));
    outcome.writeUnits += units(put.ConsumedCapacity);
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
}

/** A strongly consistent GetItem, its read units counted in `outcome`. */
async function get(
  db: DynamoDBDocumentClient,
  table: string,
  key: Item,
  outcome: StoreOutcome,
  projection?: string,
): Promise<Item | undefined> {
  const got = await db.send(
    new GetCommand({
      TableName: table,
      Key: key,
      ConsistentRead: true,
      ReturnConsumedCapacity: 'TOTAL',
      ...(projection !== undefined && {
        ProjectionExpression: projection,
        ExpressionAttributeNames: { '#sk': 'sk', '#hash': 'hash' },
      }),
    }),
  );
  outcome.readUnits += units(got.ConsumedCapacity);
  return got.Item;
}

/** Of the history ids in `ids`, those whose history item has not been written yet. */
async function unwritten(
  db: DynamoDBDocumentClient,
  table: string,
  pk: string,
  ids: string[],
  outcome: StoreOutcome,
): Promise<string[]> {
  if (ids.length === 0) return [];
  const found = new Set<string>();
  let keys: Item[] | undefined = ids.map((id) => ({ pk, sk: `${EVENT_PREFIX}${id}` }));
  for (let round = 0; keys !== undefined && keys.length > 0; round += 1) {
    if (round > 0) await sleep(50 * 2 ** Math.min(round, 5));
    const got = await db.send(
      new BatchGetCommand({
        RequestItems: {
          [table]: {
            Keys: keys,
            ConsistentRead: true,
            ProjectionExpression: '#sk',
            ExpressionAttributeNames: { '#sk': 'sk' },
          },
        },
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    for (const c of got.ConsumedCapacity ?? []) outcome.readUnits += units(c);
    for (const item of (got.Responses?.[table] ?? []) as Item[]) found.add(String(item.sk));
    keys = got.UnprocessedKeys?.[table]?.Keys as Item[] | undefined;
  }
  return ids.filter((id) => !found.has(`${EVENT_PREFIX}${id}`));
}

export interface StoreOptions {
  /**
   * Days a history item is kept: it gets `expires_at` (epoch seconds), when DynamoDB's time to
   * live may delete it. 0 or unset: kept for ever. Records never expire, and since storing never
   * reads the history, an expired history changes no record.
   */
  historyRetentionDays?: number;
}

/** When a history item received at `receivedAt` may expire, in epoch seconds (none for 0 days). */
function expiresAt(receivedAt: string, days: number | undefined): Item {
  const received = Date.parse(receivedAt);
  if (!days || Number.isNaN(received)) return {};
  return { expires_at: Math.floor(received / 1000) + days * 86_400 };
}

/** Writes an event's history item (and its payload's parts), keeping the larger hash per id. */
async function putHistory(
  db: DynamoDBDocumentClient,
  table: string,
  entity: Entity<unknown>,
  pk: string,
  event: StoredEvent,
  outcome: StoreOutcome,
  options: StoreOptions,
): Promise<void> {
  const historyId = entity.historyId(event);
  const expiry = expiresAt(event.receivedAt, options.historyRetentionDays);
  const gz = gzipSync(Buffer.from(JSON.stringify(event.payload)));
  let payload: Item = { payload_gz: gz };
  if (gz.length > PART_BYTES) {
    // Parts first: keyed by history id, and the same content's parts are the same bytes.
    const count = Math.ceil(gz.length / PART_BYTES);
    for (let i = 0; i < count; i += 1) {
      const chunk = gz.subarray(i * PART_BYTES, (i + 1) * PART_BYTES);
      await countedPut(
        db,
        { TableName: table, Item: { pk, sk: partKey(historyId, i), chunk, ...expiry } },
        outcome,
      );
    }
    payload = { payload_parts: count };
  }
  await countedPut(
    db,
    {
      TableName: table,
      Item: {
        pk,
        sk: `${EVENT_PREFIX}${historyId}`,
        ...historyAttributes(entity.kind, event),
        ...payload,
        ...expiry,
      },
      // A new id, or (for a connection's event_id that two contents share) the larger hash, so
      // any order converges. Job and discover ids hold their content: a held one is this one.
      ConditionExpression: 'attribute_not_exists(pk) OR #hash < :hash',
      ExpressionAttributeNames: { '#hash': 'hash' },
      ExpressionAttributeValues: { ':hash': event.hash },
    },
    outcome,
  );
}

/**
 * Stores one event, reading only the entity's CURRENT item and the event's own history item,
 * however long the history: the event is folded into the record (see Entity.fold), the CURRENT
 * item is written only if nobody changed it meanwhile (a version check), and then the history
 * item is written. No transaction is used; every write is conditional.
 *
 * Counting each event once without a transaction: the CURRENT item lists in `pending` the ids of
 * events folded in whose history item may not be written yet. An event whose history item
 * exists was folded before; one listed in `pending` was folded and only needs its history item
 * (a consumer died between the two writes, and SQS delivered the message again). Each fold drops
 * from `pending` the ids whose history items have been written since, so the list stays as short
 * as the number of writes in flight.
 */
export async function storeEvent(
  db: DynamoDBDocumentClient,
  table: string,
  entity: Entity<unknown>,
  event: StoredEvent,
  options: StoreOptions = {},
): Promise<StoreOutcome> {
  const pk = entity.key(event.payload);
  const id = entity.historyId(event);
  const outcome: StoreOutcome = {
    duplicate: false,
    changed: false,
    conflicts: 0,
    writeUnits: 0,
    readUnits: 0,
  };
  for (let attempt = 0; ; attempt += 1) {
    if (attempt === MAX_ATTEMPTS) throw new WriteConflictError(pk);
    const [current, held] = await Promise.all([
      get(db, table, { pk, sk: CURRENT }, outcome),
      get(db, table, { pk, sk: `${EVENT_PREFIX}${id}` }, outcome, '#sk, #hash'),
    ]);
    const pending = (current?.pending as string[] | undefined) ?? [];
    if (pending.includes(id)) {
      outcome.duplicate = true;
      break;
    }
    const heldHash = held === undefined ? undefined : String(held.hash ?? event.hash);
    if (heldHash !== undefined && heldHash >= event.hash) {
      outcome.duplicate = true;
      return outcome;
    }
    const isNew = held === undefined;
    const prev = current && { record: recordOf(entity.kind, current), fold: foldOf(current) };
    const next = entity.fold(prev, event, isNew);
    const record = boundRecord(next.record) as Record<string, unknown>;
    const stillPending = await unwritten(db, table, pk, pending, outcome);
    const attributes = {
      ...currentAttributes(entity.kind, record, next.fold),
      ...(isNew
        ? { pending: [...stillPending, id] }
        : stillPending.length > 0 && { pending: stillPending }),
    };
    if (current !== undefined && holds(current, attributes)) break;
    const version = Number(current?.version ?? 0);
    const written = await countedPut(
      db,
      {
        TableName: table,
        Item: { pk, sk: CURRENT, ...attributes, version: version + 1 },
        ...(current === undefined
          ? { ConditionExpression: 'attribute_not_exists(pk)' }
          : {
              ConditionExpression: '#version = :version',
              ExpressionAttributeNames: { '#version': 'version' },
              ExpressionAttributeValues: { ':version': version },
            }),
      },
      outcome,
    );
    if (written) {
      outcome.changed = true;
      break;
    }
    outcome.conflicts += 1;
    await sleep(Math.random() * 20 * (attempt + 1));
  }
  await putHistory(db, table, entity, pk, event, outcome, options);
  return outcome;
}
