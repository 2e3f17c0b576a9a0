import { createHash } from 'node:crypto';
import type { Kind } from './kinds';

const field = (payload: Record<string, unknown>, key: string): unknown => payload[key] ?? null;

function identity(kind: Kind, payload: Record<string, unknown>): unknown[] {
  switch (kind) {
    case 'jobs': {
      const stamps = payload.status_timestamp;
      const status = payload.status;
      const phaseTime =
        typeof stamps === 'object' && stamps !== null && typeof status === 'string'
          ? ((stamps as Record<string, unknown>)[status] ?? null)
          : null;
      return [field(payload, 's3_root'), status, field(payload, 'last_updated'), phaseTime];
    }
    case 'discover':
      return ['env_id', 'tenant', 'flow_id', 'connector', 'status', 'timestamp'].map((k) =>
        field(payload, k),
      );
    case 'connections':
      if (typeof payload.event_id === 'string' && payload.event_id !== '') {
        return ['event_id', payload.event_id];
      }
      return [
        'env_id',
        'tenant',
        'flow_id',
        'connector_type',
        'connector',
        'event',
        'timestamp',
      ].map((k) => field(payload, k));
  }
}

/**
 * A key that is the same for every delivery of one hotglue event and differs between events.
 * It is derived only from signed body fields (hotglue sends no delivery id): a job event is
 * its `s3_root`, `status`, `last_updated` and the status's own timestamp; a connection event
 * is its `event_id`; a discover event is its identity fields, status and `timestamp`.
 * Returned as a SHA-256 hex digest so that its size is fixed.
 */
export function eventKey(kind: Kind, payload: Record<string, unknown>): string {
  return createHash('sha256')
    .update(JSON.stringify([kind, ...identity(kind, payload)]))
    .digest('hex');
}
