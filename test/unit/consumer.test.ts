import { DEADLINE_MARGIN_MS, deadlineOf } from '../../lib/consumer/budget';
import { batchConsumer } from '../../lib/consumer/consume-batch';
import { ABANDONED_AFTER_MS } from '../../lib/ports/notifier';
import { ENTITIES } from '../../lib/records/entities';
import { messageGroupId } from '../../lib/records/message-group';
import { WriteConflictError, type EventStore } from '../../lib/ports/event-store';
import type { StoredEvent } from '../../lib/records/stored-event';
import { jobKey } from '../../lib/records/entity-keys';
import { recordingCounters, recordingLog, recordingNotifier } from '../support/doubles';
import { envelopeOf, payloadOf, sqsRecord } from '../support/events';
import { jobLifecycle, stored } from '../support/lifecycle';
import { memoryStore } from '../support/memory-store';

const jobRecord = (payload: Record<string, unknown>, messageId: string) =>
  sqsRecord(envelopeOf('jobs', payload), { messageId });

describe('batchConsumer, against the in-memory store', () => {
  it('stores the good records and reports only the ones that failed, each with its reason', async () => {
    const store = memoryStore();
    const flaky = (event: StoredEvent) => {
      if (event.payload.tenant === 'flaky') throw new Error('DynamoDB down');
    };
    const flakyStore: EventStore = {
      ...store,
      store: async (kind, event) => {
        flaky(event);
        return store.store(kind, event);
      },
      storeAll: async (kind, events) => {
        events.forEach(flaky);
        return store.storeAll(kind, events);
      },
    };
    const log = recordingLog();
    const counters = recordingCounters();
    const consume = batchConsumer('jobs', {
      notifier: recordingNotifier(),
      store: flakyStore,
      log,
      counters,
    });
    const good = payloadOf('jobs', { error: 'hunter2 in a payload' });
    const result = await consume({
      Records: [
        jobRecord(good, 'good'),
        jobRecord(payloadOf('jobs', { tenant: 'flaky' }), 'flaky'),
        sqsRecord('garbage', { messageId: 'poison' }),
        sqsRecord(envelopeOf('discover', payloadOf('discover')), { messageId: 'wrong-queue' }),
        jobRecord({ tenant: 't' }, 'invalid'),
      ],
    });
    expect(result.batchItemFailures.map((f) => f.itemIdentifier)).toEqual([
      'flaky',
      'poison',
      'wrong-queue',
      'invalid',
    ]);
    expect((await store.getJob(String(good.s3_root)))?.status).toBe(good.status);
    const failures = log.lines.filter((l) => l.message === 'record failed');
    expect(failures.map((l) => [l.fields.messageId, l.fields.error])).toEqual([
      ['poison', 'PoisonMessageError'],
      ['wrong-queue', 'PoisonMessageError'],
      ['invalid', 'PoisonMessageError'],
      ['flaky', 'Error'],
    ]);
    expect(failures.find((l) => l.fields.messageId === 'wrong-queue')?.fields.reason).toBe(
      'a discover event on the jobs queue',
    );
    // A store failure's message may carry anything: only its name is logged, and no payload.
    expect(failures.find((l) => l.fields.messageId === 'flaky')?.fields.reason).toBeUndefined();
    expect(log.text()).not.toContain('hunter2');
    expect(counters.counted).toEqual([
      // The good job's record became terminal: its one notification.
      {
        name: 'notified',
        dimensions: {
          kind: 'jobs',
          detailType: good.status === 'JOB_COMPLETED' ? 'Job Completed' : 'Job Failed',
        },
        value: 1,
      },
      { name: 'failed', dimensions: { kind: 'jobs' }, value: 4 },
      { name: 'processed', dimensions: { kind: 'jobs' }, value: 1 },
    ]);
  });

  it('tries an entity’s records one by one when storing them together fails, so a bad one fails alone', async () => {
    const store = memoryStore();
    const [created, started] = jobLifecycle(['JOB_CREATED', 'SYNC_STARTED'], { s3Root: 'one/1' });
    const bad = (event: StoredEvent) => event.payload.status === 'SYNC_STARTED';
    const picky: EventStore = {
      ...store,
      store: async (kind, event) => {
        if (bad(event)) throw new Error('cannot store this one');
        return store.store(kind, event);
      },
      storeAll: async (kind, events) => {
        if (events.some(bad)) throw new Error('cannot store this batch');
        return store.storeAll(kind, events);
      },
    };
    const consume = batchConsumer('jobs', {
      notifier: recordingNotifier(),
      store: picky,
      log: recordingLog(),
      counters: recordingCounters(),
    });
    const result = await consume({
      Records: [jobRecord(created ?? {}, 'good'), jobRecord(started ?? {}, 'bad')],
    });
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: 'bad' }]);
    expect((await store.getJob('one/1'))?.status).toBe('JOB_CREATED');
  });

  it('fails all of an entity’s records, without trying them one by one, after lost races', async () => {
    const [created, started] = jobLifecycle(['JOB_CREATED', 'SYNC_STARTED'], { s3Root: 'hot/1' });
    let single = 0;
    const busy: EventStore = {
      markSent: async () => undefined,
      unsent: async () => [],
      recordStale: async () => false,
      recordPoll: async () => false,
      store: async () => {
        single += 1;
        throw new Error('not expected');
      },
      storeAll: async () => {
        throw new WriteConflictError('hot/1');
      },
    };
    const consume = batchConsumer('jobs', {
      notifier: recordingNotifier(),
      store: busy,
      log: recordingLog(),
      counters: recordingCounters(),
    });
    const result = await consume({
      Records: [jobRecord(created ?? {}, 'a'), jobRecord(started ?? {}, 'b')],
    });
    expect(result.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(['a', 'b']);
    expect(single).toBe(0);
  });

  it('logs what storing did: a redelivery in the same batch is a duplicate that changes nothing', async () => {
    const store = memoryStore();
    const log = recordingLog();
    const consume = batchConsumer('jobs', {
      notifier: recordingNotifier(),
      store,
      log,
      counters: recordingCounters(),
    });
    const [created, started] = jobLifecycle(['JOB_CREATED', 'SYNC_STARTED'], { s3Root: 'log/1' });
    const result = await consume({
      Records: [
        jobRecord(created ?? {}, 'm1'),
        jobRecord(started ?? {}, 'm2'),
        jobRecord(created ?? {}, 'm3'),
      ],
    });
    expect(result.batchItemFailures).toEqual([]);
    const stored = log.lines.filter((l) => l.message === 'event stored');
    expect(stored.map((l) => [l.fields.messageId, l.fields.duplicate, l.fields.changed])).toEqual([
      ['m1', false, true],
      ['m2', false, true],
      ['m3', true, false],
    ]);
    expect(stored[0]?.fields.eventKey).toMatch(/^[0-9a-f]{64}$/);
    expect(stored[0]?.fields.kind).toBe('jobs');
    const history = await store.history('jobs', jobKey('log/1'));
    expect(history.map((e) => e.payload.status).sort()).toEqual(['JOB_CREATED', 'SYNC_STARTED']);
  });

  it('stores one entity’s records together in batch order, and different entities at once', async () => {
    const store = memoryStore();
    const calls: string[][] = [];
    let running = 0;
    let maxRunning = 0;
    const slowStore: EventStore = {
      ...store,
      store: () => Promise.reject(new Error('each entity’s records are stored together')),
      storeAll: async (kind, batch) => {
        running += 1;
        maxRunning = Math.max(maxRunning, running);
        calls.push(batch.map((e) => `${String(e.payload.s3_root)}:${String(e.payload.status)}`));
        // Yield several times so that a second entity could interleave here.
        for (let i = 0; i < 5; i += 1) await Promise.resolve();
        running -= 1;
        return store.storeAll(kind, batch);
      },
    };
    const consume = batchConsumer('jobs', {
      notifier: recordingNotifier(),
      store: slowStore,
      log: recordingLog(),
      counters: recordingCounters(),
    });
    const [aCreated, aStarted] = jobLifecycle(['JOB_CREATED', 'SYNC_STARTED'], { s3Root: 'a' });
    const [bCreated, bStarted] = jobLifecycle(['JOB_CREATED', 'SYNC_STARTED'], { s3Root: 'b' });
    await consume({
      Records: [
        jobRecord(aStarted ?? {}, 'a2'),
        jobRecord(bCreated ?? {}, 'b1'),
        jobRecord(aCreated ?? {}, 'a1'),
        jobRecord(bStarted ?? {}, 'b2'),
      ],
    });
    expect(maxRunning).toBe(2);
    // One call per entity, in batch order within it, even when that is not lifecycle order.
    expect(calls).toEqual([
      ['a:SYNC_STARTED', 'a:JOB_CREATED'],
      ['b:JOB_CREATED', 'b:SYNC_STARTED'],
    ]);
    // Either order of arrival gives the same record.
    expect((await store.getJob('a'))?.status).toBe('SYNC_STARTED');
  });
});

describe('batchConsumer: notifications', () => {
  const completed = (root: string) => jobLifecycle(['JOB_COMPLETED'], { s3Root: root })[0] ?? {};

  it('publishes the change its write recorded, then marks it sent', async () => {
    const store = memoryStore();
    const notifier = recordingNotifier();
    const log = recordingLog();
    const consume = batchConsumer('jobs', { store, notifier, log, counters: recordingCounters() });
    const result = await consume({ Records: [jobRecord(completed('n/1'), 'm1')] });
    expect(result.batchItemFailures).toEqual([]);
    expect(notifier.published.map((n) => [n['detail-type'], n.detail.s3_root])).toEqual([
      ['Job Completed', 'n/1'],
    ]);
    expect(await store.unsent('jobs', jobKey('n/1'))).toEqual([]);
    expect(log.lines.filter((l) => l.message === 'notification sent')).toHaveLength(1);
    // A redelivery changes nothing and sends nothing.
    await consume({ Records: [jobRecord(completed('n/1'), 'm2')] });
    expect(notifier.published).toHaveLength(1);
  });

  it('fails the entity’s records when publishing fails, and publishes on the redelivery', async () => {
    const store = memoryStore();
    const notifier = recordingNotifier();
    notifier.failing = true;
    let clock = 1_000_000;
    const consume = batchConsumer('jobs', {
      store,
      notifier,
      log: recordingLog(),
      counters: recordingCounters(),
      now: () => clock,
      sleep: async (ms) => {
        clock += ms;
      },
    });
    const first = await consume({ Records: [jobRecord(completed('n/2'), 'm1')] });
    expect(first.batchItemFailures).toEqual([{ itemIdentifier: 'm1' }]);
    expect((await store.unsent('jobs', jobKey('n/2'))).map((u) => u.notification.id)).toHaveLength(
      1,
    );
    notifier.failing = false;
    // The redelivery finds the change another delivery recorded: once that writer had its time
    // (the clock is past the recording), it publishes it.
    clock = Date.now() + 60_000;
    const again = await consume({ Records: [jobRecord(completed('n/2'), 'm1')] });
    expect(again.batchItemFailures).toEqual([]);
    expect(notifier.published.map((n) => n['detail-type'])).toEqual(['Job Completed']);
    expect(await store.unsent('jobs', jobKey('n/2'))).toEqual([]);
  });

  it('leaves a change another writer recorded to that writer while it is recent, and sends nothing when it is marked sent', async () => {
    const store = memoryStore();
    // Another consumer stores the job and is about to publish.
    const other = await store.store('jobs', stored(completed('n/3')));
    const notifier = recordingNotifier();
    const waited: number[] = [];
    const consume = batchConsumer('jobs', {
      store,
      notifier,
      log: recordingLog(),
      counters: recordingCounters(),
      now: Date.now,
      sleep: async (ms) => {
        waited.push(ms);
        // Meanwhile the other writer publishes and marks it sent.
        await store.markSent('jobs', jobKey('n/3'), other.recorded);
      },
    });
    const result = await consume({ Records: [jobRecord(completed('n/3'), 'dup')] });
    expect(result.batchItemFailures).toEqual([]);
    expect(waited.length).toBeGreaterThan(0);
    expect(notifier.published).toEqual([]);
  });
});

/** An SQS record of a FIFO queue: in its entity's message group, as ingest sends it. */
const fifoRecord = (payload: Record<string, unknown>, messageId: string) => {
  const record = jobRecord(payload, messageId);
  record.attributes.MessageGroupId = messageGroupId(ENTITIES.jobs.key(payload));
  record.eventSourceARN = 'arn:aws:sqs:us-east-1:123456789012:q.fifo';
  return record;
};

describe('batchConsumer on a FIFO queue', () => {
  it('fails the rest of a group after its first failure, in order, and goes on with other groups', async () => {
    const store = memoryStore();
    const tried: string[] = [];
    const picky: EventStore = {
      ...store,
      storeAll: async (kind, events) => {
        if (events.some((e) => e.payload.message === 'bad')) throw new Error('not this one');
        return store.storeAll(kind, events);
      },
      store: async (kind, event) => {
        tried.push(String(event.payload.status));
        if (event.payload.message === 'bad') throw new Error('not this one');
        return store.store(kind, event);
      },
    };
    const log = recordingLog();
    const consume = batchConsumer('jobs', {
      notifier: recordingNotifier(),
      store: picky,
      log,
      counters: recordingCounters(),
    });
    const [a1, a2, a3, a4] = jobLifecycle(
      ['JOB_CREATED', 'SYNC_STARTED', 'SYNC_SUCCESS', 'JOB_COMPLETED'],
      { s3Root: 'fifo/a' },
    );
    const [b1, b2] = jobLifecycle(['JOB_CREATED', 'SYNC_STARTED'], { s3Root: 'fifo/b' });
    const result = await consume({
      Records: [
        fifoRecord(a1 ?? {}, 'a1'),
        fifoRecord(b1 ?? {}, 'b1'),
        fifoRecord({ ...a2, message: 'bad' }, 'a2'),
        sqsRecord('garbage', {
          messageId: 'b-poison',
          attributes: { ...fifoRecord(b1 ?? {}, 'x').attributes },
        }),
        fifoRecord(a3 ?? {}, 'a3'),
        fifoRecord(b2 ?? {}, 'b2'),
        fifoRecord(a4 ?? {}, 'a4'),
      ],
    });
    // a: stored up to its failure, never tried after it; b: its poison message fails its later one.
    expect(result.batchItemFailures.map((f) => f.itemIdentifier)).toEqual([
      'a2',
      'b-poison',
      'a3',
      'b2',
      'a4',
    ]);
    expect(tried).toEqual(['JOB_CREATED', 'SYNC_STARTED']);
    expect((await store.getJob('fifo/a'))?.event_count).toBe(1);
    expect((await store.getJob('fifo/b'))?.event_count).toBe(1);
    const skipped = log.lines.filter((l) => l.fields.error === 'EarlierInGroupFailedError');
    expect(skipped.map((l) => l.fields.messageId).sort()).toEqual(['a3', 'a4', 'b2']);
  });

  it('stores one group’s records together, in one call, in the batch’s order', async () => {
    const store = memoryStore();
    const calls: string[][] = [];
    const consume = batchConsumer('jobs', {
      notifier: recordingNotifier(),
      store: {
        ...store,
        storeAll: async (kind, events) => {
          calls.push(events.map((e) => String(e.payload.status)));
          return store.storeAll(kind, events);
        },
      },
      log: recordingLog(),
      counters: recordingCounters(),
    });
    const lifecycle = jobLifecycle(['JOB_CREATED', 'SYNC_STARTED', 'SYNC_SUCCESS'], {
      s3Root: 'fifo/c',
    });
    const result = await consume({
      Records: lifecycle.map((p, i) => fifoRecord(p, `c${i}`)),
    });
    expect(result.batchItemFailures).toEqual([]);
    expect(calls).toEqual([['JOB_CREATED', 'SYNC_STARTED', 'SYNC_SUCCESS']]);
  });
});

describe('the consumer’s time budget', () => {
  const contextWith = (remainingMs: number, clock: { now: number }) => {
    const started = clock.now;
    return { getRemainingTimeInMillis: () => remainingMs - (clock.now - started) };
  };

  it('ends before the invocation does, keeping a margin to report', () => {
    const clock = { now: 1_000_000 };
    expect(deadlineOf(contextWith(30_000, clock), clock.now)).toBe(
      clock.now + 30_000 - DEADLINE_MARGIN_MS,
    );
    // A short remaining time keeps four fifths of it for work.
    expect(deadlineOf(contextWith(5_000, clock), clock.now)).toBe(clock.now + 4_000);
    expect(deadlineOf(contextWith(0, clock), clock.now)).toBe(clock.now);
  });

  it.each([30_000, 12_000, 4_000])(
    'never waits past the invocation’s time (%i ms left) for another writer’s notifications',
    async (remainingMs) => {
      const clock = { now: Date.parse('2026-11-30T06:00:00Z') };
      const store = memoryStore();
      const [created] = jobLifecycle(['JOB_CREATED'], { s3Root: 'budget/1' });
      // Another writer recorded a notification just now and has not published it.
      const unsent = [
        {
          recordedAt: clock.now,
          notification: {
            id: 'n-theirs',
            source: 'hotglue-webhooks' as const,
            'detail-type': 'Job Failed' as const,
            time: new Date(clock.now).toISOString(),
            detail: { s3_root: 'budget/1' },
          },
        },
      ];
      const notifier = recordingNotifier();
      const context = contextWith(remainingMs, clock);
      const consume = batchConsumer('jobs', {
        notifier,
        store: {
          ...store,
          storeAll: async (kind, events) =>
            (await store.storeAll(kind, events)).map((o) => ({ ...o, unsent, recorded: [] })),
          unsent: async () => unsent,
        },
        log: recordingLog(),
        counters: recordingCounters(),
        now: () => clock.now,
        sleep: async (ms) => {
          clock.now += ms;
        },
      });
      const result = await consume({ Records: [fifoRecord(created ?? {}, 'm')] }, context);
      expect(context.getRemainingTimeInMillis()).toBeGreaterThan(0);
      // Waiting out ABANDONED_AFTER_MS fits in 30 s, not in less: then the record fails in time.
      const fits = remainingMs - Math.min(DEADLINE_MARGIN_MS, remainingMs / 5) > ABANDONED_AFTER_MS;
      expect(result.batchItemFailures.length).toBe(fits ? 0 : 1);
      expect(notifier.published.length).toBe(fits ? 1 : 0);
    },
  );
});
