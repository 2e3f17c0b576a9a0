import {
  afterNotFound,
  afterRefused,
  answeredState,
  isDue,
  skippedState,
  type PollState,
} from '../../lib/records/poll';

const MIN = 60_000;
const DAY = 24 * 60 * MIN;
const t0 = new Date('2026-11-01T10:00:00.000Z');
const at = (ms: number) => new Date(t0.getTime() + ms);

describe('the backoff of a job hotglue does not know', () => {
  it('waits 15 min, 1 h, 6 h, then a day between polls, and gives up after the lost-after time', () => {
    let state: PollState | undefined;
    let now = t0;
    const waits: number[] = [];
    while (state?.lost_at === undefined) {
      state = afterNotFound(state, now, 7 * DAY);
      if (state.next_at === undefined) break;
      const next = Date.parse(state.next_at);
      waits.push(next - now.getTime());
      // Not due a moment before, due at its time.
      expect(isDue(state, new Date(next - 1))).toBe(false);
      expect(isDue(state, new Date(next))).toBe(true);
      now = new Date(next);
    }
    expect(waits.slice(0, 5)).toEqual([15 * MIN, 60 * MIN, 6 * 60 * MIN, DAY, DAY]);
    expect(state.first_miss_at).toBe(t0.toISOString());
    // Lost at the first 404 at least 7 days after the first one, and never due again.
    expect(Date.parse(String(state.lost_at)) - t0.getTime()).toBeGreaterThanOrEqual(7 * DAY);
    expect(Date.parse(String(state.lost_at)) - t0.getTime()).toBeLessThan(8 * DAY);
    expect(isDue(state, at(365 * DAY))).toBe(false);
  });

  it('starts a new streak after a skip, and never polls a skipped job by time', () => {
    const skipped = skippedState(t0);
    expect(isDue(skipped, at(365 * DAY))).toBe(false);
    const after = afterNotFound(skipped, at(DAY), 7 * DAY);
    expect(after).toMatchObject({ misses: 1, first_miss_at: at(DAY).toISOString() });
  });

  it('backs a refused job off as a 404, and starts a new streak after another outcome', () => {
    let state: PollState | undefined = afterNotFound(undefined, t0, 7 * DAY);
    const waits: number[] = [];
    let now = t0;
    for (let i = 0; i < 12; i += 1) {
      state = afterRefused(state, now, 403, 30 * DAY);
      expect(state.lost_at).toBeUndefined();
      const next = Date.parse(String(state.next_at));
      waits.push(next - now.getTime());
      expect(isDue(state, new Date(next - 1))).toBe(false);
      now = new Date(next);
    }
    expect(waits.slice(0, 5)).toEqual([15 * MIN, 60 * MIN, 6 * 60 * MIN, DAY, DAY]);
    // The 404 before does not count: the refusals are a streak of their own.
    expect(state).toMatchObject({
      outcome: 'refused',
      misses: 12,
      first_miss_at: t0.toISOString(),
    });
    expect(state?.http_status).toBe(403);
    expect(afterNotFound(state, now, 7 * DAY)).toMatchObject({ misses: 1 });
  });

  it('gives a refused job up after the lost-after time, as a 404', () => {
    let state: PollState = afterRefused(undefined, t0, 403, 7 * DAY);
    while (state.next_at !== undefined)
      state = afterRefused(state, new Date(state.next_at), 403, 7 * DAY);
    expect(state).toMatchObject({ outcome: 'refused', http_status: 403 });
    expect(state.first_miss_at).toBe(t0.toISOString());
    expect(Date.parse(String(state.lost_at)) - t0.getTime()).toBeGreaterThanOrEqual(7 * DAY);
    expect(Date.parse(String(state.lost_at)) - t0.getTime()).toBeLessThan(8 * DAY);
    expect(isDue(state, at(365 * DAY))).toBe(false);
  });

  it('polls an answered job on every run', () => {
    const answered = answeredState(t0);
    expect(answered).toEqual({ outcome: 'answered', misses: 0, answered_at: t0.toISOString() });
    expect(isDue(answered, t0)).toBe(true);
    expect(afterRefused(answered, at(MIN), 401, 7 * DAY)).toMatchObject({
      misses: 1,
      http_status: 401,
    });
  });

  it('polls a job with no state', () => {
    expect(isDue(undefined, t0)).toBe(true);
  });
});
