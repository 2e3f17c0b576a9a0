import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { isJsonObject } from './classify';
import { parseEnvelope, type Envelope } from './envelope';
import { PoisonMessageError } from './errors';
import type { Kind } from './kinds';
import type { Log } from './logger';
import { validationProblem } from './schemas';

export interface ConsumedEvent {
  envelope: Envelope;
  payload: Record<string, unknown>;
  messageId: string;
  receiveCount: number;
}

/**
 * Decodes one SQS record of the `kind` queue back to the payload hotglue sent. Throws a
 * PoisonMessageError for a record that can never succeed; SQS redrives it to the DLQ.
 */
export function decodeRecord(kind: Kind, record: SQSRecord): ConsumedEvent {
  const { envelope, body } = parseEnvelope(record.body);
  if (envelope.kind !== kind) {
    throw new PoisonMessageError(`a ${envelope.kind} event on the ${kind} queue`);
  }
  let payload: unknown;
  try {
    payload = JSON.parse(body.toString('utf8'));
  } catch (cause) {
    throw new PoisonMessageError('event body is not JSON', { cause });
  }
  if (!isJsonObject(payload)) throw new PoisonMessageError('event body is not a JSON object');
  const problem = validationProblem(kind, payload);
  if (problem !== undefined) throw new PoisonMessageError(problem);
  return {
    envelope,
    payload,
    messageId: record.messageId,
    receiveCount: Number(record.attributes?.ApproximateReceiveCount ?? '1'),
  };
}

export type EventHandler = (event: ConsumedEvent) => Promise<void>;

/**
 * Runs `handle` on each record and reports the ones that failed, so that SQS retries only those
 * (and dead-letters them after the redrive count) while the rest are deleted. Records of one
 * entity (`groupOf`, e.g. one job) are handled in order; different entities at once. Nothing is
 * swallowed: a record is reported done only when `handle` resolved.
 */
export async function processBatch(
  kind: Kind,
  event: SQSEvent,
  handle: EventHandler,
  log: Log,
  groupOf: (event: ConsumedEvent) => string = () => '',
): Promise<SQSBatchResponse> {
  const failed = new Set<string>();
  const fail = (record: SQSRecord, error: unknown) => {
    log.error('record failed', {
      messageId: record.messageId,
      kind,
      receiveCount: record.attributes?.ApproximateReceiveCount,
      error: error instanceof Error ? error.name : typeof error,
      reason: error instanceof PoisonMessageError ? error.message : undefined,
    });
    failed.add(record.messageId);
  };
  const groups = new Map<string, { record: SQSRecord; event: ConsumedEvent }[]>();
  for (const record of event.Records) {
    try {
      const consumed = decodeRecord(kind, record);
      const key = groupOf(consumed);
      groups.set(key, [...(groups.get(key) ?? []), { record, event: consumed }]);
    } catch (error) {
      fail(record, error);
    }
  }
  await Promise.all(
    [...groups.values()].map(async (items) => {
      for (const { record, event: consumed } of items) {
        try {
          await handle(consumed);
        } catch (error) {
          fail(record, error);
        }
      }
    }),
  );
  // Reported in the batch's order, which is the order SQS gave.
  const batchItemFailures = event.Records.filter((r) => failed.has(r.messageId)).map((r) => ({
    itemIdentifier: r.messageId,
  }));
  return { batchItemFailures };
}
