import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { Counters } from '../ports/counters';
import {
  WriteConflictError,
  type EventStore,
  type StoreOutcome,
  type Unsent,
} from '../ports/event-store';
import type { Log } from '../ports/log';
import { ABANDONED_AFTER_MS, type Notifier } from '../ports/notifier';
import { ENTITIES } from '../records/entities';
import type { StoredEvent } from '../records/stored-event';
import { contentHash } from '../webhook/content-hash';
import { PoisonMessageError } from '../webhook/envelope';
import type { Kind } from '../webhook/kinds';
import { decodeRecord, type ConsumedEvent } from './decode-record';

type Item = { record: SQSRecord; consumed: ConsumedEvent };

export interface ConsumerDeps {
  store: EventStore;
  notifier: Notifier;
  log: Log;
  counters: Counters;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

const WAIT_STEP_MS = 250;

const toStoredEvent = ({ envelope, payload }: ConsumedEvent): StoredEvent => ({
  hash: contentHash(payload),
  receivedAt: envelope.receivedAt,
  payload,
  ...(envelope.source !== undefined && { source: envelope.source }),
});

/**
 * The consumer of one kind's queue: stores each record's event and reports the records that
 * failed, so that SQS retries only those (and dead-letters them after the redrive count) while
 * the rest are deleted. The records of one entity (one job, say) are stored together, in batch
 * order, with one record write; different entities at once. Should that fail (other than by
 * lost races), each of the entity's records is tried on its own, so that one bad record fails
 * alone. Nothing is swallowed: a record is reported done only once it is stored and the
 * notifications its entity's record holds unsent are published (see publishUnsent).
 */
export function batchConsumer(
  kind: Kind,
  deps: ConsumerDeps,
): (event: SQSEvent) => Promise<SQSBatchResponse> {
  const entity = ENTITIES[kind];
  const { store, notifier, log, counters } = deps;
  const now = deps.now ?? Date.now;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));

  const fail = (failed: Set<string>, record: SQSRecord, error: unknown): void => {
    log.error('record failed', {
      messageId: record.messageId,
      kind,
      receiveCount: record.attributes?.ApproximateReceiveCount,
      error: error instanceof Error ? error.name : typeof error,
      reason: error instanceof PoisonMessageError ? error.message : undefined,
    });
    failed.add(record.messageId);
  };

  return async (event) => {
    const failed = new Set<string>();
    const byEntity = new Map<string, Item[]>();
    for (const record of event.Records) {
      try {
        const consumed = decodeRecord(kind, record);
        const key = entity.key(consumed.payload);
        byEntity.set(key, [...(byEntity.get(key) ?? []), { record, consumed }]);
      } catch (error) {
        fail(failed, record, error);
      }
    }
    const stored = (
      consumed: ConsumedEvent,
      { unsent, recorded, ...outcome }: StoreOutcome,
    ): void =>
      log.info('event stored', {
        messageId: consumed.messageId,
        kind,
        eventKey: consumed.envelope.eventKey,
        ...outcome,
        unsent: unsent.length,
        recorded: recorded.length,
      });
    /**
     * Publishes the notifications of one entity, then marks them sent: those this consumer's
     * write recorded at once; those another writer recorded only once that writer has had
     * ABANDONED_AFTER_MS to publish them itself (it normally does within milliseconds, and marks
     * them sent; if it died, they are still there, and are published here). Should publishing or
     * marking fail, the entity's records fail too: SQS delivers them again and the store reports
     * the same notifications unsent (at least once; receivers deduplicate on the id).
     */
    const publishUnsent = async (key: string, items: Item[], outcomes: StoreOutcome[]) => {
      const unsent = new Map<string, Unsent>();
      const recorded = new Set<string>();
      for (const o of outcomes) {
        for (const u of o.unsent) unsent.set(u.notification.id, u);
        for (const id of o.recorded) recorded.add(id);
      }
      if (unsent.size === 0) return;
      try {
        let theirs = [...unsent.values()].filter((u) => !recorded.has(u.notification.id));
        while (theirs.some((u) => now() - u.recordedAt < ABANDONED_AFTER_MS)) {
          await sleep(WAIT_STEP_MS);
          const still = new Set((await store.unsent(kind, key)).map((u) => u.notification.id));
          theirs = theirs.filter((u) => still.has(u.notification.id));
        }
        const publish = [
          ...[...unsent.values()].filter((u) => recorded.has(u.notification.id)),
          ...theirs,
        ].map((u) => u.notification);
        if (publish.length === 0) return;
        await notifier.publish(publish);
        for (const n of publish) {
          log.info('notification sent', {
            kind,
            notificationId: n.id,
            detailType: n['detail-type'],
            entity: key,
          });
          counters.count('notified', { kind, detailType: n['detail-type'] });
        }
        await store.markSent(
          kind,
          key,
          publish.map((n) => n.id),
        );
      } catch (error) {
        log.error('notifications not sent', {
          kind,
          entity: key,
          count: unsent.size,
          error: error instanceof Error ? error.message : String(error),
        });
        for (const { record } of items) failed.add(record.messageId);
      }
    };
    await Promise.all(
      [...byEntity.entries()].map(async ([key, items]) => {
        try {
          const outcomes = await store.storeAll(
            kind,
            items.map(({ consumed }) => toStoredEvent(consumed)),
          );
          for (const [i, { consumed }] of items.entries())
            stored(consumed, outcomes[i] as StoreOutcome);
          await publishUnsent(key, items, outcomes);
          return;
        } catch (error) {
          // Lost races past the store's budget fail alike one by one: let SQS bring them back.
          if (items.length === 1 || error instanceof WriteConflictError) {
            for (const { record } of items) fail(failed, record, error);
            return;
          }
        }
        const outcomes: StoreOutcome[] = [];
        const storedItems: Item[] = [];
        for (const item of items) {
          try {
            const outcome = await store.store(kind, toStoredEvent(item.consumed));
            stored(item.consumed, outcome);
            outcomes.push(outcome);
            storedItems.push(item);
          } catch (error) {
            fail(failed, item.record, error);
          }
        }
        await publishUnsent(key, storedItems, outcomes);
      }),
    );
    if (failed.size > 0) counters.count('failed', { kind }, failed.size);
    if (event.Records.length > failed.size)
      counters.count('processed', { kind }, event.Records.length - failed.size);
    // Reported in the batch's order, which is the order SQS gave.
    const batchItemFailures = event.Records.filter((r) => failed.has(r.messageId)).map((r) => ({
      itemIdentifier: r.messageId,
    }));
    return { batchItemFailures };
  };
}
