import type { SQSRecord } from 'aws-lambda';
import type { DeadLetterQueue, PoisonLetter } from '../ports/dead-letter-queue';
import type { Log } from '../ports/log';
import type { Kind } from '../webhook/kinds';

/**
 * The errors that say a record can never succeed, however often it is tried: the consumer moves
 * such a record ("poison") to its kind's dead-letter queue at once, reports it done, and goes on
 * with the records behind it in its message group.
 *
 * - `PoisonMessageError`: the message is not an event envelope, holds another kind's event, or its
 *   body is not a JSON object, fails its kind's schema or makes a key longer than DynamoDB takes
 *   (see decodeRecord).
 * - `ValidationException` that names the item's size or a key's type or size (POISON_VALIDATION):
 *   DynamoDB refuses the event's items as they are, and the same event gets the same answer every
 *   time. Any other ValidationException (a malformed expression, a wrong index name) is a bug of a
 *   deploy, not of the event: it stays transient, so that a fix and SQS's retries store the events.
 *
 * Anything else is transient, and fails the record and the records behind it in its group, for SQS
 * to deliver again: a lost race (WriteConflictError), a full outbox, a conditional-check conflict,
 * a throttle, a timeout or a call given up at the deadline, a network error, a 5xx, an access
 * denial (a deploy fixes it, not the event), notifications the bus did not take.
 */
const POISON_ERRORS: readonly string[] = ['PoisonMessageError', 'ValidationException'];

/** The ValidationException messages that are the event's own doing (its items' size or types). */
const POISON_VALIDATION =
  /size has exceeded|size to update has exceeded|type mismatch|size of (hash|range)key/i;

/** The longest `reason` a letter carries (a message attribute: short, never the payload). */
const MAX_REASON_CHARS = 256;

const clip = (text: string): string =>
  text.length <= MAX_REASON_CHARS ? text : `${text.slice(0, MAX_REASON_CHARS - 1)}…`;

/** Why `error` makes its record poison (see POISON_ERRORS), or undefined when it is transient. */
export function poisonReason(error: unknown): string | undefined {
  if (!(error instanceof Error) || !POISON_ERRORS.includes(error.name)) return undefined;
  if (error.name === 'ValidationException' && !POISON_VALIDATION.test(error.message))
    return undefined;
  return clip(
    error.name === 'ValidationException'
      ? `DynamoDB refused the event: ${error.message}`
      : error.message,
  );
}

/** The dead letter of a poison record: its body untouched, in its group, with why and when. */
const letterOf = (record: SQSRecord, error: Error, reason: string, now: number): PoisonLetter => ({
  body: record.body,
  // A FIFO queue always gives the group; the message id only keeps a letter of any other whole.
  groupId: record.attributes?.MessageGroupId ?? record.messageId,
  sourceMessageId: record.messageId,
  reason,
  error: error.name,
  failedAt: new Date(now).toISOString(),
  receiveCount: Number(record.attributes?.ApproximateReceiveCount) || 1,
});

/** The longest one dead letter's send may take (an SQS request's own timeout is 5 s). */
const LETTER_SEND_MS = 5_000;

/**
 * Sends a poison record's letter, within LETTER_SEND_MS and `until` (one letter may not take the
 * invocation's whole time from the other groups), and logs either way; whether the DLQ took it.
 */
export async function sendLetter(
  deps: { deadLetters: DeadLetterQueue; log: Log; now: () => number; kind: Kind },
  record: SQSRecord,
  error: Error,
  reason: string,
  until: number,
): Promise<boolean> {
  const { deadLetters, log, now, kind } = deps;
  try {
    const letter = letterOf(record, error, reason, now());
    await deadLetters.send(letter, Math.min(until, now() + LETTER_SEND_MS));
  } catch (sendError) {
    log.error('dead letter not sent', {
      messageId: record.messageId,
      kind,
      error: sendError instanceof Error ? sendError.name : typeof sendError,
      detail: sendError instanceof Error ? sendError.message : String(sendError),
    });
    return false;
  }
  log.warn('record dead-lettered', {
    messageId: record.messageId,
    kind,
    receiveCount: record.attributes?.ApproximateReceiveCount,
    error: error.name,
    reason,
  });
  return true;
}
