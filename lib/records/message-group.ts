import { createHash } from 'node:crypto';
import type { Kind } from '../webhook/kinds';
import { ENTITIES } from './entities';

/**
 * An entity's message group on its kind's FIFO queue: the SHA-256 of its key, in hex (64
 * characters; the key itself can pass FIFO's 128-character limit and hold characters it refuses).
 * One group per entity is what makes one writer per entity: SQS hands a group's messages to one
 * consumer at a time, in order.
 * @internal exported for the tests
 */
export const messageGroupId = (entityKey: string): string =>
  createHash('sha256').update(entityKey).digest('hex');

/** The group and deduplication id an event is queued with: its entity's group, its event key. */
export const queueOrder = (
  kind: Kind,
  payload: Record<string, unknown>,
  eventKey: string,
): { groupId: string; deduplicationId: string } => ({
  groupId: messageGroupId(ENTITIES[kind].key(payload)),
  deduplicationId: eventKey,
});
