import type { Kind } from '../webhook/kinds';

/** One event as it goes on its kind's FIFO queue. */
interface QueuedMessage {
  /** The envelope (see buildEnvelope). */
  body: string;
  /** Its entity's message group (see messageGroupId): one consumer at a time per entity. */
  groupId: string;
  /**
   * Its event key and content, hashed (see deduplicationIdOf): SQS drops a second send of one
   * event with the same content within five minutes, never an event with other content.
   */
  deduplicationId: string;
}

/** Where accepted events go. `send` resolves only once the queue has durably stored the message. */
export interface EventQueue {
  /** Gives up by `until` (epoch ms) when one is given: nothing may then have been queued. */
  send(kind: Kind, message: QueuedMessage, until?: number): Promise<{ messageId: string }>;
}

/** The queue could not take a message: nothing was queued, so the sender may retry. */
export class QueueUnavailableError extends Error {
  constructor(cause: unknown) {
    super('the event queue is unavailable', { cause });
    this.name = 'QueueUnavailableError';
  }
}
