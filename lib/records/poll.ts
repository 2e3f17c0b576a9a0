/**
 * What reconciliation knows about a running job it could not settle: hotglue did not know it
 * (`not_found`, polled again after a growing interval, and `lost` after a while), or it cannot be
 * asked about (`skipped`: no env_id, looked at again only when a new event arrives). The job's next
 * stored event drops it: the consumer writes the record without it.
 */
export interface PollState {
  outcome: 'not_found' | 'skipped';
  /** Polls in a row that found nothing (1 for a skipped job). */
  misses: number;
  /** When the first of them was (ISO). */
  first_miss_at: string;
  /** Not polled before this time (ISO); absent for a skipped or lost job, which is not polled. */
  next_at?: string;
  /** When reconciliation gave up on it (ISO): it is listed as lost, and polled no more. */
  lost_at?: string;
}

const MINUTE = 60_000;
/** The wait before each next poll of a job hotglue does not know: 15 min, 1 h, 6 h, then daily. */
const POLL_BACKOFF_MS = [15 * MINUTE, 60 * MINUTE, 6 * 60 * MINUTE, 24 * 60 * MINUTE];
/** After this long without hotglue knowing it, a job is marked lost (RECONCILE_LOST_AFTER). */
export const DEFAULT_LOST_AFTER_MS = 7 * 24 * 60 * MINUTE;

/** The state after hotglue answered 404 for a job again (or for the first time). */
export function afterNotFound(
  previous: PollState | undefined,
  now: Date,
  lostAfterMs: number,
): PollState {
  const again = previous?.outcome === 'not_found';
  const misses = again ? previous.misses + 1 : 1;
  const first = again ? previous.first_miss_at : now.toISOString();
  if (now.getTime() - Date.parse(first) >= lostAfterMs)
    return { outcome: 'not_found', misses, first_miss_at: first, lost_at: now.toISOString() };
  const wait = POLL_BACKOFF_MS[Math.min(misses, POLL_BACKOFF_MS.length) - 1] ?? 0;
  return {
    outcome: 'not_found',
    misses,
    first_miss_at: first,
    next_at: new Date(now.getTime() + wait).toISOString(),
  };
}

/** The state of a job that cannot be polled (no env_id) until a new event arrives for it. */
export const skippedState = (now: Date): PollState => ({
  outcome: 'skipped',
  misses: 1,
  first_miss_at: now.toISOString(),
});

/** Whether a run at `now` polls a job in this state. */
export const isDue = (state: PollState | undefined, now: Date): boolean =>
  state === undefined ||
  (state.lost_at === undefined &&
    state.next_at !== undefined &&
    Date.parse(state.next_at) <= now.getTime());
