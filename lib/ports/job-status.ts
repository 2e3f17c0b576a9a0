/** The job a poll asks about: the path segments and query of hotglue's job-status endpoint. */
export interface JobRef {
  env_id: string;
  flow_id: string;
  tenant: string;
  s3_root: string;
}

/** What hotglue's job-status API answered for one job. */
export type JobStatusAnswer =
  | { kind: 'found'; payload: Record<string, unknown> }
  | { kind: 'not_found' }
  /** 5xx, a redirect, a timeout, a network failure, a body too large or not a JSON object. */
  | { kind: 'error'; detail: string }
  /** 429: ask again after this many seconds. */
  | { kind: 'rate_limited'; retryAfterSeconds: number }
  /** 401 or 403: the API key is wrong, or not this job's environment's. */
  | { kind: 'unauthorized'; status: number };

/** hotglue's job-status API ("Poll job status"). */
export interface JobStatusSource {
  /** An `error` answer when there is none by `until` (epoch ms), if given. */
  status(job: JobRef, until?: number): Promise<JobStatusAnswer>;
}

const PATH_FIELDS = ['env_id', 'flow_id', 'tenant'] as const;

/**
 * Why a job cannot be polled, or undefined when it can: each of its path fields must be a
 * segment of its own. An empty one, `.` or `..` would be resolved away by the URL parser (an
 * env_id of `..` would poll `/{flow_id}/{tenant}/jobs/status`), so such a job is never polled.
 */
export function unusablePathField(job: Partial<JobRef>): string | undefined {
  for (const field of PATH_FIELDS) {
    const value = job[field];
    if (value === undefined || value === '')
      return `the job has no ${field}, which the job-status URL needs`;
    if (value === '.' || value === '..')
      return `the job's ${field} is "${value}", which cannot be a segment of the job-status URL`;
  }
  return undefined;
}

/** The API refused the key: no further poll of this run can succeed. */
export class ApiKeyRejectedError extends Error {
  /** `why`: for which jobs, e.g. "for every job polled (3)". */
  constructor(
    readonly status: number,
    why: string,
  ) {
    super(
      `hotglue's job-status API refused the API key (HTTP ${status}) ${why}: check HOTGLUE_API_KEY or the hotglue-api-key parameter`,
    );
    this.name = 'ApiKeyRejectedError';
  }
}
