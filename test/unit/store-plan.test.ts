import {
  folds,
  isDuplicate,
  planStore,
  writesHistory,
  type Candidate,
} from '../../lib/aws/dynamodb/store-plan';
import { ENTITIES } from '../../lib/records/entities';
import type { StoredEvent } from '../../lib/records/stored-event';
import { contentHash } from '../../lib/webhook/content-hash';
import { payloadOf } from '../support/events';

/** The plan of storing: a pure function of what was read, tested without any DynamoDB. */

const stored = (payload: Record<string, unknown>): StoredEvent => ({
  hash: contentHash(payload),
  receivedAt: '2026-11-30T10:00:00.000Z',
  payload,
});
const connection = (eventId: string, event = 'LINK') =>
  stored(payloadOf('connections', { event_id: eventId, event, tenant: 'plan' }));
const jobEvent = (status: string) =>
  stored(payloadOf('jobs', { s3_root: 'plan/1', status, tenant: 'plan' }));

const verdicts = (candidates: Candidate[]) => candidates.map((c) => c.verdict);
const count = (folded: { record: unknown } | undefined) =>
  (folded?.record as { event_count?: number } | undefined)?.event_count;

describe('planStore', () => {
  const jobs = ENTITIES.jobs;
  const connections = ENTITIES.connections;

  it('folds events new to the history, each counted once, and writes their history items', () => {
    const events = [jobEvent('JOB_CREATED'), jobEvent('SYNC_STARTED')];
    const plan = planStore(jobs, events, undefined, new Map());
    expect(verdicts(plan.candidates)).toEqual(['new', 'new']);
    expect(count(plan.folded)).toBe(2);
    expect(plan.added).toEqual(events.map((e) => jobs.historyId(e)));
    expect(plan.candidates.map((c) => writesHistory(c.verdict))).toEqual([true, true]);
  });

  it('writes only the history item of an event listed in pending, without folding it again', () => {
    const created = jobEvent('JOB_CREATED');
    const before = planStore(jobs, [created], undefined, new Map()).folded;
    const current = { ...before!, pending: [jobs.historyId(created)] };
    const plan = planStore(jobs, [created], current, new Map());
    expect(verdicts(plan.candidates)).toEqual(['pending']);
    expect(plan.folded).toBeUndefined();
    expect(writesHistory('pending') && isDuplicate('pending')).toBe(true);
  });

  it('does nothing for content the history holds already', () => {
    const created = jobEvent('JOB_CREATED');
    const before = planStore(jobs, [created], undefined, new Map()).folded!;
    const held = new Map([[jobs.historyId(created), null]]);
    const plan = planStore(jobs, [created], { ...before, pending: [] }, held);
    expect(verdicts(plan.candidates)).toEqual(['held']);
    expect(plan.folded).toBeUndefined();
    expect(plan.added).toEqual([]);
  });

  it('keeps the larger hash of a connection event_id sent with two contents', () => {
    const linked = connection('e-1');
    const larger = new Map([[connections.historyId(linked), 'f'.repeat(64)]]);
    const smaller = new Map([[connections.historyId(linked), '0'.repeat(64)]]);
    const base = planStore(connections, [connection('e-0')], undefined, new Map()).folded!;
    const current = { ...base, pending: [] };

    const kept = planStore(connections, [linked], current, larger);
    expect(verdicts(kept.candidates)).toEqual(['held-larger']);
    // Folded, as the merge counts it (not as a new event), but its history item is not written.
    expect(count(kept.folded)).toBe(count(base));
    expect([
      isDuplicate('held-larger'),
      folds('held-larger'),
      writesHistory('held-larger'),
    ]).toEqual([true, true, false]);

    const replaced = planStore(connections, [linked], current, smaller);
    expect(verdicts(replaced.candidates)).toEqual(['replaces']);
    expect(count(replaced.folded)).toBe(count(base));
    expect([isDuplicate('replaces'), writesHistory('replaces')]).toEqual([false, true]);
  });

  it('counts an event once when the batch holds it twice', () => {
    const created = jobEvent('JOB_CREATED');
    const plan = planStore(
      jobs,
      [created, created, jobEvent('SYNC_STARTED')],
      undefined,
      new Map(),
    );
    expect(verdicts(plan.candidates)).toEqual(['new', 'held', 'new']);
    expect(count(plan.folded)).toBe(2);
    expect(plan.added).toHaveLength(2);
  });
});
