import { gzipSync } from 'node:zlib';
import { ConditionalCheckFailedException, type ConsumedCapacity } from '@aws-sdk/client-dynamodb';
import {
  PutCommand,
  QueryCommand,
  type DynamoDBDocumentClient,
  type PutCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { WriteConflictError, type StoreOutcome } from '../../ports/event-store';
import { foldRecord, type Entity } from '../../records/entities';
import type { StoredEvent } from '../../records/stored-event';
import {
  CURRENT,
  currentAttributes,
  EVENT_PREFIX,
  historyAttributes,
  PART_BYTES,
  partKey,
  holds,
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

/** Writes the history item (and its parts) of one event; marks a duplicate when the history already held it. */
async function putHistory(
  db: DynamoDBDocumentClient,
  table: string,
  entity: Entity<unknown>,
  pk: string,
  event: StoredEvent,
  outcome: StoreOutcome,
): Promise<void> {
  const historyId = entity.historyId(event);
  const gz = gzipSync(Buffer.from(JSON.stringify(event.payload)));
  let payload: Item = { payload_gz: gz };
  if (gz.length > PART_BYTES) {
    // Parts first: they are keyed by content, so rewriting them on a retry changes nothing.
    const count = Math.ceil(gz.length / PART_BYTES);
    for (let i = 0; i < count; i += 1) {
      const chunk = gz.subarray(i * PART_BYTES, (i + 1) * PART_BYTES);
      await countedPut(
        db,
        { TableName: table, Item: { pk, sk: partKey(historyId, i), chunk } },
        outcome,
      );
    }
    payload = { payload_parts: count };
  }
  const written = await countedPut(
    db,
    {
      TableName: table,
      Item: {
        pk,
        sk: `${EVENT_PREFIX}${historyId}`,
        ...historyAttributes(entity.kind, event),
        ...payload,
      },
      // A new event, or (for ids that two contents share) the larger hash, so any order converges.
      ConditionExpression: 'attribute_not_exists(pk) OR #hash < :hash',
      ExpressionAttributeNames: { '#hash': 'hash' },
      ExpressionAttributeValues: { ':hash': event.hash },
    },
    outcome,
  );
  if (!written) outcome.duplicate = true;
}

/**
 * Stores one event: first its history item (idempotent), then the CURRENT item recomputed from
 * the whole history and written only if nobody changed it meanwhile (a version check). Every
 * write is conditional and no transaction is used: a consumer that dies between the two writes
 * leaves a history item whose retry recomputes the same CURRENT item, so the table converges.
 */
export async function storeEvent(
  db: DynamoDBDocumentClient,
  table: string,
  entity: Entity<unknown>,
  event: StoredEvent,
): Promise<StoreOutcome> {
  const pk = entity.key(event.payload);
  const outcome: StoreOutcome = { duplicate: false, changed: false, conflicts: 0, writeUnits: 0 };
  await putHistory(db, table, entity, pk, event, outcome);
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
    const { current, history } = splitPartition(await readPartition(db, table, pk));
    const record = foldRecord(entity, history) as Record<string, unknown>;
    const attributes = currentAttributes(entity.kind, record);
    if (current !== undefined && holds(current, attributes)) return outcome;
    const version = Number(current?.version ?? 0);
    const written = await countedPut(
      db,
      {
        TableName: table,
        Item: {
          pk,
          sk: CURRENT,
          ...attributes,
          version: version + 1,
        },
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
      return outcome;
    }
    outcome.conflicts += 1;
    await sleep(Math.random() * 20 * (attempt + 1));
  }
  throw new WriteConflictError(pk);
}
