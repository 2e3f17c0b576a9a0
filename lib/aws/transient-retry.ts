/** Error names AWS services use for "slow down" (SSM answers ThrottlingException, HTTP 400). */
const THROTTLING_NAMES = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'ProvisionedThroughputExceededException',
  'RequestThrottledException',
  'SlowDown',
]);

/** Network-level failures: the request may never have reached the service. */
const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN']);

interface SdkErrorShape {
  name?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number };
}

/**
 * Whether an AWS SDK call that threw is worth trying again: a throttle, a 5xx, a 429, a timeout
 * or a dropped connection. An access denial or a validation error is not: trying again only
 * spends the caller's time.
 */
function isTransient(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { name = '', code = '', $metadata } = error as SdkErrorShape;
  if (THROTTLING_NAMES.has(name) || NETWORK_CODES.has(code) || name === 'TimeoutError') return true;
  const status = $metadata?.httpStatusCode;
  return status !== undefined && (status === 429 || status >= 500);
}

export interface TransientRetryOptions {
  /** Epoch ms after which no try starts and no pause runs past. */
  deadline: number;
  /** The first pause's ceiling; each later one doubles, up to capMs. */
  baseMs?: number;
  capMs?: number;
  now?: () => number;
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

const wait = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Calls `attempt` until it succeeds, its error is not transient, or the next pause would end past
 * the deadline; then the last error is thrown. Pauses are "full jitter" (a uniform draw below a
 * doubling ceiling), so callers that were throttled together spread out instead of coming back
 * together. `attempt` gets the try's number and the deadline, to bound its own call.
 */
export async function retryTransient<T>(
  attempt: (n: number, deadline: number) => Promise<T>,
  options: TransientRetryOptions,
): Promise<T> {
  const { deadline, baseMs = 50, capMs = 2_000 } = options;
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const sleep = options.sleep ?? wait;
  for (let n = 0; ; n += 1) {
    try {
      return await attempt(n, deadline);
    } catch (error) {
      const pause = Math.floor(random() * Math.min(capMs, baseMs * 2 ** n));
      if (!isTransient(error) || now() + pause >= deadline) throw error;
      await sleep(pause);
    }
  }
}
