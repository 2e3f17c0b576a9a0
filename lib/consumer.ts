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
 * Runs `handle` on each record in order and reports the ones that failed, so that SQS retries
 * only those (and dead-letters them after the redrive count) while the rest are deleted.
 * Nothing is swallowed: a record is reported done only when `handle` resolved.
 */
export async function processBatch(
  kind: Kind,
  event: SQSEvent,
  handle: EventHandler,
  log: Log,
): Promise<SQSBatchResponse> {
  const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
  for (const record of event.Records) {
    try {
      await handle(decodeRecord(kind, record));
    } catch (error) {
      log.error('record failed', {
        messageId: record.messageId,
        kind,
        receiveCount: record.attributes?.ApproximateReceiveCount,
        error: error instanceof Error ? error.name : typeof error,
        reason: error instanceof PoisonMessageError ? error.message : undefined,
      });
      batchItemFailures.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures };
}
