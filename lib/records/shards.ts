import { createHash } from 'node:crypto';

/**
 * How many shards an index key that one flow's burst would concentrate is spread over. DynamoDB
 * serves about 1,000 write units per second per partition key value, on an index too; hotglue
 * starts every tenant's scheduled job of a flow at the top of the hour, so every new job of the
 * flow would enter one `by-flow` value, one `by-status` value (`running`) and one `by-updated`
 * value at once. Spread over 16, 2,000 new jobs a second put about 125 writes a second on each:
 * an eighth of the limit (`npm run bench` figure h). Reads query all 16 and merge. Changing it
 * changes every sharded key: it is fixed.
 */
export const SHARDS = 16;

/** An entity's shard, `00` to `15`: from the SHA-256 of its key, so it never changes. */
export function shardOf(entityKey: string): string {
  const n = createHash('sha256').update(entityKey).digest().readUInt32BE(0) % SHARDS;
  return String(n).padStart(2, '0');
}

/** A sharded index key value: the value, `#`, the shard (`running#07`). */
export const sharded = (value: string, shard: string): string => `${value}#${shard}`;

/** Every shard's key value of `value`, to query them all. */
export const everyShard = (value: string): string[] =>
  Array.from({ length: SHARDS }, (_, n) => sharded(value, String(n).padStart(2, '0')));
