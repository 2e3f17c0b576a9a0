import { batchConsumer } from '../../lib/consumer/consume-batch';
import type { EventStore } from '../../lib/ports/event-store';
import { jobKey } from '../../lib/records/entity-keys';
import { recordingCounters, recordingLog } from '../support/doubles';
import { envelopeOf, payloadOf, sqsRecord } from '../support/events';
import { jobLifecycle } from '../support/lifecycle';
import { memoryStore } from '../support/memory-store';

const jobRecord = (payload: Record<string, unknown>, messageId: string) =>
  sqsRecord(envelopeOf('jobs', payload), { messageId });

describe('batchConsumer, against the in-memory store', () => {
  it('stores the good records and reports only the ones that failed, each with its reason', async () => {
    const store = memoryStore();
    const flakyStore: EventStore = {
      store: async (kind, event) => {
        if (event.payload.tenant === 'flaky') throw new Error('DynamoDB down');
        return store.store(kind, event);
      },
    };
    const log = recordingLog();
    const counters = recordingCounters();
    const consume = batchConsumer('jobs', { store: flakyStore, log, counters });
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
      { name: 'failed', dimensions: { kind: 'jobs' }, value: 4 },
      { name: 'processed', dimensions: { kind: 'jobs' }, value: 1 },
    ]);
  });

  it('logs what storing did: a redelivery in the same batch is a duplicate that changes nothing', async () => {
    const store = memoryStore();
    const log = recordingLog();
    const consume = batchConsumer('jobs', { store, log, counters: recordingCounters() });
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

  it('stores one entity’s records in batch order and different entities at once', async () => {
    const store = memoryStore();
    const events: string[] = [];
    let running = 0;
    let maxRunning = 0;
    const slowStore: EventStore = {
      store: async (kind, event) => {
        const name = `${String(event.payload.s3_root)}:${String(event.payload.status)}`;
        running += 1;
        maxRunning = Math.max(maxRunning, running);
        events.push(`start ${name}`);
        // Yield several times so that a second entity could interleave here.
        for (let i = 0; i < 5; i += 1) await Promise.resolve();
        events.push(`end ${name}`);
        running -= 1;
        return store.store(kind, event);
      },
    };
    const consume = batchConsumer('jobs', {
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
    // Batch order within an entity, even when it is not lifecycle order.
    expect(events.indexOf('end a:SYNC_STARTED')).toBeLessThan(
      events.indexOf('start a:JOB_CREATED'),
    );
    expect(events.indexOf('end b:JOB_CREATED')).toBeLessThan(
      events.indexOf('start b:SYNC_STARTED'),
    );
    // Either order of arrival gives the same record.
    expect((await store.getJob('a'))?.status).toBe('SYNC_STARTED');
  });
});
