import type { Kind } from '../webhook/kinds';
import { connectionOrderKey, discoverOrderKey, ENTITIES, jobOrderKey } from './entities';
import type { ConnectionRecord } from './connections';
import type { DiscoverRecord } from './discover';
import { sharded } from './shards';
import { text } from './stored-event';

/** DynamoDB's key limits in UTF-8 bytes, for tables and indexes alike. */
const PARTITION_KEY_BYTES = 2048;
const SORT_KEY_BYTES = 1024;

/** The longest time a start-time key can begin with (ISO with microseconds). */
const LONGEST_TIME = '0000-00-00T00:00:00.000000Z';

const str = (value: unknown): string => (typeof value === 'string' ? value : String(value ?? ''));

/** A flow's sharded index key (`<flow_id>#07`), the longest the shards make. */
const shardKey = (flow: unknown): string => sharded(str(flow), '00');

interface KeyCheck {
  /** The payload fields the key is made of, as a reason names them. */
  fields: string[];
  key: string;
  limit: number;
}

function checks(kind: Kind, p: Record<string, unknown>): KeyCheck[] {
  const entity = ENTITIES[kind];
  const pk = entity.key(p);
  switch (kind) {
    case 'jobs': {
      const jobId = text(p.job_id);
      return [
        { fields: ['s3_root'], key: pk, limit: PARTITION_KEY_BYTES },
        { fields: ['tenant'], key: str(p.tenant), limit: PARTITION_KEY_BYTES },
        { fields: ['flow_id'], key: shardKey(p.flow_id), limit: PARTITION_KEY_BYTES },
        ...(jobId === undefined
          ? []
          : [{ fields: ['job_id'], key: jobId, limit: PARTITION_KEY_BYTES }]),
        {
          fields: ['s3_root'],
          key: jobOrderKey({ started_at: LONGEST_TIME, s3_root: str(p.s3_root) }),
          limit: SORT_KEY_BYTES,
        },
      ];
    }
    case 'discover': {
      const record = {
        env_id: text(p.env_id) ?? '',
        tenant: str(p.tenant),
        flow_id: str(p.flow_id),
        connector: str(p.connector),
      } as DiscoverRecord;
      const identity = ['env_id', 'tenant', 'flow_id', 'connector'];
      return [
        { fields: identity, key: pk, limit: PARTITION_KEY_BYTES },
        { fields: ['tenant'], key: record.tenant, limit: PARTITION_KEY_BYTES },
        { fields: ['flow_id'], key: shardKey(record.flow_id), limit: PARTITION_KEY_BYTES },
        { fields: identity, key: discoverOrderKey(record), limit: SORT_KEY_BYTES },
      ];
    }
    case 'connections': {
      const record = {
        env_id: text(p.env_id) ?? '',
        tenant: str(p.tenant),
        flow_id: str(p.flow_id),
        connector_type: text(p.connector_type) ?? '',
        connector: str(p.connector),
      } as ConnectionRecord;
      const identity = ['env_id', 'tenant', 'flow_id', 'connector_type', 'connector'];
      const eventId = text(p.event_id);
      return [
        { fields: identity, key: pk, limit: PARTITION_KEY_BYTES },
        ...(eventId === undefined
          ? []
          : [{ fields: ['event_id'], key: `EVENT#${eventId}`, limit: SORT_KEY_BYTES }]),
        { fields: ['tenant'], key: record.tenant, limit: PARTITION_KEY_BYTES },
        { fields: ['flow_id'], key: shardKey(record.flow_id), limit: PARTITION_KEY_BYTES },
        { fields: identity, key: connectionOrderKey(record), limit: SORT_KEY_BYTES },
      ];
    }
  }
}

/**
 * Whether DynamoDB can hold the keys this event becomes: its entity's partition key, its history
 * item's sort key, and every index key its record carries, each computed with the functions the
 * store uses. Returns a short reason naming the fields of the first key too long (never a value),
 * or undefined. A job's or discover state's history id is short by construction.
 *
 * A connection's `event` is also a key, of its record's `last_at_by_event` map: `__proto__` is
 * refused, since the document client's marshaller reads it as the map's prototype, not as an
 * entry, and DynamoDB then refuses the item on every try. The only payload value that becomes a
 * map key; payload keys named `__proto__` are refused by shapeProblem (webhook/shape.ts).
 */
export function keyProblem(kind: Kind, payload: Record<string, unknown>): string | undefined {
  if (kind === 'connections' && payload.event === '__proto__')
    return 'invalid connections event: event cannot be __proto__ (a map key DynamoDB cannot hold)';
  for (const { fields, key, limit } of checks(kind, payload)) {
    if (Buffer.byteLength(key) > limit) {
      const what = fields.length === 1 ? `${fields[0]} makes` : `${fields.join(', ')} make`;
      return `invalid ${kind} event: ${what} a key longer than ${limit} bytes`;
    }
  }
  return undefined;
}
