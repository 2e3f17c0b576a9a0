import { canonicalJson } from '../../lib/webhook/content-hash';
import { connectionHistory } from '../../lib/records/connections';
import { jobHistory } from '../../lib/records/jobs';
import { mergeConnection, mergeDiscover, mergeJob } from '../support/merges';
import { payloadOf } from '../support/events';
import {
  FAILURE,
  jobLifecycle,
  permutations,
  seeded,
  stored,
  SUCCESS,
  withDuplicates,
} from '../support/lifecycle';

describe('mergeJob over every permutation', () => {
  it('gives one record for all 5,040 orders of a successful lifecycle, with duplicates mixed in', () => {
    const events = jobLifecycle(SUCCESS).map((p) => stored(p));
    const random = seeded(7);
    const records = new Set<string>();
    for (const order of permutations(events))
      records.add(canonicalJson(mergeJob(withDuplicates(order, random))));
    expect(records.size).toBe(1);
    const record = mergeJob(events);
    const last = events[events.length - 1]?.payload ?? {};
    expect(record.status).toBe('JOB_COMPLETED');
    expect(record.status_class).toBe('completed');
    expect(record.event_count).toBe(7);
    // Metrics come from the latest event that carries them; earlier nulls do not erase them.
    expect(record.fields.metrics).toEqual(last.metrics);
    expect(record.fields.last_updated).toBe(last.last_updated);
    // A field only the first event set survives the later nulls.
    expect(record.fields.connector_id).toBe('conn-123');
    expect(record.fields.error).toBeUndefined();
    // Every phase time is kept.
    expect(Object.keys(record.fields.status_timestamp as object).sort()).toEqual([
      'ETL_STARTED',
      'EXPORT_STARTED',
      'SYNC_STARTED',
    ]);
    expect(record.started_at).toBe('2026-11-01T10:00:00.000000Z');
    expect(record.updated_at).toBe('2026-11-01T10:06:00.123000Z');
  });

  it('gives one record for every order of a failed lifecycle, keeping the error', () => {
    const events = jobLifecycle(FAILURE).map((p) => stored(p));
    const random = seeded(11);
    const records = new Set<string>();
    for (const order of permutations(events)) {
      for (let i = 0; i < 5; i += 1)
        records.add(canonicalJson(mergeJob(withDuplicates(order, random, 3))));
    }
    expect(records.size).toBe(1);
    const record = mergeJob(events);
    expect(record.status).toBe('SYNC_FAILED');
    expect(record.status_class).toBe('failed');
    expect(record.fields.error).toBe('SYNC_FAILED: connection reset');
    expect(record.fields.message).toBe('hotglue guesses: bad credentials');
  });

  it('never lets an in-progress status overwrite a terminal one, even a later one', () => {
    const [created, , , failed] = jobLifecycle(FAILURE);
    const lateRetry = {
      ...created,
      status: 'SYNC_STARTED',
      last_updated: '2030-01-01T00:00:00.000000+00:00',
    };
    expect(mergeJob([stored(failed ?? {}), stored(lateRetry)]).status).toBe('SYNC_FAILED');
  });

  it('prefers the later phase between in-progress statuses, and the later time between equals', () => {
    const events = jobLifecycle(SUCCESS);
    const etl = events[3] ?? {};
    const earlyClockSync = {
      ...(events[1] ?? {}),
      last_updated: '2026-11-01T12:00:00.000000+00:00',
    };
    expect(mergeJob([stored(etl), stored(earlyClockSync)]).status).toBe('ETL_STARTED');
    const a = {
      ...(events[6] ?? {}),
      last_updated: '2026-11-02T00:00:00.000001+00:00',
      message: 'second',
    };
    const b = {
      ...(events[6] ?? {}),
      last_updated: '2026-11-02T00:00:00.000000+00:00',
      message: 'first',
    };
    expect(mergeJob([stored(a), stored(b)]).fields.message).toBe('second');
  });

  it('keeps an unknown status in the history and moves to it only by time', () => {
    const events = jobLifecycle(SUCCESS);
    const sync = events[1] ?? {};
    const later = {
      ...sync,
      status: 'SYNC_PAUSED',
      last_updated: '2026-11-01T10:01:30.000000+00:00',
    };
    const earlier = {
      ...sync,
      status: 'SYNC_PAUSED',
      last_updated: '2026-11-01T09:00:00.000000+00:00',
    };
    expect(mergeJob([stored(sync), stored(later)]).status).toBe('SYNC_PAUSED');
    expect(mergeJob([stored(sync), stored(later)]).status_class).toBe('other');
    expect(mergeJob([stored(sync), stored(earlier)]).status).toBe('SYNC_STARTED');
    const completed = events[6] ?? {};
    const afterEnd = {
      ...completed,
      status: 'JOB_ARCHIVED',
      last_updated: '2031-01-01T00:00:00+00:00',
    };
    expect(mergeJob([stored(completed), stored(afterEnd)]).status).toBe('JOB_COMPLETED');
    expect(jobHistory([stored(completed), stored(afterEnd)]).map((h) => h.status)).toEqual([
      'JOB_COMPLETED',
      'JOB_ARCHIVED',
    ]);
  });

  it('orders history by time then lifecycle, one entry per distinct event, with counts', () => {
    const events = jobLifecycle(SUCCESS).map((p) => stored(p));
    const history = jobHistory([...events].reverse().concat(events));
    expect(history.map((h) => h.status)).toEqual(SUCCESS);
    expect(history[2]?.record_count).toBe(35);
    expect(history[0]?.record_count).toBeUndefined();
  });
});

describe('mergeDiscover', () => {
  const at = (status: string, timestamp: string) =>
    stored(payloadOf('discover', { status, timestamp }));
  const events = [
    at('DISCOVER_STARTED', '2026-11-01T10:00:00.000000+00:00'),
    at('DISCOVER_FAILED', '2026-11-01T10:01:00.000000+00:00'),
    at('DISCOVER_STARTED', '2026-11-01T11:00:00.000000+00:00'),
    at('DISCOVER_SUCCESS', '2026-11-01T11:02:00.000000+00:00'),
  ];

  it('is the same for every order and keeps the last start, success and failure times', () => {
    const records = new Set(
      [...permutations(events)].map((order) =>
        canonicalJson(mergeDiscover(order.concat(order.slice(0, 2)))),
      ),
    );
    expect(records.size).toBe(1);
    const record = mergeDiscover(events);
    expect(record.status).toBe('DISCOVER_SUCCESS');
    expect(record.last_started_at).toBe('2026-11-01T11:00:00.000000Z');
    expect(record.last_success_at).toBe('2026-11-01T11:02:00.000000Z');
    expect(record.last_failed_at).toBe('2026-11-01T10:01:00.000000Z');
    expect(record.event_count).toBe(4);
  });
});

describe('mergeConnection', () => {
  const at = (event: string, timestamp: string, extra: Record<string, unknown> = {}) =>
    stored(payloadOf('connections', { event, timestamp, ...extra }));
  const link = at('LINK', '2026-11-01T10:00:00.000000+00:00', { first_link: true });
  const unlink = at('UNLINK', '2026-11-01T11:00:00.000000+00:00', { first_link: null });
  const relink = at('LINK', '2026-11-01T12:00:00.000000+00:00', { first_link: false });

  it('is the same for every order, holds each event_id once, and tracks link times', () => {
    const events = [link, unlink, relink];
    const records = new Set(
      [...permutations(events)].map((order) =>
        canonicalJson(mergeConnection([...order, link, relink])),
      ),
    );
    expect(records.size).toBe(1);
    const record = mergeConnection(events);
    expect(record.event).toBe('LINK');
    expect(record.linked).toBe(true);
    expect(record.first_link).toBe(false);
    expect(record.last_linked_at).toBe('2026-11-01T12:00:00.000000Z');
    expect(record.last_unlinked_at).toBe('2026-11-01T11:00:00.000000Z');
    expect(record.event_count).toBe(3);
    const history = connectionHistory([relink, link, unlink, link]);
    expect(history.map((h) => h.event)).toEqual(['LINK', 'UNLINK', 'LINK']);
    expect(new Set(history.map((h) => h.event_id)).size).toBe(3);
  });

  it('keeps undocumented event names as they come', () => {
    const odd = at('OVERWRITE', '2026-11-01T13:00:00.000000+00:00');
    const record = mergeConnection([link, odd]);
    expect(record.event).toBe('OVERWRITE');
    expect(record.linked).toBe(false);
    expect(record.last_at_by_event).toEqual({
      LINK: '2026-11-01T10:00:00.000000Z',
      OVERWRITE: '2026-11-01T13:00:00.000000Z',
    });
    expect(record.last_unlinked_at).toBeUndefined();
  });

  it('settles two contents under one event_id the same way in any order', () => {
    const other = stored({ ...link.payload, first_link: 'changed' });
    expect(canonicalJson(mergeConnection([link, other]))).toBe(
      canonicalJson(mergeConnection([other, link])),
    );
    expect(mergeConnection([link, other]).event_count).toBe(1);
  });
});
