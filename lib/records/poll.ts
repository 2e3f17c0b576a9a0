/**
 * What reconciliation knows about a running job: hotglue did not know it (`not_found`, polled
 * again after a growing interval, and `lost` after a while), refused the API key for it
 * (`refused`, a 401 or 403: polled again after the same intervals, and lost after as long), it cannot be asked
 * about (`skipped`: no env_id, or a path segment that is not one, looked at again only when a new
 * event arrives), or hotglue answered it (`answered`: the key is good for this job, so that a later
 * refusal means the key changed). The job's next stored event drops it: the consumer writes the
 * record without it.
 */
export interface PollState {
  outcome: 'not_found' | 'refused' | 'skipped' | 'answered';
  /** Polls in a row that settled nothing (1 for a skipped job, 0 for an answered one). */
  misses: number;
  /** When the first of them was (ISO); absent for an answered job. */
  first_miss_at?: string;
  /** Not polled before this time (ISO); absent for a skipped or lost job, which is not polled. */
  next_at?: string;
  /** When reconciliation gave up on it (ISO): it is listed as lost, and polled no more. */
  lost_at?: string;
  /** A refused job's HTTP status: 401 or 403. */
  http_status?: number;
  /** When hotglue first answered a poll of this job with its status (ISO), for an answered job. */
  answered_at?: string;
}

const MINUTE = 60_000;
/** The wait before each next poll of a job hotglue does not know: 15 min, 1 h, 6 h, then daily. */
const POLL_BACKOFF_MS = [15 * MINUTE, 60 * MINUTE, 6 * 60 * MINUTE, 24 * 60 * MINUTE];
/**
 * After this long without hotglue knowing it, or of refusals of the key for it, a job is marked
 * lost (RECONCILE_LOST_AFTER).
 */
export const DEFAULT_LOST_AFTER_MS = 7 * 24 * 60 * MINUTE;

/** The misses and first miss of a streak of `outcome`, the new poll counted. */
function streak(
  previous: PollState | undefined,
  outcome: PollState['outcome'],
  now: Date,
): { misses: number; first_miss_at: string; next_at: string } {
  const again = previous?.outcome === outcome && previous.first_miss_at !== undefined;
  const misses = again ? previous.misses + 1 : 1;
  const wait = POLL_BACKOFF_MS[Math.min(misses, POLL_BACKOFF_MS.length) - 1] ?? 0;
  return {
    misses,
    first_miss_at: again ? (previous.first_miss_at as string) : now.toISOString(),
    next_at: new Date(now.getTime() + wait).toISOString(),
  };
}

/** The state after a streak of `outcome` met again: backed off, or lost past `lostAfterMs`. */
function missedAgain(
  previous: PollState | undefined,
  outcome: 'not_found' | 'refused',
  now: Date,
  lostAfterMs: number,
): PollState {
  const { misses, first_miss_at, next_at } = streak(previous, outcome, now);
  if (now.getTime() - Date.parse(first_miss_at) >= lostAfterMs)
    return { outcome, misses, first_miss_at, lost_at: now.toISOString() };
  return { outcome, misses, first_miss_at, next_at };
}

/** The state after hotglue answered 404 for a job again (or for the first time). */
export const afterNotFound = (
  previous: PollState | undefined,
  now: Date,
  lostAfterMs: number,
): PollState => missedAgain(previous, 'not_found', now, lostAfterMs);

/**
 * The state after hotglue refused the key for a job (401 or 403): the job is asked again after
 * 15 min, 1 h, 6 h, then daily (its env_id may be another environment's), and marked lost when
 * refused still `lostAfterMs` after the first refusal, as a job hotglue does not know: it no
 * longer fails a run as the only job due, refused by all, at every back-off for ever.
 */
export const afterRefused = (
  previous: PollState | undefined,
  now: Date,
  httpStatus: number,
  lostAfterMs: number,
): PollState => ({
  ...missedAgain(previous, 'refused', now, lostAfterMs),
  http_status: httpStatus,
});

/** The state of a job hotglue answered: none to wait for, but the key is known good for it. */
export const answeredState = (now: Date): PollState => ({
  outcome: 'answered',
  misses: 0,
  answered_at: now.toISOString(),
});

/** The state of a job that cannot be polled (no env_id) until a new event arrives for it. */
export const skippedState = (now: Date): PollState => ({
  outcome: 'skipped',
  misses: 1,
  first_miss_at: now.toISOString(),
});

/** Whether a run at `now` polls a job in this state. */
export const isDue = (state: PollState | undefined, now: Date): boolean =>
  state === undefined ||
  state.outcome === 'answered' ||
  (state.lost_at === undefined &&
    state.next_at !== undefined &&
    Date.parse(state.next_at) <= now.getTime());
