import { contentHash } from '../../lib/webhook/content-hash';
import type { StoredEvent } from '../../lib/records/stored-event';
import { hotglueTime, samplePayload } from '../../lib/webhook/samples';

/** hotglue's successful job lifecycle (hotglue-facts.md), without discovery. */
export const SUCCESS = [
  'JOB_CREATED',
  'SYNC_STARTED',
  'SYNC_SUCCESS',
  'ETL_STARTED',
  'ETL_SUCCESS',
  'EXPORT_STARTED',
  'JOB_COMPLETED',
];
export const FAILURE = ['JOB_CREATED', 'DISCOVER_STARTED', 'SYNC_STARTED', 'SYNC_FAILED'];
/** A successful lifecycle with discovery: nine events, each a distinct status. */
export const SUCCESS_WITH_DISCOVERY = [
  'JOB_CREATED',
  'DISCOVER_STARTED',
  'DISCOVER_SUCCESS',
  ...SUCCESS.slice(1),
];

/**
 * The events hotglue sends for one job, a minute apart, built the way hotglue builds them:
 * `status_timestamp` grows phase by phase, metrics appear only once the sync ran, `error`
 * only on failure, and `connector_id` only on the first event (null afterwards).
 */
export function jobLifecycle(
  statuses: string[],
  options: { s3Root?: string; start?: Date; tenant?: string; flow?: string } = {},
): Record<string, unknown>[] {
  const start = options.start ?? new Date('2026-11-01T10:00:00.000Z');
  const base = samplePayload('jobs', { now: start });
  const s3Root = options.s3Root ?? String(base.s3_root);
  const stamps: Record<string, number> = {};
  return statuses.map((status, i) => {
    const at = new Date(start.getTime() + i * 60_000 + 123);
    if (status.endsWith('_STARTED')) stamps[status] = at.getTime();
    const synced = i >= statuses.indexOf('SYNC_SUCCESS') && statuses.includes('SYNC_SUCCESS');
    const failed = status.endsWith('_FAILED');
    return {
      ...base,
      s3_root: s3Root,
      ...(options.tenant !== undefined && { tenant: options.tenant }),
      ...(options.flow !== undefined && { flow_id: options.flow }),
      status,
      start_time: hotglueTime(start),
      last_updated: hotglueTime(at),
      status_timestamp: { ...stamps },
      connector_id: i === 0 ? 'conn-123' : null,
      metrics: synced ? { recordCount: { Account: 10 * (i + 1), Lead: 5 } } : null,
      data_sizes: synced ? { total: i * 100 } : null,
      error: failed ? `${status}: connection reset` : null,
      message: failed ? 'hotglue guesses: bad credentials' : null,
    };
  });
}

export function stored(
  payload: Record<string, unknown>,
  receivedAt = '2026-11-01T00:00:00.000Z',
): StoredEvent {
  return { hash: contentHash(payload), receivedAt, payload };
}

/** A seeded generator, so that a run can be repeated. */
export function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

export function* permutations<T>(items: readonly T[]): Generator<T[]> {
  if (items.length <= 1) {
    yield [...items];
    return;
  }
  for (let i = 0; i < items.length; i += 1) {
    const rest = [...items.slice(0, i), ...items.slice(i + 1)];
    for (const tail of permutations(rest)) yield [items[i] as T, ...tail];
  }
}

export function shuffle<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

/** `order` with some events delivered again at pseudo-random places. */
export function withDuplicates<T>(order: readonly T[], random: () => number, count = 2): T[] {
  const out = [...order];
  for (let n = 0; n < count; n += 1) {
    const dup = order[Math.floor(random() * order.length)] as T;
    out.splice(Math.floor(random() * (out.length + 1)), 0, dup);
  }
  return out;
}
