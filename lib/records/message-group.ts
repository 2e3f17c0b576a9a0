import { createHash } from 'node:crypto';
import { contentHash } from '../webhook/content-hash';
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

/**
 * An event's deduplication id on its FIFO queue: the SHA-256, in hex (64 characters, all allowed),
 * of its event key and the content hash of its payload (the hash storage keeps it by). A
 * redelivery of one event with the same content is one message (SQS drops a repeat within five
 * minutes); two contents with one event identity (a job event with no `last_updated` and no status
 * timestamp whose metrics differ) are two messages, as storage keeps both.
 * @internal exported for the tests
 */
export const deduplicationIdOf = (eventKey: string, payload: Record<string, unknown>): string =>
  createHash('sha256')
    .update(`${eventKey}\n${contentHash(payload)}`)
    .digest('hex');

/**
 * The group and deduplication id an event is queued with: its entity's group, and its event key
 * and content together (see deduplicationIdOf).
 */
export const queueOrder = (
  kind: Kind,
  payload: Record<string, unknown>,
  eventKey: string,
): { groupId: string; deduplicationId: string } => ({
  groupId: messageGroupId(ENTITIES[kind].key(payload)),
  deduplicationId: deduplicationIdOf(eventKey, payload),
});
