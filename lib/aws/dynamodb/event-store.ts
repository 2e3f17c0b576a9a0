import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  OUTBOX_MAX_BYTES,
  OutboxFullError,
  outboxBytes,
  type StoreOutcome,
  type Unsent,
} from '../../ports/event-store';
import { recordChanges } from '../../records/changes';
import { boundRecord, type Entity } from '../../records/entities';
import type { StoredEvent } from '../../records/stored-event';
import type { Kind } from '../../webhook/kinds';
import { DEFAULT_BUDGET_MS, retryConflicts } from './conflict-retry';
import { conditionalPut, getItem, type Meter } from './dynamodb-io';
import { expirySeconds, heldHashes, putHistory, unwritten } from './history-items';
import { folds, isDuplicate, planStore, writesHistory, type StorePlan } from './store-plan';
import {
  CURRENT,
  fromCurrentItem,
  sameButVersion,
  toCurrentItem,
  type CurrentItem,
  type Item,
} from './table-layout';

export interface StoreOptions {
  /**
   * Days a history item is kept: it gets `expires_at` (epoch seconds), when DynamoDB's time to
   * live may delete it. 0 or unset: kept for ever. Storing never reads the history, so an expired
   * history changes no record.
   */
  historyRetentionDays?: number;
  /**
   * Days after its last event that the record of a finished job (completed or failed) or an
   * unlinked connection is kept: its CURRENT item gets `expires_at`. 0 or unset: kept for ever.
   */
  recordRetentionDays?: number;
}

/** The write check of a CURRENT item: none yet, or the version read. */
const NOT_WRITTEN_YET = 'attribute_not_exists(pk)';
const VERSION_UNCHANGED = '#version = :version';

/** Whether a record is finished: a job completed or failed, a connection unlinked. */
const finished = (kind: string, record: Record<string, unknown>): boolean =>
  kind === 'jobs'
    ? record.status_class === 'completed' || record.status_class === 'failed'
    : kind === 'connections' && record.linked === false;

/** When a finished record may expire: `days` after its last event (none when kept for ever). */
const recordExpiry = (kind: string, record: Record<string, unknown>, days: number | undefined) =>
  finished(kind, record) ? expirySeconds(String(record.updated_at ?? ''), days) : undefined;

/** What one try read: the CURRENT item as stored, and typed. */
interface Read {
  item: Item | undefined;
  current: CurrentItem | undefined;
}

const readOf = (kind: Kind, item: Item | undefined): Read => ({
  item,
  current: item && fromCurrentItem(kind, item),
});

/** What writing the CURRENT item did: written (or already so), or lost to another writer. */
type CurrentWrite =
  | { lost: false; wrote: boolean; unsent: Unsent[]; recorded: string[] }
  | { lost: true; found?: Item };

/** One try of storing a batch: its plan, and what writing the CURRENT item did. */
type Settled = { plan: StorePlan } & Extract<CurrentWrite, { lost: false }>;

interface Batch {
  db: DynamoDBDocumentClient;
  table: string;
  entity: Entity<unknown>;
  pk: string;
  events: readonly StoredEvent[];
  options: StoreOptions;
  /** Read and write units of the whole batch (counted on its first outcome). */
  meter: Meter & { conflicts: number };
  /** History ids seen written (a history item, once written, stays). */
  written: Set<string>;
}

/**
 * Stores events of one entity, reading only the entity's CURRENT item and the events' own
 * history items, however long the history: read → plan → write the record → write the history.
 * The events are folded into the record (Entity.fold) and the CURRENT item is written once for
 * them all, only if nobody changed it meanwhile (a version check); then each event's history item
 * is written. No transaction: every write is conditional.
 *
 * Counting each event once without a transaction: the CURRENT item lists in `pending` the ids of
 * events folded in whose history items may not be written yet. An event whose history item exists
 * was folded before; one listed in `pending` only needs its history item (a consumer died between
 * the two writes). Each write drops from `pending` the ids whose items have been written since.
 *
 * One writer per entity (FIFO message groups) makes a lost race rare: it is retried from the item
 * that won it, until `until` (epoch ms; see retryConflicts). Outcomes are per event; the batch's
 * read and write units and its conflicts are counted on the first.
 */
export async function storeEvents(
  db: DynamoDBDocumentClient,
  table: string,
  entity: Entity<unknown>,
  events: readonly StoredEvent[],
  options: StoreOptions = {},
  until: number = Date.now() + DEFAULT_BUDGET_MS,
): Promise<StoreOutcome[]> {
  const first = events[0];
  if (first === undefined) return [];
  const pk = entity.key(first.payload);
  if (events.some((e) => entity.key(e.payload) !== pk))
    throw new Error('storeEvents takes the events of one entity');
  const batch: Batch = {
    db,
    table,
    entity,
    pk,
    events,
    options,
    meter: { readUnits: 0, writeUnits: 0, conflicts: 0 },
    written: new Set(),
  };
  const ids = [...new Set(events.map((e) => entity.historyId(e)))];
  // A lost race hands back the CURRENT item that won it: the retry starts from that.
  let known: Read | undefined;
  let firstPlan: StorePlan | undefined;
  const settled = await retryConflicts(pk, until, async (): Promise<Settled | undefined> => {
    const [read, held] = await Promise.all([
      known ??
        getItem(db, table, { pk, sk: CURRENT }, batch.meter).then((i) => readOf(entity.kind, i)),
      heldHashes(db, table, pk, ids, batch.meter),
    ]);
    const plan = planStore(entity, events, read.current, held);
    firstPlan ??= plan;
    const write = await writeCurrent(batch, read, plan);
    if (!write.lost) return { plan, ...write };
    batch.meter.conflicts += 1;
    known = write.found && readOf(entity.kind, write.found);
    return undefined;
  });
  await writeHistory(batch, settled.plan);
  return outcomesOf(batch, firstPlan ?? settled.plan, settled);
}

/** One outcome per event; the shared writes' units and conflicts on the first. */
function outcomesOf(batch: Batch, firstPlan: StorePlan, settled: Settled): StoreOutcome[] {
  return batch.events.map((_, i) => ({
    duplicate: isDuplicate(firstPlan.candidates[i]?.verdict ?? 'held'),
    changed: folds(settled.plan.candidates[i]?.verdict ?? 'held') && settled.wrote,
    conflicts: i === 0 ? batch.meter.conflicts : 0,
    writeUnits: i === 0 ? batch.meter.writeUnits : 0,
    readUnits: i === 0 ? batch.meter.readUnits : 0,
    unsent: settled.unsent,
    recorded: settled.recorded,
  }));
}

/**
 * Writes the CURRENT item with the plan's events folded in and the changes they make added to the
 * outbox, if its version is still the one read. Nothing to fold, or an item that already holds
 * exactly this, is no write.
 */
async function writeCurrent(batch: Batch, read: Read, plan: StorePlan): Promise<CurrentWrite> {
  const { entity, pk, meter } = batch;
  const { current } = read;
  const unsent = current?.outbox ?? [];
  if (plan.folded === undefined) return { lost: false, wrote: false, unsent, recorded: [] };
  const record = boundRecord(plan.folded.record, entity.keep) as Record<string, unknown>;
  const pending = current?.pending ?? [];
  const stillPending = await unwritten(batch.db, batch.table, pk, pending, batch.written, meter);
  // The changes this write makes join the outbox in the same write: published after it, and
  // removed only once published (markSent), so a crash in between loses none.
  const storedAt = batch.events[0]?.receivedAt ?? '';
  const changes = recordChanges(entity.kind, pk, current?.record, record, storedAt).filter(
    (n) => !unsent.some((u) => u.notification.id === n.id),
  );
  const recordedAt = Date.now();
  const outbox = [...unsent, ...changes.map((notification) => ({ notification, recordedAt }))];
  // A full outbox takes no more: the item would grow past what DynamoDB writes, and never drain.
  if (changes.length > 0 && outboxBytes(outbox) > OUTBOX_MAX_BYTES)
    throw new OutboxFullError(pk, unsent);
  const version = current?.version ?? 0;
  const expiry = recordExpiry(entity.kind, record, batch.options.recordRetentionDays);
  const item = toCurrentItem(entity.kind, pk, {
    version: version + 1,
    record,
    fold: plan.folded.fold,
    outbox,
    pending: [...stillPending, ...plan.added],
    ...(current?.staleNotified !== undefined && { staleNotified: current.staleNotified }),
    ...(expiry !== undefined && { expiresAt: expiry }),
  });
  if (read.item !== undefined && sameButVersion(read.item, item))
    return { lost: false, wrote: false, unsent, recorded: [] };
  const put = await conditionalPut(
    batch.db,
    {
      TableName: batch.table,
      Item: item,
      ...(current === undefined
        ? { ConditionExpression: NOT_WRITTEN_YET }
        : {
            ConditionExpression: VERSION_UNCHANGED,
            ExpressionAttributeNames: { '#version': 'version' },
            ExpressionAttributeValues: { ':version': version },
          }),
    },
    meter,
  );
  if (!put.written) return { lost: true, ...(put.found !== undefined && { found: put.found }) };
  return { lost: false, wrote: true, unsent: outbox, recorded: changes.map((n) => n.id) };
}

/** Writes each history id's item once, from its largest-hash event among those to write. */
async function writeHistory(batch: Batch, plan: StorePlan): Promise<void> {
  const best = new Map<string, StoredEvent>();
  for (const { id, event, verdict } of plan.candidates) {
    const other = best.get(id);
    if (writesHistory(verdict) && (other === undefined || other.hash < event.hash))
      best.set(id, event);
  }
  const days = batch.options.historyRetentionDays;
  await Promise.all(
    [...best.values()].map((event) =>
      putHistory(batch.db, batch.table, batch.entity, event, days, batch.meter),
    ),
  );
}
