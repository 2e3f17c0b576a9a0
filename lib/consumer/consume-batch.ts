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
import { deadlineOf, type InvocationContext } from './budget';
import { decodeRecord, type ConsumedEvent } from './decode-record';

/** One SQS record with the event it holds. */
type Delivery = { record: SQSRecord; consumed: ConsumedEvent };

export interface ConsumerDeps {
  store: EventStore;
  notifier: Notifier;
  log: Log;
  counters: Counters;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

const WAIT_STEP_MS = 250;

/** A record not tried because an earlier record of its FIFO message group failed in this batch. */
class EarlierInGroupFailedError extends Error {
  constructor() {
    super('an earlier message of its group failed');
    this.name = 'EarlierInGroupFailedError';
  }
}

const toStoredEvent = ({ envelope, payload }: ConsumedEvent): StoredEvent => ({
  hash: contentHash(payload),
  receivedAt: envelope.receivedAt,
  payload,
  ...(envelope.source !== undefined && { source: envelope.source }),
});

const groupOf = (record: SQSRecord): string | undefined => record.attributes?.MessageGroupId;

/**
 * The consumer of one kind's queue: stores each record's event and reports the records that
 * failed, so that SQS retries only those (and dead-letters them after the redrive count) while
 * the rest are deleted.
 *
 * The queue is FIFO with one message group per entity (one job, say), so this consumer is the
 * entity's only writer: its records of a batch are stored together, in batch order, with one
 * record write, and different entities at once. Should that fail, the entity's records are tried
 * one by one, in order, up to the first that fails. As Lambda asks of a FIFO consumer, a record
 * that failed fails every later record of its group in the batch (they come back, in order,
 * after it); other groups go on. (A record without a group, from 0.2.0's standard queue while it
 * drains, fails alone.)
 *
 * Nothing is swallowed: a record is reported done only once it is stored and the notifications
 * its entity's record holds unsent are published (see publishUnsent). Every retry and wait ends
 * before the invocation's deadline (see deadlineOf), so that failures are reported, not timed out.
 */
export function batchConsumer(
  kind: Kind,
  deps: ConsumerDeps,
): (event: SQSEvent, context?: InvocationContext) => Promise<SQSBatchResponse> {
  const entity = ENTITIES[kind];
  const { store, notifier, log, counters } = deps;
  const now = deps.now ?? Date.now;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));

  return async (event, context) => {
    const until = deadlineOf(context, now());
    const failed = new Set<string>();
    const failedGroups = new Set<string>();
    const fail = (record: SQSRecord, error: unknown): void => {
      log.error('record failed', {
        messageId: record.messageId,
        kind,
        receiveCount: record.attributes?.ApproximateReceiveCount,
        error: error instanceof Error ? error.name : typeof error,
        reason:
          error instanceof PoisonMessageError || error instanceof EarlierInGroupFailedError
            ? error.message
            : undefined,
      });
      failed.add(record.messageId);
      const group = groupOf(record);
      if (group !== undefined) failedGroups.add(group);
    };

    // Decoded in batch order; a group stops at its first failure.
    const byEntity = new Map<string, Delivery[]>();
    for (const record of event.Records) {
      const group = groupOf(record);
      if (group !== undefined && failedGroups.has(group)) {
        fail(record, new EarlierInGroupFailedError());
        continue;
      }
      try {
        const consumed = decodeRecord(kind, record);
        const key = entity.key(consumed.payload);
        byEntity.set(key, [...(byEntity.get(key) ?? []), { record, consumed }]);
      } catch (error) {
        fail(record, error);
      }
    }

    const stored = (consumed: ConsumedEvent, { unsent, recorded, ...outcome }: StoreOutcome) =>
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
     * write recorded at once; those another writer recorded (a reconcile run's Job Stale, or a
     * consumer that died) only once that writer has had ABANDONED_AFTER_MS to publish them itself,
     * and never past the deadline. Should publishing or marking fail, or the deadline come first,
     * the entity's records fail too: SQS delivers them again and the store reports the same
     * notifications unsent (at least once; receivers deduplicate on the id).
     */
    const publishUnsent = async (key: string, deliveries: Delivery[], outcomes: StoreOutcome[]) => {
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
          if (now() + WAIT_STEP_MS >= until)
            throw new Error('deadline reached waiting for another writer’s notifications');
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
          until,
        );
      } catch (error) {
        log.error('notifications not sent', {
          kind,
          entity: key,
          count: unsent.size,
          error: error instanceof Error ? error.message : String(error),
        });
        for (const { record } of deliveries) fail(record, error);
      }
    };

    /** Stores one entity's records: together, else one by one in order up to the first failure. */
    const storeEntity = async (key: string, deliveries: Delivery[]): Promise<void> => {
      try {
        const outcomes = await store.storeAll(
          kind,
          deliveries.map(({ consumed }) => toStoredEvent(consumed)),
          until,
        );
        for (const [i, { consumed }] of deliveries.entries())
          stored(consumed, outcomes[i] as StoreOutcome);
        await publishUnsent(key, deliveries, outcomes);
        return;
      } catch (error) {
        // Lost races past the budget fail alike one by one: let SQS bring them back.
        if (deliveries.length === 1 || error instanceof WriteConflictError) {
          for (const { record } of deliveries) fail(record, error);
          return;
        }
      }
      const outcomes: StoreOutcome[] = [];
      const done: Delivery[] = [];
      for (const delivery of deliveries) {
        const group = groupOf(delivery.record);
        if (group !== undefined && failedGroups.has(group)) {
          fail(delivery.record, new EarlierInGroupFailedError());
          continue;
        }
        try {
          const outcome = await store.store(kind, toStoredEvent(delivery.consumed), until);
          stored(delivery.consumed, outcome);
          outcomes.push(outcome);
          done.push(delivery);
        } catch (error) {
          fail(delivery.record, error);
        }
      }
      await publishUnsent(key, done, outcomes);
    };

    await Promise.all([...byEntity.entries()].map(([key, list]) => storeEntity(key, list)));
    // A group's records after one that failed fail too, even where they were stored (storing
    // again is safe): SQS then gives them back in order.
    for (const record of event.Records) {
      const group = groupOf(record);
      if (group !== undefined && failedGroups.has(group) && !failed.has(record.messageId)) {
        const earlier = event.Records.slice(0, event.Records.indexOf(record));
        if (earlier.some((r) => groupOf(r) === group && failed.has(r.messageId)))
          fail(record, new EarlierInGroupFailedError());
      }
    }
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
