import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { contentHash } from './canonical';
import { processBatch, type ConsumedEvent } from './consumer';
import type { Kind } from './kinds';
import type { Log } from './logger';
import type { Counters } from './metrics';
import type { StoredEvent } from './records/event';
import { ENTITIES, type Entity } from './store/entities';
import { storeEvent } from './store/event-store';

export function toStoredEvent(event: ConsumedEvent): StoredEvent {
  return {
    hash: contentHash(event.payload),
    dedupeKey: event.envelope.dedupeKey,
    receivedAt: event.envelope.receivedAt,
    payload: event.payload,
  };
}

/**
 * The consumer of one queue: each record is stored in the kind's table; a record that fails
 * (DynamoDB unreachable, or a payload that can never be stored) is reported back to SQS alone.
 */
export function consumer(
  kind: Kind,
  deps: { db: DynamoDBDocumentClient; table: string; log: Log; counters: Counters },
) {
  const entity = ENTITIES[kind];
  return async (event: SQSEvent): Promise<SQSBatchResponse> => {
    const response = await processBatch(
      kind,
      event,
      async (consumed) => {
        const result = await storeEvent(
          deps.db,
          deps.table,
          entity as Entity<unknown>,
          toStoredEvent(consumed),
        );
        deps.log.info('event stored', {
          messageId: consumed.messageId,
          kind,
          dedupeKey: consumed.envelope.dedupeKey,
          duplicate: result.duplicate,
          changed: result.changed,
          conflicts: result.conflicts,
          writeUnits: result.writeUnits,
        });
      },
      deps.log,
      (consumed) => entity.partition(consumed.payload),
    );
    const failed = response.batchItemFailures.length;
    if (failed > 0) deps.counters.count('failed', { kind }, failed);
    if (event.Records.length > failed)
      deps.counters.count('processed', { kind }, event.Records.length - failed);
    return response;
  };
}
