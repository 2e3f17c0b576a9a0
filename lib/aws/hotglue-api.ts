import type { JobRef, JobStatusAnswer, JobStatusSource } from '../ports/job-status';
import { abortAt } from './request-limits';

/** hotglue's API, unless HOTGLUE_API_URL says otherwise (some of its pages show another host). */
export const DEFAULT_HOTGLUE_API_URL = 'https://api.hotglue.com';

/** How long one poll may take before it counts as an error (less when the run's `until` is nearer). */
const TIMEOUT_MS = 10_000;

/**
 * Seconds to wait from a Retry-After header (seconds, or an HTTP date); 5 when absent.
 * @internal exported for the tests
 */
export function retryAfterSeconds(header: string | null, now = Date.now()): number {
  if (header === null || header.trim() === '') return 5;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds);
  const at = Date.parse(header);
  return Number.isNaN(at) ? 5 : Math.max(0, Math.ceil((at - now) / 1000));
}

/**
 * hotglue's "Poll job status": `GET {api}/{env_id}/{flow_id}/{tenant}/jobs/status?job_root=<s3_root>`
 * with the environment's API key in `x-api-key`. Never logs or returns the key. A poll with no
 * answer within TIMEOUT_MS, or by the caller's `until`, is cut and answers `error`.
 */
export function hotglueJobStatusApi(options: {
  baseUrl: string;
  apiKey: string;
  fetch?: typeof fetch;
}): JobStatusSource {
  const base = options.baseUrl.replace(/\/+$/, '');
  const get = options.fetch ?? fetch;
  return {
    async status(job: JobRef, until?: number): Promise<JobStatusAnswer> {
      const path = [job.env_id, job.flow_id, job.tenant].map(encodeURIComponent).join('/');
      const url = `${base}/${path}/jobs/status?job_root=${encodeURIComponent(job.s3_root)}`;
      const timeout = AbortSignal.timeout(TIMEOUT_MS);
      const signal = until === undefined ? timeout : AbortSignal.any([timeout, abortAt(until)]);
      let response: Response;
      try {
        response = await get(url, {
          headers: { 'x-api-key': options.apiKey, accept: 'application/json' },
          signal,
        });
      } catch (error) {
        // A DOMException: named, but not always an Error of this realm.
        const timedOut = (error as { name?: unknown } | null)?.name === 'TimeoutError';
        return {
          kind: 'error',
          detail: !timedOut
            ? 'the API could not be reached'
            : timeout.aborted
              ? `no answer within ${TIMEOUT_MS / 1000} s`
              : 'no answer before the end of the run',
        };
      }
      const { status } = response;
      if (status === 401 || status === 403) return { kind: 'unauthorized', status };
      if (status === 404) return { kind: 'not_found' };
      if (status === 429)
        return {
          kind: 'rate_limited',
          retryAfterSeconds: retryAfterSeconds(response.headers.get('retry-after')),
        };
      if (status !== 200) return { kind: 'error', detail: `HTTP ${status}` };
      let body: unknown;
      try {
        body = await response.json();
      } catch {
        return { kind: 'error', detail: 'the answer is not JSON' };
      }
      if (typeof body !== 'object' || body === null || Array.isArray(body))
        return { kind: 'error', detail: 'the answer is not a JSON object' };
      return { kind: 'found', payload: body as Record<string, unknown> };
    },
  };
}
