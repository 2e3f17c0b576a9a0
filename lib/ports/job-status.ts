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
  /** 5xx, a timeout, a network failure or a body that is not a JSON object. */
  | { kind: 'error'; detail: string }
  /** 429: ask again after this many seconds. */
  | { kind: 'rate_limited'; retryAfterSeconds: number }
  /** 401 or 403: the API key is wrong. */
  | { kind: 'unauthorized'; status: number };

/** hotglue's job-status API ("Poll job status"). */
export interface JobStatusSource {
  /** An `error` answer when there is none by `until` (epoch ms), if given. */
  status(job: JobRef, until?: number): Promise<JobStatusAnswer>;
}

/** The API refused the key: no further poll of this run can succeed. */
export class ApiKeyRejectedError extends Error {
  constructor(readonly status: number) {
    super(
      `hotglue's job-status API refused the API key (HTTP ${status}): check HOTGLUE_API_KEY or the hotglue-api-key parameter`,
    );
    this.name = 'ApiKeyRejectedError';
  }
}
