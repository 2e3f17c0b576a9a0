import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { Counters } from '../ports/counters';
import { WriteConflictError, type EventStore, type StoreOutcome } from '../ports/event-store';
import type { Log } from '../ports/log';
import { ENTITIES } from '../records/entities';
import type { StoredEvent } from '../records/stored-event';
import { contentHash } from '../webhook/content-hash';
import { PoisonMessageError } from '../webhook/envelope';
import type { Kind } from '../webhook/kinds';
import { decodeRecord, type ConsumedEvent } from './decode-record';

type Item = { record: SQSRecord; consumed: ConsumedEvent };

export interface ConsumerDeps {
  store: EventStore;
  log: Log;
  counters: Counters;
}

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
 * alone. Nothing is
 * swallowed: a record is reported done only once it is stored.
 */
export function batchConsumer(
  kind: Kind,
  deps: ConsumerDeps,
): (event: SQSEvent) => Promise<SQSBatchResponse> {
  const entity = ENTITIES[kind];
  const { store, log, counters } = deps;

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
    const stored = (consumed: ConsumedEvent, outcome: StoreOutcome): void =>
      log.info('event stored', {
        messageId: consumed.messageId,
        kind,
        eventKey: consumed.envelope.eventKey,
        ...outcome,
      });
    await Promise.all(
      [...byEntity.values()].map(async (items) => {
        try {
          const outcomes = await store.storeAll(
            kind,
            items.map(({ consumed }) => toStoredEvent(consumed)),
          );
          for (const [i, { consumed }] of items.entries())
            stored(consumed, outcomes[i] as StoreOutcome);
          return;
        } catch (error) {
          // Lost races past the store's budget fail alike one by one: let SQS bring them back.
          if (items.length === 1 || error instanceof WriteConflictError) {
            for (const { record } of items) fail(failed, record, error);
            return;
          }
        }
        for (const { record, consumed } of items) {
          try {
            stored(consumed, await store.store(kind, toStoredEvent(consumed)));
          } catch (error) {
            fail(failed, record, error);
          }
        }
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
