import type { SQSRecord } from 'aws-lambda';
import { isJsonObject } from '../webhook/detect-kind';
import { parseEnvelope, PoisonMessageError, type Envelope } from '../webhook/envelope';
import type { Kind } from '../webhook/kinds';
import { keyProblem } from '../records/key-limits';
import { validationProblem } from '../webhook/schemas';

/** One queue record decoded back to the event hotglue sent. */
export interface ConsumedEvent {
  envelope: Envelope;
  payload: Record<string, unknown>;
  messageId: string;
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
  const problem = validationProblem(kind, payload) ?? keyProblem(kind, payload);
  if (problem !== undefined) throw new PoisonMessageError(problem);
  return { envelope, payload, messageId: record.messageId };
}
