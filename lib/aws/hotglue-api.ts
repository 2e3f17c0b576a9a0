import {
  unusablePathField,
  type JobRef,
  type JobStatusAnswer,
  type JobStatusSource,
} from '../ports/job-status';
import { MAX_BODY_BYTES } from '../webhook/envelope';
import { abortAt } from './request-limits';

/** hotglue's API, unless HOTGLUE_API_URL says otherwise (some of its pages show another host). */
export const DEFAULT_HOTGLUE_API_URL = 'https://api.hotglue.com';

/** How long one poll may take before it counts as an error (less when the run's `until` is nearer). */
const TIMEOUT_MS = 10_000;

/**
 * The largest answer read: what could be queued as a job event at all (a webhook body's limit).
 * A larger one is cut off unread and counts as an error of its job.
 */
const MAX_ANSWER_BYTES = MAX_BODY_BYTES;

/** The rule HOTGLUE_API_URL (and `hotglueApiUrl`) must keep, in the words errors use. */
export const HOTGLUE_API_URL_RULE =
  'must be an https URL (http only for a loopback host: localhost, 127.x.x.x or [::1])';

/**
 * Whether the API key may be sent to `url`: https, or plain http to a loopback host (a fake of
 * the API on this machine), never plain http across a network.
 */
export function keySafeApiUrl(url: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (parsed.protocol === 'https:') return true;
  const host = parsed.hostname;
  return (
    parsed.protocol === 'http:' &&
    (host === 'localhost' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host))
  );
}

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

/** The body's bytes, or undefined past `max` (read no further than that). */
async function readAtMost(response: Response, max: number): Promise<Buffer | undefined> {
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (declared > max || response.body === null) {
    await response.body?.cancel();
    return declared > max ? undefined : Buffer.alloc(0);
  }
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return Buffer.concat(chunks, size);
    size += value.byteLength;
    if (size > max) {
      await reader.cancel();
      return undefined;
    }
    chunks.push(value);
  }
}

/** What a fetch that threw means, in a job's detail (never the URL or a header). */
function failureDetail(error: unknown, timeout: AbortSignal): string {
  // A DOMException: named, but not always an Error of this realm.
  const name = (error as { name?: unknown } | null)?.name;
  const cause = (error as { cause?: { message?: unknown } } | null)?.cause;
  if (name === 'TimeoutError')
    return timeout.aborted
      ? `no answer within ${TIMEOUT_MS / 1000} s`
      : 'no answer before the end of the run';
  if (cause?.message === 'unexpected redirect')
    return 'the API answered with a redirect, which is never followed (the key stays with the API’s host)';
  return 'the API could not be reached';
}

/**
 * hotglue's "Poll job status": `GET {api}/{env_id}/{flow_id}/{tenant}/jobs/status?job_root=<s3_root>`
 * with the environment's API key in `x-api-key`. Never logs or returns the key, and sends it only
 * where `keySafeApiUrl` allows (it throws for another base URL): a redirect is not followed (the
 * poll is an `error` of its job), a job whose path fields are not segments of their own is not
 * polled (`error`; reconcile skips those before), and an answer is read up to MAX_ANSWER_BYTES.
 * A poll with no answer within TIMEOUT_MS, or by the caller's `until`, is cut and answers `error`.
 */
export function hotglueJobStatusApi(options: {
  baseUrl: string;
  apiKey: string;
  fetch?: typeof fetch;
  maxAnswerBytes?: number;
}): JobStatusSource {
  if (!keySafeApiUrl(options.baseUrl)) throw new Error(`HOTGLUE_API_URL ${HOTGLUE_API_URL_RULE}`);
  const root = new URL(options.baseUrl);
  const basePath = root.pathname.replace(/\/+$/, '');
  const get = options.fetch ?? fetch;
  const maxBytes = options.maxAnswerBytes ?? MAX_ANSWER_BYTES;
  return {
    async status(job: JobRef, until?: number): Promise<JobStatusAnswer> {
      const unusable = unusablePathField(job);
      if (unusable !== undefined) return { kind: 'error', detail: unusable };
      const path = [job.env_id, job.flow_id, job.tenant].map(encodeURIComponent).join('/');
      const pathname = `${basePath}/${path}/jobs/status`;
      const url = new URL(`${root.origin}${pathname}?job_root=${encodeURIComponent(job.s3_root)}`);
      // The URL parser changed nothing: the poll has the documented shape.
      if (url.pathname !== pathname)
        return { kind: 'error', detail: 'the job-status URL would not keep its shape' };
      const timeout = AbortSignal.timeout(TIMEOUT_MS);
      const signal = until === undefined ? timeout : AbortSignal.any([timeout, abortAt(until)]);
      let response: Response;
      try {
        response = await get(url, {
          headers: { 'x-api-key': options.apiKey, accept: 'application/json' },
          redirect: 'error',
          signal,
        });
      } catch (error) {
        return { kind: 'error', detail: failureDetail(error, timeout) };
      }
      const { status } = response;
      if (status !== 200) await response.body?.cancel().catch(() => undefined);
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
        const bytes = await readAtMost(response, maxBytes);
        if (bytes === undefined)
          return { kind: 'error', detail: `the answer is larger than ${maxBytes} bytes` };
        body = JSON.parse(bytes.toString('utf8'));
      } catch (error) {
        return (error as { name?: unknown } | null)?.name === 'SyntaxError'
          ? { kind: 'error', detail: 'the answer is not JSON' }
          : { kind: 'error', detail: failureDetail(error, timeout) };
      }
      if (typeof body !== 'object' || body === null || Array.isArray(body))
        return { kind: 'error', detail: 'the answer is not a JSON object' };
      return { kind: 'found', payload: body as Record<string, unknown> };
    },
  };
}
