import type { DynamoDBDocumentClient, UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { outboxEntry, type Unsent } from '../../ports/event-store';
import type { Notification } from '../../records/changes';
import type { PollState } from '../../records/poll';
import { DEFAULT_BUDGET_MS, retryConflicts } from './conflict-retry';
import { conditionalUpdate, getItem, type Meter } from './dynamodb-io';
import { CURRENT, outboxAttribute, outboxOf } from './table-layout';

/**
 * Updates of a CURRENT item's bookkeeping besides storing events: marking notifications sent, a
 * job's Job Stale notice and its reconcile state. Each moves the version, so that a writer that
 * read the item before folds its events into this rather than writing over it.
 */

/** The item's version is still the one read. */
const VERSION_UNCHANGED = '#version = :version';

/**
 * Removes published notifications from an entity's outbox, if its version is still the one read;
 * a lost race is retried from a fresh read. Returns the capacity units it used.
 */
export async function markSent(
  db: DynamoDBDocumentClient,
  table: string,
  pk: string,
  ids: readonly string[],
  until: number = Date.now() + DEFAULT_BUDGET_MS,
): Promise<Meter & { conflicts: number }> {
  const spent = { readUnits: 0, writeUnits: 0, conflicts: 0 };
  return retryConflicts(pk, until, async () => {
    const item = await getItem(db, table, { pk, sk: CURRENT }, spent);
    const outbox = outboxOf(item);
    const rest = outbox.filter((u) => !ids.includes(u.notification.id));
    if (item === undefined || rest.length === outbox.length) return spent;
    const version = Number(item.version);
    const update: UpdateCommandInput = {
      TableName: table,
      Key: { pk, sk: CURRENT },
      UpdateExpression:
        rest.length === 0
          ? 'REMOVE outbox SET #version = :next'
          : 'SET outbox = :rest, #version = :next',
      ConditionExpression: VERSION_UNCHANGED,
      ExpressionAttributeNames: { '#version': 'version' },
      ExpressionAttributeValues: {
        ':version': version,
        ':next': version + 1,
        ...(rest.length > 0 && { ':rest': outboxAttribute(rest).outbox }),
      },
    };
    if (await conditionalUpdate(db, update, spent, item)) return spent;
    spent.conflicts += 1;
    return undefined;
  });
}

/** An entity's outbox, read now (strongly consistent). */
export async function readUnsent(
  db: DynamoDBDocumentClient,
  table: string,
  pk: string,
): Promise<Unsent[]> {
  const item = await getItem(db, table, { pk, sk: CURRENT }, { readUnits: 0, writeUnits: 0 });
  return outboxOf(item);
}

/**
 * An update of a running job's CURRENT item that holds only while the job's latest event is
 * still at `updatedAt` (one episode of it), and that moves its version.
 */
function inSameEpisode(
  table: string,
  pk: string,
  updatedAt: string | undefined,
  update: { set?: string; remove?: string; condition?: string; values?: Record<string, unknown> },
): UpdateCommandInput {
  const conditions = [
    'attribute_exists(pk)',
    'status_class = :running',
    updatedAt === undefined ? 'attribute_not_exists(updated_at)' : 'updated_at = :updated',
    ...(update.condition === undefined ? [] : [update.condition]),
  ];
  return {
    TableName: table,
    Key: { pk, sk: CURRENT },
    UpdateExpression: [
      `SET ${[update.set, '#version = #version + :one'].filter((s) => s !== undefined).join(', ')}`,
      ...(update.remove === undefined ? [] : [`REMOVE ${update.remove}`]),
    ].join(' '),
    ConditionExpression: conditions.join(' AND '),
    ExpressionAttributeNames: { '#version': 'version' },
    ExpressionAttributeValues: {
      ':one': 1,
      ':running': 'running',
      ...(updatedAt !== undefined && { ':updated': updatedAt }),
      ...update.values,
    },
  };
}

/**
 * Adds a `Job Stale` notice to a running job's outbox, once per episode (`stale_notified` holds
 * its id), if the job's latest event is still at `updatedAt`. True when this call added it;
 * false when it was recorded before (its recorder, or the job's next writer, publishes it) or the
 * job moved on.
 */
export const recordStale = (
  db: DynamoDBDocumentClient,
  table: string,
  pk: string,
  updatedAt: string | undefined,
  notice: Notification,
): Promise<boolean> =>
  conditionalUpdate(
    db,
    inSameEpisode(table, pk, updatedAt, {
      set: 'outbox = list_append(if_not_exists(outbox, :none), :notice), stale_notified = :id',
      condition: '(attribute_not_exists(stale_notified) OR stale_notified <> :id)',
      values: {
        ':none': [],
        ':notice': [outboxEntry({ notification: notice, recordedAt: Date.now() })],
        ':id': notice.id,
      },
    }),
  );

/**
 * Sets (or, with `state` undefined, removes) a running job's reconcile state (`poll`), only while
 * its latest event is still at `updatedAt`: a job that moved on has a new episode and no state.
 * A lost job leaves the watch index, where reconcile looks for stale jobs. True when written.
 */
export const recordPoll = (
  db: DynamoDBDocumentClient,
  table: string,
  pk: string,
  updatedAt: string | undefined,
  state: PollState | undefined,
): Promise<boolean> =>
  conditionalUpdate(
    db,
    inSameEpisode(
      table,
      pk,
      updatedAt,
      state === undefined
        ? { remove: 'poll' }
        : {
            set: 'poll = :state',
            ...(state.lost_at !== undefined && { remove: 'watch_shard, watch_key' }),
            values: { ':state': state },
          },
    ),
  );
