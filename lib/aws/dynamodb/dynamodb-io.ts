import { ConditionalCheckFailedException, type ConsumedCapacity } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  GetCommand,
  PutCommand,
  UpdateCommand,
  paginateQuery,
  type DynamoDBDocumentClient,
  type PutCommandInput,
  type QueryCommandInput,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { itemBytes, writeUnitsOf } from './item-size';

/**
 * The DynamoDB calls the store and the queries make, each written once: paging, BatchGetItem with
 * backoff, conditional writes, and the capacity they use, counted in a `Meter` when one is given.
 */

type Item = Record<string, unknown>;

/** Capacity units used, as DynamoDB reports them (and as it charges failed conditional writes). */
export interface Meter {
  readUnits: number;
  writeUnits: number;
}

const units = (c: ConsumedCapacity | undefined): number => c?.CapacityUnits ?? 0;

export const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms));

/** Every item a Query matches, page by page (paginateQuery). */
export async function* queryPages(
  db: DynamoDBDocumentClient,
  input: Omit<QueryCommandInput, 'ExclusiveStartKey'>,
): AsyncGenerator<Item> {
  for await (const page of paginateQuery({ client: db }, input))
    yield* (page.Items ?? []) as Item[];
}

/** Reads a whole partition with a strongly consistent Query, page by page. */
export async function readPartition(
  db: DynamoDBDocumentClient,
  table: string,
  pk: string,
): Promise<Item[]> {
  const items: Item[] = [];
  const query = {
    TableName: table,
    KeyConditionExpression: 'pk = :pk',
    ExpressionAttributeValues: { ':pk': pk },
    ConsistentRead: true,
  };
  for await (const item of queryPages(db, query)) items.push(item);
  return items;
}

/** A strongly consistent GetItem, its read units counted in `meter`. */
export async function getItem(
  db: DynamoDBDocumentClient,
  table: string,
  key: Item,
  meter: Meter,
): Promise<Item | undefined> {
  const got = await db.send(
    new GetCommand({
      TableName: table,
      Key: key,
      ConsistentRead: true,
      ReturnConsumedCapacity: 'TOTAL',
    }),
  );
  meter.readUnits += units(got.ConsumedCapacity);
  return got.Item;
}

/** BatchGetItem's limit of keys per call. */
const BATCH_GET_KEYS = 100;

export interface BatchGetOptions {
  /** Only these attributes (the key attributes are always read). */
  projection?: readonly string[];
  consistent?: boolean;
  meter?: Meter;
}

/**
 * The items of `keys` that exist, in no particular order: BatchGetItem 100 keys at a time, with
 * unprocessed keys asked again after a backoff (50 ms doubling, at most 1.6 s).
 */
export async function batchGetItems(
  db: DynamoDBDocumentClient,
  table: string,
  keys: readonly Item[],
  { projection, consistent = false, meter }: BatchGetOptions = {},
): Promise<Item[]> {
  const names = projection && ['pk', 'sk', ...projection];
  const project = names && {
    ProjectionExpression: names.map((_, i) => `#p${i}`).join(', '),
    ExpressionAttributeNames: Object.fromEntries(names.map((n, i) => [`#p${i}`, n])),
  };
  const items: Item[] = [];
  for (let at = 0; at < keys.length; at += BATCH_GET_KEYS) {
    let request: Item[] | undefined = keys.slice(at, at + BATCH_GET_KEYS);
    for (let round = 0; request !== undefined && request.length > 0; round += 1) {
      if (round > 0) await sleep(50 * 2 ** Math.min(round, 5));
      const got = await db.send(
        new BatchGetCommand({
          RequestItems: { [table]: { Keys: request, ConsistentRead: consistent, ...project } },
          ...(meter !== undefined && { ReturnConsumedCapacity: 'TOTAL' }),
        }),
      );
      if (meter !== undefined)
        for (const c of got.ConsumedCapacity ?? []) meter.readUnits += units(c);
      items.push(...((got.Responses?.[table] ?? []) as Item[]));
      request = got.UnprocessedKeys?.[table]?.Keys as Item[] | undefined;
    }
  }
  return items;
}

/** What a conditional put did: written, or refused, with the item that refused it if known. */
export type PutResult = { written: true } | { written: false; found?: Item };

/**
 * A put, counted in `meter`. When its condition fails, DynamoDB hands back the item that made it
 * fail (ReturnValuesOnConditionCheckFailure), so a retry need not read it again; `found` is
 * undefined where the emulator does not (dynalite). Any other error is thrown.
 */
export async function conditionalPut(
  db: DynamoDBDocumentClient,
  input: PutCommandInput,
  meter: Meter,
): Promise<PutResult> {
  try {
    const put = await db.send(
      new PutCommand({
        ...input,
        ReturnConsumedCapacity: 'TOTAL',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    );
    meter.writeUnits += units(put.ConsumedCapacity);
    return { written: true };
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
    const found = error.Item === undefined ? undefined : unmarshall(error.Item);
    // DynamoDB charges a failed conditional write (by the larger of the two items) but reports
    // no capacity for it: counted from the sizes.
    meter.writeUnits += writeUnitsOf(
      Math.max(itemBytes(input.Item ?? {}), found === undefined ? 0 : itemBytes(found)),
    );
    return found === undefined ? { written: false } : { written: false, found };
  }
}

/**
 * A conditional update, counted in `meter` when given; false when its condition failed (charged
 * by the size of `charged`, the item as last read, when known). Any other error is thrown.
 */
export async function conditionalUpdate(
  db: DynamoDBDocumentClient,
  input: UpdateCommandInput,
  meter?: Meter,
  charged?: Item,
): Promise<boolean> {
  try {
    const updated = await db.send(
      new UpdateCommand({
        ...input,
        ...(meter !== undefined && { ReturnConsumedCapacity: 'TOTAL' }),
      }),
    );
    if (meter !== undefined) meter.writeUnits += units(updated.ConsumedCapacity);
    return true;
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
    if (meter !== undefined && charged !== undefined)
      meter.writeUnits += writeUnitsOf(itemBytes(charged));
    return false;
  }
}
