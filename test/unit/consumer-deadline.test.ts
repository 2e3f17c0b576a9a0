import type { SQSRecord } from 'aws-lambda';
import { beforeDeadline, DeadlineError, deadlineOf } from '../../lib/consumer/budget';
import { batchConsumer } from '../../lib/consumer/consume-batch';
import type { EventStore } from '../../lib/ports/event-store';
import type { Notifier } from '../../lib/ports/notifier';
import { ENTITIES } from '../../lib/records/entities';
import { messageGroupId } from '../../lib/records/message-group';
import { recordingCounters, recordingLog, recordingNotifier } from '../support/doubles';
import { envelopeOf, sqsRecord } from '../support/events';
import { jobLifecycle } from '../support/lifecycle';
import { memoryStore } from '../support/memory-store';

/**
 * The consumer with a port that never answers (a hung DynamoDB or EventBridge whose adapter does
 * not keep to its deadline): the entity's records, and every later record of its group, are
 * reported failed before the invocation's time runs out; other entities are stored.
 */

const fifoRecord = (payload: Record<string, unknown>, messageId: string): SQSRecord => {
  const record = sqsRecord(envelopeOf('jobs', payload), { messageId });
  record.attributes.MessageGroupId = messageGroupId(ENTITIES.jobs.key(payload));
  record.eventSourceARN = 'arn:aws:sqs:us-east-1:123456789012:q.fifo';
  return record;
};

/** A promise that never settles: a call to a dependency that accepted and never answered. */
const never = <T>(): Promise<T> => new Promise<T>(() => undefined);

/** A Lambda context with `ms` left, counting down on the real clock. */
const contextOf = (ms: number) => {
  const end = Date.now() + ms;
  return { getRemainingTimeInMillis: () => end - Date.now() };
};

/** The hung entity's records (a failed job: it notifies) and another entity's, interleaved. */
function batch(): { records: SQSRecord[]; hung: string[]; other: string[] } {
  const [created, failed, later] = jobLifecycle(['JOB_CREATED', 'SYNC_FAILED', 'JOB_COMPLETED'], {
    s3Root: 'deadline/hung',
  });
  const [other] = jobLifecycle(['JOB_CREATED'], { s3Root: 'deadline/other' });
  return {
    records: [
      fifoRecord(created ?? {}, 'hung-1'),
      fifoRecord(other ?? {}, 'other-1'),
      fifoRecord(failed ?? {}, 'hung-2'),
      fifoRecord(later ?? {}, 'hung-3'),
    ],
    hung: ['hung-1', 'hung-2', 'hung-3'],
    other: ['other-1'],
  };
}

/** Runs one batch with `ms` of the invocation left; what it reported and how long it took. */
async function consumeWithin(
  ms: number,
  deps: { store: EventStore; notifier: Notifier },
): Promise<{ failed: string[]; tookMs: number; context: { getRemainingTimeInMillis(): number } }> {
  const { records } = batch();
  const context = contextOf(ms);
  const started = Date.now();
  const result = await batchConsumer('jobs', {
    ...deps,
    log: recordingLog(),
    counters: recordingCounters(),
  })({ Records: records }, context);
  return {
    failed: result.batchItemFailures.map((f) => f.itemIdentifier),
    tookMs: Date.now() - started,
    context,
  };
}

describe('the consumer with a dependency that never answers', () => {
  const TIME_LEFT_MS = 1_500;

  it('fails the entity whose notifications cannot be published, before the invocation ends', async () => {
    const store = memoryStore();
    const notifier: Notifier = {
      publish: (notifications) =>
        notifications.some((n) => n.detail.s3_root === 'deadline/hung')
          ? never()
          : Promise.resolve(),
    };
    const { failed, context } = await consumeWithin(TIME_LEFT_MS, { store, notifier });
    expect(context.getRemainingTimeInMillis()).toBeGreaterThan(0);
    expect(failed).toEqual(batch().hung);
    // Stored, its notification left unsent for the record's next delivery to publish.
    expect((await store.getJob('deadline/hung'))?.status).toBe('JOB_COMPLETED');
    expect((await store.unsent('jobs', 'JOB#deadline/hung')).length).toBeGreaterThan(0);
    expect((await store.getJob('deadline/other'))?.status).toBe('JOB_CREATED');
  }, 10_000);

  it('fails the entity whose outbox cannot be read, before the invocation ends', async () => {
    const store = memoryStore();
    // Another writer recorded a notification just now: the consumer reads the outbox again
    // while it waits for that writer to publish it, and the read never answers.
    const theirs = {
      recordedAt: Date.now(),
      notification: {
        id: 'n-theirs',
        source: 'hotglue-webhooks' as const,
        'detail-type': 'Job Failed' as const,
        time: new Date().toISOString(),
        detail: { s3_root: 'deadline/hung' },
      },
    };
    const waiting: EventStore = {
      ...store,
      storeAll: async (kind, events, until) => {
        const outcomes = await store.storeAll(kind, events, until);
        const hung = events.some((e) => e.payload.s3_root === 'deadline/hung');
        return hung ? outcomes.map((o) => ({ ...o, unsent: [theirs], recorded: [] })) : outcomes;
      },
      unsent: () => never(),
    };
    const { failed, context } = await consumeWithin(TIME_LEFT_MS, {
      store: waiting,
      notifier: recordingNotifier(),
    });
    expect(context.getRemainingTimeInMillis()).toBeGreaterThan(0);
    expect(failed).toEqual(batch().hung);
  }, 10_000);

  it('fails the entity whose records cannot be stored, together and one by one, before the invocation ends', async () => {
    const store = memoryStore();
    const tried: string[] = [];
    const hung = (payload: Record<string, unknown>) => payload.s3_root === 'deadline/hung';
    const stuck: EventStore = {
      ...store,
      storeAll: (kind, events, until) =>
        events.some((e) => hung(e.payload)) ? never() : store.storeAll(kind, events, until),
      store: (kind, event, until) => {
        tried.push(String(event.payload.status));
        return hung(event.payload) ? never() : store.store(kind, event, until);
      },
    };
    const { failed, context } = await consumeWithin(TIME_LEFT_MS, {
      store: stuck,
      notifier: recordingNotifier(),
    });
    expect(context.getRemainingTimeInMillis()).toBeGreaterThan(0);
    expect(failed).toEqual(batch().hung);
    // Past the deadline nothing more is started: not one record of the entity alone.
    expect(tried).toEqual([]);
    expect((await store.getJob('deadline/other'))?.status).toBe('JOB_CREATED');
  }, 10_000);
});

describe('beforeDeadline', () => {
  it('gives what the work gives while there is time', async () => {
    await expect(beforeDeadline('work', Date.now() + 1_000, Date.now, async () => 7)).resolves.toBe(
      7,
    );
  });

  it('gives up at the deadline, and starts nothing past it', async () => {
    const started = Date.now();
    await expect(beforeDeadline('hung', started + 100, Date.now, never)).rejects.toThrow(
      DeadlineError,
    );
    expect(Date.now() - started).toBeLessThan(1_000);
    let ran = false;
    await expect(
      beforeDeadline('late', Date.now() - 1, Date.now, async () => {
        ran = true;
      }),
    ).rejects.toThrow("late: not done by the invocation's deadline");
    expect(ran).toBe(false);
  });

  it('keeps a margin of the invocation to report in', () => {
    const now = Date.now();
    const until = deadlineOf({ getRemainingTimeInMillis: () => 1_500 }, now);
    expect(until).toBeLessThan(now + 1_500);
    expect(until).toBeGreaterThan(now);
  });
});
