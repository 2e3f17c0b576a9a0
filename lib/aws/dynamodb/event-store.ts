import { gzipSync } from 'node:zlib';
import { ConditionalCheckFailedException, type ConsumedCapacity } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
  type PutCommandInput,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { itemBytes, writeUnitsOf } from './item-size';
import {
  OUTBOX_MAX_BYTES,
  OutboxFullError,
  outboxBytes,
  outboxEntry,
  WriteConflictError,
  type StoreOutcome,
  type Unsent,
} from '../../ports/event-store';
import { recordChanges, type Notification } from '../../records/changes';
import { boundRecord, type Entity } from '../../records/entities';
import type { PollState } from '../../records/poll';
import type { StoredEvent } from '../../records/stored-event';
import {
  CURRENT,
  currentAttributes,
  EVENT_PREFIX,
  foldOf,
  historyAttributes,
  holds,
  outboxAttribute,
  outboxOf,
  PART_BYTES,
  partKey,
  recordOf,
  type Item,
} from './table-layout';

/** Full-jitter backoff between tries of a write that lost a race: doubling from 32 ms, at most 1 s. */
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
    const found = error.Item === undefined ? undefined : unmarshall(error.Item);
    // DynamoDB charges a failed conditional write (by the larger of the two items) but reports
    // no capacity for it: counted from the sizes.
    outcome.writeUnits += writeUnitsOf(
      Math.max(itemBytes(input.Item ?? {}), found === undefined ? 0 : itemBytes(found)),
    );
    return found === undefined ? { written: false } : { written: false, found };
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
  /**
   * Days after its last event that the record of a finished job (completed or failed) or an
   * unlinked connection is kept: its CURRENT item gets `expires_at`. 0 or unset: kept for ever.
   */
  recordRetentionDays?: number;
}

/** Whether a record is finished: a job completed or failed, a connection unlinked. */
const finished = (kind: string, record: Record<string, unknown>): boolean =>
  kind === 'jobs'
    ? record.status_class === 'completed' || record.status_class === 'failed'
    : kind === 'connections' && record.linked === false;

/** A finished record's `expires_at`: `days` after its last event (none when kept for ever). */
function recordExpiry(
  kind: string,
  record: Record<string, unknown>,
  days: number | undefined,
): Item {
  if (!days || !finished(kind, record)) return {};
  return expiresAt(String(record.updated_at ?? ''), days);
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

/** What one attempt decided for each of the events: fold it in, write its history item. */
interface Plan {
  /** Held already (this content, or a larger one with its id), or folded pending its history. */
  duplicate: boolean[];
  folded: boolean[];
  toWrite: boolean[];
  /** The record and fold state with the events folded in (undefined: nothing to fold). */
  state: { record: unknown; fold: unknown } | undefined;
  /** History ids this fold adds to the record (new to it). */
  added: string[];
}

/**
 * Decides, for events of one entity in batch order, which fold into the record as `current`
 * holds it and which only need their history item: a pure function of what was read.
 * `held` maps each history id already written to its hash (null when the item keeps none).
 */
function planFold(
  entity: Entity<unknown>,
  events: readonly StoredEvent[],
  ids: readonly string[],
  current: Item | undefined,
  heldHashes: ReadonlyMap<string, string | null>,
): Plan {
  const held = new Map(heldHashes);
  const pending = (current?.pending as string[] | undefined) ?? [];
  let state = current && { record: recordOf(entity.kind, current), fold: foldOf(current) };
  const plan: Plan = { duplicate: [], folded: [], toWrite: [], state: undefined, added: [] };
  for (const [i, event] of events.entries()) {
    const id = ids[i] as string;
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
    // An event folded without its history item gets it now.
    plan.toWrite.push((fold && !largerHeld) || inPending);
    if (!fold) continue;
    const isNew = !held.has(id);
    state = entity.fold(state, event, isNew);
    // Later events with this id see it held, by the larger hash.
    if (!largerHeld) held.set(id, event.hash);
    if (isNew) plan.added.push(id);
  }
  plan.state = plan.folded.includes(true) ? state : undefined;
  return plan;
}

/**
 * How many times a write that lost the race on the CURRENT item's version tries again. With one
 * consumer per entity (each entity is one FIFO message group), the only other writers are a
 * reconcile run adding a Job Stale notice and, while a 0.2.0 stage drains its old queues, that
 * queue's consumer: a lost race is rare, and a few tries settle it.
 */
export const CONFLICT_ATTEMPTS = 5;

/**
 * Retries `attempt` while it reports a lost race (`undefined`), with full-jitter backoff from
 * 8 ms, at most CONFLICT_ATTEMPTS times and never past `until` (epoch ms): then the write is
 * left to SQS (WriteConflictError), with time in hand for the caller to report it.
 */
async function retryConflicts<T>(
  pk: string,
  until: number,
  attempt: (n: number) => Promise<T | undefined>,
): Promise<T> {
  for (let n = 0; ; n += 1) {
    const done = await attempt(n);
    if (done !== undefined) return done;
    const pause = backoffMs(n);
    if (n + 1 >= CONFLICT_ATTEMPTS || Date.now() + pause >= until) throw new WriteConflictError(pk);
    await sleep(pause);
  }
}

/** How long storing may go on retrying when the caller gives no deadline. */
const DEFAULT_BUDGET_MS = 10_000;

/**
 * Stores events of one entity, reading only the entity's CURRENT item and the events' own
 * history items, however long the history: the events are folded into the record (see
 * Entity.fold) and the CURRENT item is written once for them all, only if nobody changed it
 * meanwhile (a version check); then each event's history item is written. No transaction is used;
 * every write is conditional. Storing a batch is storing its events one by one, with one record
 * write instead of one per event.
 *
 * Counting each event once without a transaction: the CURRENT item lists in `pending` the ids of
 * events folded in whose history item may not be written yet. An event whose history item
 * exists was folded before; one listed in `pending` was folded and only needs its history item
 * (a consumer died between the two writes, and SQS delivered the message again). Each fold drops
 * from `pending` the ids whose history items have been written since, so the list stays as short
 * as the number of writes in flight.
 *
 * One writer per entity (FIFO message groups) makes a lost race rare: it is retried from the item
 * that won it (see retryConflicts), until `until` (epoch ms). Outcomes are per event; the units and
 * conflicts of shared writes are counted on the first.
 */
export async function storeEvents(
  db: DynamoDBDocumentClient,
  table: string,
  entity: Entity<unknown>,
  events: readonly StoredEvent[],
  options: StoreOptions = {},
  until: number = Date.now() + DEFAULT_BUDGET_MS,
): Promise<StoreOutcome[]> {
  const outcomes = events.map(emptyOutcome);
  const first = events[0];
  const counted = outcomes[0];
  if (first === undefined || counted === undefined) return outcomes;
  const pk = entity.key(first.payload);
  if (events.some((e) => entity.key(e.payload) !== pk))
    throw new Error('storeEvents takes the events of one entity');
  const ids = events.map((e) => entity.historyId(e));
  const written = new Set<string>();
  // A lost race hands back the CURRENT item that won it: the retry starts from that.
  let known: { current: Item | undefined } | undefined;
  let duplicateAtFirst: boolean[] = [];
  const settled = await retryConflicts(pk, until, async (attempt) => {
    const [current, held] = await Promise.all([
      known === undefined ? get(db, table, { pk, sk: CURRENT }, counted) : known.current,
      heldHashes(db, table, pk, [...new Set(ids)], counted),
    ]);
    const plan = planFold(entity, events, ids, current, held);
    if (attempt === 0) duplicateAtFirst = plan.duplicate;
    const write = await writeCurrent(
      db,
      table,
      entity,
      {
        pk,
        current,
        plan,
        written,
        storedAt: first.receivedAt,
        ...(options.recordRetentionDays !== undefined && {
          recordRetentionDays: options.recordRetentionDays,
        }),
      },
      counted,
    );
    if (write.lost) {
      counted.conflicts += 1;
      known = write.found === undefined ? undefined : { current: write.found };
      return undefined;
    }
    return { plan, ...write };
  });
  for (const [i, outcome] of outcomes.entries()) {
    outcome.unsent = settled.unsent;
    outcome.recorded = settled.recorded;
    outcome.duplicate = duplicateAtFirst[i] ?? false;
    outcome.changed = (settled.plan.folded[i] ?? false) && settled.wrote;
  }
  await writeHistory(db, table, entity, pk, events, ids, settled.plan, outcomes, options);
  return outcomes;
}

/** What writing the CURRENT item did: written (or already so), or lost to another writer. */
type CurrentWrite =
  | { lost: false; wrote: boolean; unsent: Unsent[]; recorded: string[] }
  | { lost: true; found?: Item };

/**
 * Writes the CURRENT item with the plan's events folded in and the changes they make added to the
 * outbox, if its version is still the one read. Nothing to fold, or an item that already holds
 * exactly this, is no write.
 */
async function writeCurrent(
  db: DynamoDBDocumentClient,
  table: string,
  entity: Entity<unknown>,
  read: {
    pk: string;
    current: Item | undefined;
    plan: Plan;
    written: Set<string>;
    /** When the batch's first event was received: the notifications' time. */
    storedAt: string;
    recordRetentionDays?: number;
  },
  counted: StoreOutcome,
): Promise<CurrentWrite> {
  const { pk, current, plan } = read;
  const unsent = outboxOf(current);
  if (plan.state === undefined) return { lost: false, wrote: false, unsent, recorded: [] };
  const before = current === undefined ? undefined : recordOf(entity.kind, current);
  const record = boundRecord(plan.state.record) as Record<string, unknown>;
  const pending = (current?.pending as string[] | undefined) ?? [];
  const stillPending = await unwritten(db, table, pk, pending, counted, read.written);
  const nextPending = [...stillPending, ...plan.added];
  // The changes this write makes join the outbox in the same write: published after it, and
  // removed only once published (markSent), so a crash in between loses none.
  const changes = recordChanges(entity.kind, pk, before, record, read.storedAt).filter(
    (n) => !unsent.some((u) => u.notification.id === n.id),
  );
  const recordedAt = Date.now();
  const outbox = [...unsent, ...changes.map((notification) => ({ notification, recordedAt }))];
  // A full outbox takes no more: the item would grow past what DynamoDB writes, and never drain.
  if (changes.length > 0 && outboxBytes(outbox) > OUTBOX_MAX_BYTES)
    throw new OutboxFullError(pk, unsent);
  const attributes = {
    ...currentAttributes(entity.kind, pk, record, plan.state.fold),
    ...(nextPending.length > 0 && { pending: nextPending }),
    ...outboxAttribute(outbox),
    ...(current?.stale_notified !== undefined && { stale_notified: current.stale_notified }),
    ...recordExpiry(entity.kind, record, read.recordRetentionDays),
  };
  if (current !== undefined && holds(current, attributes))
    return { lost: false, wrote: false, unsent, recorded: [] };
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
    counted,
  );
  if (!put.written) return { lost: true, ...(put.found !== undefined && { found: put.found }) };
  return { lost: false, wrote: true, unsent: outbox, recorded: changes.map((n) => n.id) };
}

/** Writes each history id's item once, from its largest-hash event among those to write. */
async function writeHistory(
  db: DynamoDBDocumentClient,
  table: string,
  entity: Entity<unknown>,
  pk: string,
  events: readonly StoredEvent[],
  ids: readonly string[],
  plan: Plan,
  outcomes: StoreOutcome[],
  options: StoreOptions,
): Promise<void> {
  const best = new Map<string, number>();
  for (const [i, write] of plan.toWrite.entries()) {
    const id = ids[i] as string;
    const other = best.get(id);
    const hash = (events[i] as StoredEvent).hash;
    if (write && (other === undefined || (events[other] as StoredEvent).hash < hash))
      best.set(id, i);
  }
  await Promise.all(
    [...best.values()].map((i) =>
      putHistory(
        db,
        table,
        entity,
        pk,
        events[i] as StoredEvent,
        outcomes[i] as StoreOutcome,
        options,
      ),
    ),
  );
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
  until: number = Date.now() + DEFAULT_BUDGET_MS,
): Promise<{ readUnits: number; writeUnits: number; conflicts: number }> {
  const spent = emptyOutcome();
  const done = () => ({
    readUnits: spent.readUnits,
    writeUnits: spent.writeUnits,
    conflicts: spent.conflicts,
  });
  return retryConflicts(pk, until, async () => {
    const current = await get(db, table, { pk, sk: CURRENT }, spent);
    const outbox = outboxOf(current);
    const rest = outbox.filter((u) => !ids.includes(u.notification.id));
    if (current === undefined || rest.length === outbox.length) return done();
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
      return done();
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      // Charged by the item's size, though not reported (see conditionalPut).
      spent.writeUnits += writeUnitsOf(itemBytes(current));
      spent.conflicts += 1;
      return undefined;
    }
  });
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
 * The condition and values of an update that holds only for a running job whose latest event is
 * still at `updatedAt` (one episode of it), and that moves its version.
 */
function sameEpisode(updatedAt: string | undefined): {
  conditions: string[];
  values: Record<string, unknown>;
} {
  return {
    conditions: [
      'attribute_exists(pk)',
      'status_class = :running',
      updatedAt === undefined ? 'attribute_not_exists(updated_at)' : 'updated_at = :updated',
    ],
    values: {
      ':one': 1,
      ':running': 'running',
      ...(updatedAt !== undefined && { ':updated': updatedAt }),
    },
  };
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
  const episode = sameEpisode(updatedAt);
  try {
    await db.send(
      new UpdateCommand({
        TableName: table,
        Key: { pk, sk: CURRENT },
        UpdateExpression:
          'SET outbox = list_append(if_not_exists(outbox, :none), :notice), stale_notified = :id, #version = #version + :one',
        ConditionExpression: [
          ...episode.conditions,
          '(attribute_not_exists(stale_notified) OR stale_notified <> :id)',
        ].join(' AND '),
        ExpressionAttributeNames: { '#version': 'version' },
        ExpressionAttributeValues: {
          ...episode.values,
          ':none': [],
          ':notice': [outboxEntry({ notification: notice, recordedAt: Date.now() })],
          ':id': notice.id,
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

/**
 * Sets (or, with `state` undefined, removes) a running job's reconcile state (`poll`), only while
 * its latest event is still at `updatedAt`: a job that moved on has a new episode and no state.
 * True when written.
 */
export async function recordPoll(
  db: DynamoDBDocumentClient,
  table: string,
  pk: string,
  updatedAt: string | undefined,
  state: PollState | undefined,
): Promise<boolean> {
  const episode = sameEpisode(updatedAt);
  try {
    await db.send(
      new UpdateCommand({
        TableName: table,
        Key: { pk, sk: CURRENT },
        // A lost job leaves the watch index: reconcile looks for stale jobs there.
        UpdateExpression:
          state === undefined
            ? 'REMOVE poll SET #version = #version + :one'
            : state.lost_at === undefined
              ? 'SET poll = :state, #version = #version + :one'
              : 'SET poll = :state, #version = #version + :one REMOVE watch_shard, watch_key',
        ConditionExpression: episode.conditions.join(' AND '),
        ExpressionAttributeNames: { '#version': 'version' },
        ExpressionAttributeValues: {
          ...episode.values,
          ...(state !== undefined && { ':state': state }),
        },
      }),
    );
    return true;
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
    return false;
  }
}
