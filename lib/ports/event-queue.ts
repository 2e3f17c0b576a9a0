import type { Kind } from '../webhook/kinds';

/** Where accepted events go. `send` resolves only once the queue has durably stored the message. */
export interface EventQueue {
  send(kind: Kind, messageBody: string): Promise<{ messageId: string }>;
}

/** The queue could not take a message: nothing was queued, so the sender may retry. */
export class QueueUnavailableError extends Error {
  constructor(cause: unknown) {
    super('the event queue is unavailable', { cause });
    this.name = 'QueueUnavailableError';
  }
}
