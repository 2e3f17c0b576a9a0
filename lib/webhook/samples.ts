import { randomBytes, randomUUID } from 'node:crypto';
import type { Kind } from './kinds';
import connectionSample from './samples/connection-event.json';
import discoverSample from './samples/discover-event.json';
import jobSample from './samples/job-event.json';

/**
 * hotglue's timestamps: Python isoformat with microseconds and an explicit UTC offset.
 * @internal exported for the tests
 */
export function hotglueTime(date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$1000+00:00');
}

const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_';

/** A job id in hotglue's style (five characters); random, so that repeated sends differ. */
function newJobId(): string {
  return [...randomBytes(5)].map((b) => ID_ALPHABET[b % ID_ALPHABET.length]).join('');
}

function s3Root(tenant: string, flowId: string, jobId: string, at: Date): string {
  const parts = [
    at.getUTCFullYear(),
    at.getUTCMonth() + 1,
    at.getUTCDate(),
    at.getUTCHours(),
    at.getUTCMinutes(),
  ];
  const [year, ...rest] = parts.map(String);
  return `${tenant}/flows/${flowId}/jobs/${year}/${rest.map((p) => p.padStart(2, '0')).join('/')}/${jobId}`;
}

export interface SampleOptions {
  now?: Date;
  /** Fields to set on top of the sample, e.g. `{ status: 'SYNC_STARTED' }`. */
  overrides?: Record<string, unknown>;
}

/**
 * hotglue's documented sample payload for `kind`, with fresh ids and timestamps so that every
 * call is a distinct event.
 */
export function samplePayload(kind: Kind, options: SampleOptions = {}): Record<string, unknown> {
  const now = options.now ?? new Date();
  const at = hotglueTime(now);
  let payload: Record<string, unknown>;
  switch (kind) {
    case 'jobs': {
      const jobId = newJobId();
      const ms = now.getTime();
      payload = {
        ...structuredClone(jobSample),
        job_id: jobId,
        job_name: `test_job:${newJobId()}`,
        s3_root: s3Root(jobSample.tenant, jobSample.flow_id, jobId, now),
        start_time: hotglueTime(new Date(ms - 4_000)),
        last_updated: at,
        status_timestamp: {
          SYNC_STARTED: ms - 3_000,
          ETL_STARTED: ms - 2_000,
          EXPORT_STARTED: ms - 1_000,
        },
      };
      break;
    }
    case 'discover':
      payload = { ...structuredClone(discoverSample), timestamp: at };
      break;
    case 'connections':
      payload = { ...structuredClone(connectionSample), timestamp: at, event_id: randomUUID() };
      break;
  }
  return { ...payload, ...options.overrides };
}
