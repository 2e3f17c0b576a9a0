import type { Kind } from './kinds';

const has = (payload: Record<string, unknown>, key: string): boolean =>
  payload[key] !== undefined && payload[key] !== null;

/**
 * Tells the webhook kind from a payload's shape, never from its status value alone:
 * a job payload whose status is DISCOVER_STARTED or DISCOVER_FAILED carries `s3_root`/`job_id`
 * and is a job event; a discover payload has `connector` and `status` and none of the job
 * or connection fields; a connection payload has `event`, `event_id` or `connector_type`.
 */
export function detectKind(payload: Record<string, unknown>): Kind | undefined {
  if (has(payload, 's3_root') || has(payload, 'job_id')) return 'jobs';
  if (has(payload, 'event') || has(payload, 'event_id') || has(payload, 'connector_type')) {
    return 'connections';
  }
  if (has(payload, 'connector') && has(payload, 'status')) return 'discover';
  return undefined;
}

/** True for a JSON object (not an array, not null). */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
