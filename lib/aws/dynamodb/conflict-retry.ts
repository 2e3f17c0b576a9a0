import { WriteConflictError } from '../../ports/event-store';
import { sleep } from './dynamodb-io';

/**
 * How many times a write that lost the race on the CURRENT item's version tries again. With one
 * consumer per entity (each entity is one FIFO message group), the only other writer is a
 * reconcile run adding a Job Stale notice: a lost race is rare, and a few tries settle it.
 * @internal exported for the tests
 */
export const CONFLICT_ATTEMPTS = 5;

/** How long a write may go on retrying when the caller gives no deadline. */
export const DEFAULT_BUDGET_MS = 10_000;

/** Full-jitter backoff between tries: doubling from 32 ms, at most 1 s. */
const backoffMs = (attempt: number): number => Math.random() * Math.min(1000, 32 * 2 ** attempt);

/**
 * Runs `attempt` until it settles: while it reports a lost race (`undefined`), again after a
 * full-jitter backoff, at most CONFLICT_ATTEMPTS times and never past `until` (epoch ms); then
 * the write is left to SQS (WriteConflictError), with time in hand for the caller to report it.
 */
export async function retryConflicts<T>(
  pk: string,
  until: number,
  attempt: (n: number) => Promise<T | undefined>,
): Promise<T> {
  for (let n = 0; ; n += 1) {
    const done = await attempt(n);
    if (done !== undefined) return done;
    const pause = backoffMs(n);
    if (n + 1 >= CONFLICT_ATTEMPTS || Date.now() + pause >= until) throw new WriteConflictError(pk);
    await sleep(pause);
  }
}
