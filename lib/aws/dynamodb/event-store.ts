import { gunzipSync, gzipSync } from 'node:zlib';
import { ConditionalCheckFailedException, type ConsumedCapacity } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
  type PutCommandInput,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { WriteConflictError, type StoreOutcome, type Unsent } from '../../ports/event-store';
import { recordChanges, type Notification } from '../../records/changes';
import { boundRecord, type Entity } from '../../records/entities';
import type { StoredEvent } from '../../records/stored-event';
import {
  CURRENT,
  currentAttributes,
  EVENT_PREFIX,
  foldOf,
  historyAttributes,
  holds,
  INBOX_PREFIX,
  outboxAttribute,
  outboxEntry,
  outboxOf,
  PART_BYTES,
  partKey,
  recordOf,
  splitPartition,
  type Item,
} from './table-layout';

/**
 * How long a write keeps retrying lost races on the CURRENT item's version check before its events
 * go back to SQS: 15 s, half the consumer's 30 s timeout (the entities of a batch are stored at
 * once, so a batch takes about as long as its slowest entity). Between attempts, a backoff of
 * full jitter doubling from 8 ms up to 1 s spreads the writers of a busy entity apart. `npm run
 * bench` figure (g) measures 32 writers on one entity.
 */
const CONFLICT_BUDGET_MS = 15_000;
const backoffMs = (attempt: number): number => Math.random() * Math.min(1000, 32 * 2 ** attempt);
const units = (c: ConsumedCapacity | undefined): number => c?.CapacityUnits ?? 0;

/** Every item a Query matches, page by page; read units counted in `outcome` when given. */
async function queryItems(
  db: DynamoDBDocumentClient,
  input: Omit<QueryCommandInput, 'ExclusiveStartKey' | 'ReturnConsumedCapacity'>,
  outcome?: StoreOutcome,
): Promise<Item[]> {
  const items: Item[] = [];
  let start: Item | undefined;
  do {
    const page = await db.send(
      new QueryCommand({
        ...input,
        ExclusiveStartKey: start,
        ...(outcome !== undefined && { ReturnConsumedCapacity: 'TOTAL' }),
      }),
    );
    if (outcome !== undefined) outcome.readUnits += units(page.ConsumedCapacity);
    items.push(...((page.Items ?? []) as Item[]));
    start = page.LastEvaluatedKey as Item | undefined;
  } while (start !== undefined);
  return items;
}

/** Reads a whole partition with a strongly consistent Query, page by page. */
export const readPartition = (
  db: DynamoDBDocumentClient,
  table: string,
  pk: string,
): Promise<Item[]> =>
  queryItems(db, {
    TableName: table,
    KeyConditionExpression: 'pk = :pk',
    ExpressionAttributeValues: { ':pk': pk },
    ConsistentRead: true,
  });

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
  return (await conditionalPut(db, input, outcome)).written;
}

/**
 * A put, counted in `outcome`. When its condition fails, DynamoDB hands back the item that made it
 * fail (ReturnValuesOnConditionCheckFailure), so a retry need not read it again; `found` is
 * undefined where the emulator does not (dynalite).
 */
async function conditionalPut(
  db: DynamoDBDocumentClient,
  input: PutCommandInput,
  outcome: StoreOutcome,
): Promise<{ written: true } | { written: false; found?: Item }> {
  try {
    const put = await db.send(
      new PutCommand({
        ...input,
        ReturnConsumedCapacity: 'TOTAL',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    );
    outcome.writeUnits += units(put.ConsumedCapacity);
    return { written: true };
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
    return error.Item === undefined
      ? { written: false }
      : { written: false, found: unmarshall(error.Item) };
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

/** BatchGetItem's limit of keys per call. */
const BATCH_GET_KEYS = 100;

/** The history items of `ids` that exist (strongly consistent), with the projected attributes. */
async function historyItems(
  db: DynamoDBDocumentClient,
  table: string,
  pk: string,
  ids: string[],
  projection: '#sk' | '#sk, #hash',
  outcome: StoreOutcome,
): Promise<Item[]> {
  const items: Item[] = [];
  for (let at = 0; at < ids.length; at += BATCH_GET_KEYS) {
    let keys: Item[] | undefined = ids
      .slice(at, at + BATCH_GET_KEYS)
      .map((id) => ({ pk, sk: `${EVENT_PREFIX}${id}` }));
    for (let round = 0; keys !== undefined && keys.length > 0; round += 1) {
      if (round > 0) await sleep(50 * 2 ** Math.min(round, 5));
      const got = await db.send(
        new BatchGetCommand({
          RequestItems: {
            [table]: {
              Keys: keys,
              ConsistentRead: true,
              ProjectionExpression: projection,
              ExpressionAttributeNames:
                projection === '#sk' ? { '#sk': 'sk' } : { '#sk': 'sk', '#hash': 'hash' },
            },
          },
          ReturnConsumedCapacity: 'TOTAL',
        }),
      );
      for (const c of got.ConsumedCapacity ?? []) outcome.readUnits += units(c);
      items.push(...((got.Responses?.[table] ?? []) as Item[]));
      keys = got.UnprocessedKeys?.[table]?.Keys as Item[] | undefined;
    }
  }
  return items;
}

/**
 * Of the history ids in `ids`, those whose history item has not been written yet. `written` holds
 * ids already seen written (a history item, once written, stays): they are not asked again.
 */
async function unwritten(
  db: DynamoDBDocumentClient,
  table: string,
  pk: string,
  ids: string[],
  outcome: StoreOutcome,
  written: Set<string>,
): Promise<string[]> {
  const ask = ids.filter((id) => !written.has(id));
  if (ask.length === 0) return [];
  const found = new Set(
    (await historyItems(db, table, pk, ask, '#sk', outcome)).map((item) => String(item.sk)),
  );
  for (const id of ask) if (found.has(`${EVENT_PREFIX}${id}`)) written.add(id);
  return ask.filter((id) => !written.has(id));
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
 * The hash each held history id holds, by id: its history item's, or null where the item has
 * none (a job's or discover state's id contains its hash, so a held one is that content).
 */
async function heldHashes(
  db: DynamoDBDocumentClient,
  table: string,
  pk: string,
  ids: string[],
  outcome: StoreOutcome,
): Promise<Map<string, string | null>> {
  const held = new Map<string, string | null>();
  for (const item of await historyItems(db, table, pk, ids, '#sk, #hash', outcome))
    held.set(
      String(item.sk).slice(EVENT_PREFIX.length),
      item.hash === undefined ? null : String(item.hash),
    );
  return held;
}

const emptyOutcome = (): StoreOutcome => ({
  duplicate: false,
  changed: false,
  conflicts: 0,
  writeUnits: 0,
  readUnits: 0,
  unsent: [],
  recorded: [],
});

/** The largest compressed payload an inbox item carries; a larger event waits for its own write. */
const INBOX_MAX_GZ = PART_BYTES;
/** Inbox items a crashed writer leaves behind expire after a day (its message comes back anyway). */
const INBOX_TTL_SECONDS = 86_400;

/** The events writers that lost a race left in an entity's inbox. */
async function readInbox(
  db: DynamoDBDocumentClient,
  table: string,
  pk: string,
  outcome: StoreOutcome,
): Promise<StoredEvent[]> {
  const items = await queryItems(
    db,
    {
      TableName: table,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :inbox)',
      ExpressionAttributeValues: { ':pk': pk, ':inbox': INBOX_PREFIX },
      // Eventually consistent is enough: whether an event is folded is read strongly.
      ConsistentRead: false,
    },
    outcome,
  );
  return items.map((item) => ({
    hash: String(item.hash),
    receivedAt: String(item.received_at),
    ...(item.source === 'reconcile' && { source: 'reconcile' as const }),
    payload: JSON.parse(
      gunzipSync(Buffer.from(item.payload_gz as Uint8Array)).toString('utf8'),
    ) as StoredEvent['payload'],
  }));
}

/** Leaves `event` in the inbox (keeping the larger hash per id); false when it is too large to. */
async function putInbox(
  db: DynamoDBDocumentClient,
  table: string,
  pk: string,
  id: string,
  event: StoredEvent,
  outcome: StoreOutcome,
): Promise<boolean> {
  const gz = gzipSync(Buffer.from(JSON.stringify(event.payload)));
  if (gz.length > INBOX_MAX_GZ) return false;
  await countedPut(
    db,
    {
      TableName: table,
      Item: {
        pk,
        sk: `${INBOX_PREFIX}${id}`,
        hash: event.hash,
        received_at: event.receivedAt,
        ...(event.source !== undefined && { source: event.source }),
        payload_gz: gz,
        expires_at: Math.floor(Date.now() / 1000) + INBOX_TTL_SECONDS,
      },
      ConditionExpression: 'attribute_not_exists(pk) OR #hash < :hash',
      ExpressionAttributeNames: { '#hash': 'hash' },
      ExpressionAttributeValues: { ':hash': event.hash },
    },
    outcome,
  );
  return true;
}

/** Deletes an inbox item if it still holds this content. */
async function clearInbox(
  db: DynamoDBDocumentClient,
  table: string,
  pk: string,
  id: string,
  hash: string,
): Promise<void> {
  try {
    await db.send(
      new DeleteCommand({
        TableName: table,
        Key: { pk, sk: `${INBOX_PREFIX}${id}` },
        ConditionExpression: '#hash = :hash',
        ExpressionAttributeNames: { '#hash': 'hash' },
        ExpressionAttributeValues: { ':hash': hash },
      }),
    );
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
  }
}

/** What one attempt decided for each candidate event: fold it in, write its history item. */
interface Plan {
  candidates: StoredEvent[];
  ids: string[];
  /** Held already (this content, or a larger one with its id), or folded pending its history. */
  duplicate: boolean[];
  folded: boolean[];
  toWrite: boolean[];
  /** Candidates whose history item held this very content when read: folded long ago. */
  held: boolean[];
}

/**
 * Stores events of one entity, reading only the entity's CURRENT item and the events' own
 * history items, however long the history: the events are folded into the record (see
 * Entity.fold) and the CURRENT item is written once for them all, only if nobody changed it
 * meanwhile (a version check); then each event's history item is written. No transaction is used;
 * every write is conditional. Storing a batch is storing its events one by one, with one record
 * write instead of one per event: fewer writes, and fewer races on a busy entity.
 *
 * Counting each event once without a transaction: the CURRENT item lists in `pending` the ids of
 * events folded in whose history item may not be written yet. An event whose history item
 * exists was folded before; one listed in `pending` was folded and only needs its history item
 * (a consumer died between the two writes, and SQS delivered the message again). Each fold drops
 * from `pending` the ids whose history items have been written since, so the list stays as short
 * as the number of writes in flight.
 *
 * Helping on a busy entity: a writer that loses the race leaves its events in the entity's inbox
 * (`INBOX#<id>` items), and every writer folds in, with its own, the events waiting there. So the
 * next writer to win folds in all who wait, and a loser is done as soon as anyone wins: a busy
 * entity takes one write per round of writers rather than one per writer. An uncontended write
 * costs one more read (the empty inbox, read alongside the CURRENT item) and no more writes.
 *
 * Outcomes are per event; the units and conflicts of shared writes are counted on the first.
 */
export async function storeEvents(
  db: DynamoDBDocumentClient,
  table: string,
  entity: Entity<unknown>,
  events: readonly StoredEvent[],
  options: StoreOptions = {},
): Promise<StoreOutcome[]> {
  const outcomes = events.map(emptyOutcome);
  const first = events[0];
  const shared = outcomes[0];
  if (first === undefined || shared === undefined) return outcomes;
  const pk = entity.key(first.payload);
  if (events.some((e) => entity.key(e.payload) !== pk))
    throw new Error('storeEvents takes the events of one entity');
  let plan: Plan | undefined;
  // Per event of ours: a duplicate when first read (what its outcome reports).
  let duplicateAtFirst: boolean[] = [];
  let wrote = false;
  // The outbox of the CURRENT item as this writer last wrote or read it, and what it recorded.
  let unsent: Unsent[] = [];
  let recorded: string[] = [];
  // The record holds what this writer folded (written by it, or found to hold it already).
  let settled = false;
  let inboxed = false;
  // A lost race hands back the CURRENT item that won it: the retry starts from that.
  let known: { current: Item | undefined } | undefined;
  const written = new Set<string>();
  const giveUpAt = Date.now() + CONFLICT_BUDGET_MS;
  /** Leaves our events still to fold in the inbox; false if one is too large (it keeps racing). */
  const leaveInInbox = async ({ candidates, folded }: Plan): Promise<boolean> => {
    const mine = candidates.slice(0, events.length).filter((_, i) => folded[i]);
    const left = await Promise.all(
      mine.map((e) => putInbox(db, table, pk, entity.historyId(e), e, shared)),
    );
    return left.every(Boolean);
  };
  for (let attempt = 0; ; attempt += 1) {
    const ownIds = [...new Set(events.map((e) => entity.historyId(e)))];
    // Ours first, in batch order; then what other writers left waiting, with their held hashes.
    const [current, ownHeld, waiting] = await Promise.all([
      known === undefined ? get(db, table, { pk, sk: CURRENT }, shared) : known.current,
      heldHashes(db, table, pk, ownIds, shared),
      readInbox(db, table, pk, shared).then(async (found) => {
        const others = found.filter((w) => !events.some((e) => e.hash === w.hash));
        const ids = [...new Set(others.map((e) => entity.historyId(e)))].filter(
          (id) => !ownIds.includes(id),
        );
        return { others, held: await heldHashes(db, table, pk, ids, shared) };
      }),
    ]);
    const candidates: StoredEvent[] = [...events, ...waiting.others];
    const ids = candidates.map((e) => entity.historyId(e));
    const held = new Map([...ownHeld, ...waiting.held]);
    const pending = (current?.pending as string[] | undefined) ?? [];
    unsent = outboxOf(current);
    // The record as read (the folds copy it, never change it): the start, and what a change is from.
    const before = current === undefined ? undefined : recordOf(entity.kind, current);
    let state = current && { record: before, fold: foldOf(current) };
    const added: string[] = [];
    plan = { candidates, ids, duplicate: [], folded: [], toWrite: [], held: [] };
    for (const [c, event] of candidates.entries()) {
      const id = ids[c] as string;
      const heldHash = held.get(id);
      // Listed in pending with no history item: folded by an earlier delivery whose history write
      // never happened. (Once the history item exists, its hash tells.)
      const inPending = pending.includes(id) && !held.has(id);
      const sameContent = held.has(id) && (heldHash === null || heldHash === event.hash);
      // Another content under a held id (a connection's event_id sent twice): it counts in the
      // record as the merge says (folding it again changes nothing), but the history keeps the
      // larger hash.
      const largerHeld = typeof heldHash === 'string' && heldHash > event.hash;
      const fold = !inPending && !sameContent;
      plan.duplicate.push(inPending || sameContent || largerHeld);
      plan.folded.push(fold);
      plan.held.push(sameContent && !inPending);
      // An event folded without its history item gets it from its own writer (or this one).
      plan.toWrite.push((fold && !largerHeld) || (inPending && c < events.length));
      if (!fold) continue;
      const isNew = !held.has(id);
      state = entity.fold(state, event, isNew);
      // Later candidates with this id see it held, by the larger hash.
      if (!largerHeld) held.set(id, event.hash);
      if (isNew) added.push(id);
    }
    if (attempt === 0) duplicateAtFirst = plan.duplicate.slice(0, events.length);
    // Done once none of ours is left to fold: the others' writers are still at it.
    if (state === undefined || !plan.folded.slice(0, events.length).includes(true)) {
      plan.toWrite = plan.toWrite.map((w, c) => w && c < events.length);
      plan.folded = plan.folded.map((f, c) => f && c < events.length);
      break;
    }
    // Out of time with events of ours still to fold: SQS brings them back later.
    if (attempt > 0 && Date.now() >= giveUpAt) throw new WriteConflictError(pk);
    // Others already wait on this entity: join them rather than race them; whoever writes next
    // folds in everyone, this writer included.
    if (!inboxed && plan.folded.slice(events.length).includes(true)) {
      inboxed = await leaveInInbox(plan);
      if (inboxed) {
        await sleep(backoffMs(attempt));
        continue;
      }
    }
    const record = boundRecord(state.record) as Record<string, unknown>;
    const stillPending = await unwritten(db, table, pk, pending, shared, written);
    const nextPending = [...stillPending, ...added];
    // The changes this write makes join the outbox in the same write: published after it, and
    // removed only once published (markSent), so a crash in between loses none.
    const changes = recordChanges(entity.kind, pk, before, record, first.receivedAt).filter(
      (n) => !unsent.some((u) => u.notification.id === n.id),
    );
    const recordedAt = Date.now();
    const outbox = [...unsent, ...changes.map((notification) => ({ notification, recordedAt }))];
    const attributes = {
      ...currentAttributes(entity.kind, record, state.fold),
      ...(nextPending.length > 0 && { pending: nextPending }),
      ...outboxAttribute(outbox),
      ...(current?.stale_notified !== undefined && { stale_notified: current.stale_notified }),
    };
    if (current !== undefined && holds(current, attributes)) {
      settled = true;
      break;
    }
    const version = Number(current?.version ?? 0);
    const put = await conditionalPut(
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
      shared,
    );
    if (put.written) {
      wrote = true;
      settled = true;
      unsent = outbox;
      recorded = changes.map((n) => n.id);
      break;
    }
    shared.conflicts += 1;
    known = put.found === undefined ? undefined : { current: put.found };
    if (!inboxed) inboxed = await leaveInInbox(plan);
    await sleep(backoffMs(attempt));
  }
  const done = plan as Plan;
  for (const [i, outcome] of outcomes.entries()) {
    outcome.unsent = unsent;
    outcome.recorded = recorded;
    outcome.duplicate = duplicateAtFirst[i] ?? false;
    // Folded by this writer's write, or by another writer's that took it from the inbox.
    outcome.changed = done.folded[i] ? wrote : !outcome.duplicate;
  }
  // Each id's history item once, from its largest-hash candidate.
  const best = new Map<string, number>();
  for (const [c, write] of done.toWrite.entries()) {
    const id = done.ids[c] as string;
    const other = best.get(id);
    const hash = (done.candidates[c] as StoredEvent).hash;
    if (write && (other === undefined || (done.candidates[other] as StoredEvent).hash < hash))
      best.set(id, c);
  }
  await Promise.all(
    [...best.values()].map((c) =>
      putHistory(
        db,
        table,
        entity,
        pk,
        done.candidates[c] as StoredEvent,
        outcomes[c] ?? shared,
        options,
      ),
    ),
  );
  // Inbox items whose events are now folded and whose history items exist: this writer's own,
  // the ones it folded for others, and any a crashed writer left behind.
  await Promise.all(
    done.candidates.map((event, c) => {
      const ours = c < events.length;
      return (ours && inboxed) || (!ours && ((settled && done.folded[c]) || done.held[c]))
        ? clearInbox(db, table, pk, done.ids[c] as string, event.hash)
        : undefined;
    }),
  );
  return outcomes;
}

/**
 * Removes published notifications from an entity's outbox. The version moves, so that a writer
 * that read the outbox before cannot write them back (its put fails, and it starts again from
 * this); a lost race is retried from a fresh read. Returns the capacity units it used.
 */
export async function markSent(
  db: DynamoDBDocumentClient,
  table: string,
  pk: string,
  ids: readonly string[],
): Promise<{ readUnits: number; writeUnits: number }> {
  const giveUpAt = Date.now() + CONFLICT_BUDGET_MS;
  const spent = emptyOutcome();
  for (let attempt = 0; ; attempt += 1) {
    const current = await get(db, table, { pk, sk: CURRENT }, spent);
    const outbox = outboxOf(current);
    const rest = outbox.filter((u) => !ids.includes(u.notification.id));
    if (current === undefined || rest.length === outbox.length) return spent;
    try {
      const updated = await db.send(
        new UpdateCommand({
          TableName: table,
          Key: { pk, sk: CURRENT },
          UpdateExpression:
            rest.length === 0
              ? 'REMOVE outbox SET #version = :next'
              : 'SET outbox = :rest, #version = :next',
          ConditionExpression: '#version = :version',
          ExpressionAttributeNames: { '#version': 'version' },
          ExpressionAttributeValues: {
            ':version': current.version,
            ':next': Number(current.version) + 1,
            ...(rest.length > 0 && { ':rest': outboxAttribute(rest).outbox }),
          },
          ReturnConsumedCapacity: 'TOTAL',
        }),
      );
      spent.writeUnits += units(updated.ConsumedCapacity);
      return spent;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      if (Date.now() >= giveUpAt) throw new WriteConflictError(pk);
      await sleep(backoffMs(attempt));
    }
  }
}

/** An entity's outbox, read now (strongly consistent). */
export async function readUnsent(
  db: DynamoDBDocumentClient,
  table: string,
  pk: string,
): Promise<Unsent[]> {
  return outboxOf(await get(db, table, { pk, sk: CURRENT }, emptyOutcome()));
}

/**
 * Adds a `Job Stale` notice to a running job's outbox, once per episode (`stale_notified` holds
 * its id), if the job's latest event is still at `updatedAt`. The version moves, so a writer that
 * read the job before folds this in rather than writing over it. True when this call added it.
 */
export async function recordStale(
  db: DynamoDBDocumentClient,
  table: string,
  pk: string,
  updatedAt: string | undefined,
  notice: Notification,
): Promise<boolean> {
  try {
    await db.send(
      new UpdateCommand({
        TableName: table,
        Key: { pk, sk: CURRENT },
        UpdateExpression:
          'SET outbox = list_append(if_not_exists(outbox, :none), :notice), stale_notified = :id, #version = #version + :one',
        ConditionExpression: [
          'attribute_exists(pk)',
          'status_class = :running',
          updatedAt === undefined ? 'attribute_not_exists(updated_at)' : 'updated_at = :updated',
          '(attribute_not_exists(stale_notified) OR stale_notified <> :id)',
        ].join(' AND '),
        ExpressionAttributeNames: { '#version': 'version' },
        ExpressionAttributeValues: {
          ':none': [],
          ':notice': [outboxEntry({ notification: notice, recordedAt: Date.now() })],
          ':id': notice.id,
          ':one': 1,
          ':running': 'running',
          ...(updatedAt !== undefined && { ':updated': updatedAt }),
        },
      }),
    );
    return true;
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
    // Recorded before (its recorder, or the job's next writer, publishes it), or the job moved on.
    return false;
  }
}
