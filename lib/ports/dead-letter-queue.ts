/**
 * A queue message that can never be processed, as the consumer hands it to its kind's dead-letter
 * queue: the message untouched, in its FIFO message group, with why it was taken out.
 */
export interface PoisonLetter {
  /** The message's body exactly as it was queued (the envelope, or whatever else it was). */
  body: string;
  /** Its FIFO message group (its entity's): the letter keeps it. */
  groupId: string;
  /** Its message id on the kind's queue: the letter's deduplication id is derived from it. */
  sourceMessageId: string;
  /** Why it can never succeed, in a short text that never holds the payload. */
  reason: string;
  /** The error's name (PoisonMessageError, ValidationException, …). */
  error: string;
  /** When the consumer gave up on it (ISO 8601). */
  failedAt: string;
  /** How many times SQS had delivered it, this time included. */
  receiveCount: number;
}

/** Where the consumer of one kind puts the messages that can never succeed: its FIFO DLQ. */
export interface DeadLetterQueue {
  /**
   * Resolves once the dead-letter queue holds the letter; throws when it could not take it, or when
   * `until` (epoch ms) came first. Sending one letter again is safe: the queue keeps it once.
   */
  send(letter: PoisonLetter, until?: number): Promise<void>;
}
