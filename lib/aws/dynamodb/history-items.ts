import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Entity } from '../../records/entities';
import type { StoredEvent } from '../../records/stored-event';
import { batchGetItems, conditionalPut, type Meter } from './dynamodb-io';
import {
  encodePayload,
  EVENT_PREFIX,
  historyAttributes,
  PART_BYTES,
  partKey,
  type Item,
} from './table-layout';

/** Writing history items: one per distinct event, keyed by its history id (table-layout.ts). */

/** `days` after `at`, in epoch seconds: when DynamoDB's TTL may delete an item (none for 0 days). */
export function expirySeconds(at: string, days: number | undefined): number | undefined {
  const time = Date.parse(at);
  if (!days || Number.isNaN(time)) return undefined;
  return Math.floor(time / 1000) + days * 86_400;
}

/** The payload attributes of a history item: its gzip, or the count of its parts, written first. */
async function putPayload(
  db: DynamoDBDocumentClient,
  table: string,
  key: { pk: string; historyId: string },
  event: StoredEvent,
  expiry: Item,
  meter: Meter,
): Promise<Item> {
  const gz = encodePayload(event.payload);
  if (gz.length <= PART_BYTES) return { payload_gz: gz };
  // Keyed by history id, and the same content's parts are the same bytes.
  const count = Math.ceil(gz.length / PART_BYTES);
  for (let i = 0; i < count; i += 1) {
    const chunk = gz.subarray(i * PART_BYTES, (i + 1) * PART_BYTES);
    const sk = partKey(key.historyId, i);
    await conditionalPut(
      db,
      { TableName: table, Item: { pk: key.pk, sk, chunk, ...expiry } },
      meter,
    );
  }
  return { payload_parts: count };
}

/** A history item is written for a new id, or over a held one with a smaller hash. */
const NEW_ID_OR_LARGER_HASH = 'attribute_not_exists(pk) OR #hash < :hash';

/**
 * Writes an event's history item (and its payload's parts): a new id, or, for a connection's
 * event_id that two contents share, the larger hash, so that any order converges. Job and
 * discover ids hold their content: a held one is this one.
 */
export async function putHistory(
  db: DynamoDBDocumentClient,
  table: string,
  entity: Entity<unknown>,
  event: StoredEvent,
  retentionDays: number | undefined,
  meter: Meter,
): Promise<void> {
  const pk = entity.key(event.payload);
  const historyId = entity.historyId(event);
  const seconds = expirySeconds(event.receivedAt, retentionDays);
  const expiry = seconds === undefined ? {} : { expires_at: seconds };
  const payload = await putPayload(db, table, { pk, historyId }, event, expiry, meter);
  const item = {
    pk,
    sk: `${EVENT_PREFIX}${historyId}`,
    ...historyAttributes(entity.kind, event),
    ...payload,
    ...expiry,
  };
  await conditionalPut(
    db,
    {
      TableName: table,
      Item: item,
      ConditionExpression: NEW_ID_OR_LARGER_HASH,
      ExpressionAttributeNames: { '#hash': 'hash' },
      ExpressionAttributeValues: { ':hash': event.hash },
    },
    meter,
  );
}

/** The history items of `ids` that exist (strongly consistent), with the projected attributes. */
const historyItems = (
  db: DynamoDBDocumentClient,
  table: string,
  pk: string,
  ids: readonly string[],
  projection: string[],
  meter: Meter,
): Promise<Item[]> =>
  batchGetItems(
    db,
    table,
    ids.map((id) => ({ pk, sk: `${EVENT_PREFIX}${id}` })),
    { projection, consistent: true, meter },
  );

const idOf = (item: Item): string => String(item.sk).slice(EVENT_PREFIX.length);

/**
 * The hash each history id of `ids` that is written holds: its history item's, or null where
 * the item keeps none (a job's or discover state's id contains its hash, so a held one is that
 * content).
 */
export async function heldHashes(
  db: DynamoDBDocumentClient,
  table: string,
  pk: string,
  ids: readonly string[],
  meter: Meter,
): Promise<Map<string, string | null>> {
  const items = await historyItems(db, table, pk, ids, ['hash'], meter);
  return new Map(
    items.map((item) => [idOf(item), item.hash === undefined ? null : String(item.hash)]),
  );
}

/**
 * Of the history ids in `ids`, those whose history item has not been written yet. `written` holds
 * ids already seen written (a history item, once written, stays): they are not asked again.
 */
export async function unwritten(
  db: DynamoDBDocumentClient,
  table: string,
  pk: string,
  ids: readonly string[],
  written: Set<string>,
  meter: Meter,
): Promise<string[]> {
  const ask = ids.filter((id) => !written.has(id));
  if (ask.length === 0) return [];
  for (const item of await historyItems(db, table, pk, ask, [], meter)) written.add(idOf(item));
  return ask.filter((id) => !written.has(id));
}
