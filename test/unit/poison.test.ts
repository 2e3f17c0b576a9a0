import type { SQSClient } from '@aws-sdk/client-sqs';
import { redriveDeadLetters } from '../../lib/aws/dead-letters';
import { sqsDeadLetterQueue } from '../../lib/aws/sqs-dead-letter-queue';
import { batchConsumer, type ConsumerDeps } from '../../lib/consumer/consume-batch';
import { poisonReason } from '../../lib/consumer/poison';
import type { DeadLetterQueue, PoisonLetter } from '../../lib/ports/dead-letter-queue';
import type { EventStore } from '../../lib/ports/event-store';
import { ENTITIES } from '../../lib/records/entities';
import { messageGroupId } from '../../lib/records/message-group';
import type { StoredEvent } from '../../lib/records/stored-event';
import { PoisonMessageError } from '../../lib/webhook/envelope';
import { recordingCounters, recordingLog, recordingNotifier } from '../support/doubles';
import { envelopeOf, sqsRecord } from '../support/events';
import { jobLifecycle, SUCCESS_WITH_DISCOVERY } from '../support/lifecycle';
import { memoryStore } from '../support/memory-store';

/** Nine events of one job, each its own event (the status differs). */
const NINE = SUCCESS_WITH_DISCOVERY;

/** A job event's record as a FIFO queue delivers it: in its job's message group. */
const fifoRecord = (payload: Record<string, unknown>, messageId: string, receiveCount = 1) => {
  const record = sqsRecord(envelopeOf('jobs', payload), { messageId });
  record.attributes.MessageGroupId = messageGroupId(ENTITIES.jobs.key(payload));
  record.attributes.ApproximateReceiveCount = String(receiveCount);
  return record;
};

/** A record that is not an event envelope, in `group`. */
const garbage = (messageId: string, group: string, receiveCount = 1) => {
  const record = sqsRecord('garbage, not an envelope', { messageId });
  record.attributes.MessageGroupId = group;
  record.attributes.ApproximateReceiveCount = String(receiveCount);
  return record;
};

interface RecordingDeadLetters extends DeadLetterQueue {
  letters: PoisonLetter[];
  /** While set, send throws (an unreachable SQS). */
  failing: boolean;
}

function recordingDeadLetters(): RecordingDeadLetters {
  const queue: RecordingDeadLetters = {
    letters: [],
    failing: false,
    async send(letter) {
      if (queue.failing)
        throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
      queue.letters.push(letter);
    },
  };
  return queue;
}

const NOW = Date.parse('2026-11-30T06:00:00.000Z');

function consumerWith(store: EventStore, deadLetters: DeadLetterQueue) {
  const log = recordingLog();
  const counters = recordingCounters();
  const deps: ConsumerDeps = {
    store,
    notifier: recordingNotifier(),
    deadLetters,
    log,
    counters,
    now: () => NOW,
  };
  return { consume: batchConsumer('jobs', deps), log, counters };
}

/** An error as the AWS SDK throws it: a name, a message, sometimes a code. */
const awsError = (name: string, message = name, code?: string): Error =>
  Object.assign(new Error(message), { name, ...(code !== undefined && { code }) });

describe('batchConsumer: a poison record leaves its group at once', () => {
  it('dead-letters an undecodable record ahead of nine good ones of its group, and stores the nine in the same invocation', async () => {
    const store = memoryStore();
    const dlq = recordingDeadLetters();
    const { consume, log, counters } = consumerWith(store, dlq);
    const events = jobLifecycle(NINE, { s3Root: 'poison/one-group' });
    const group = messageGroupId(ENTITIES.jobs.key(events[0] ?? {}));
    const result = await consume({
      Records: [garbage('poison', group, 2), ...events.map((e, i) => fifoRecord(e, `good-${i}`))],
    });
    expect(result.batchItemFailures).toEqual([]);
    expect((await store.getJob('poison/one-group'))?.event_count).toBe(9);
    expect(dlq.letters).toEqual([
      {
        body: 'garbage, not an envelope',
        groupId: group,
        sourceMessageId: 'poison',
        reason: 'message body is not JSON',
        error: 'PoisonMessageError',
        failedAt: '2026-11-30T06:00:00.000Z',
        receiveCount: 2,
      },
    ]);
    expect(log.lines.filter((l) => l.message === 'record dead-lettered')).toEqual([
      {
        level: 'warn',
        message: 'record dead-lettered',
        fields: {
          messageId: 'poison',
          kind: 'jobs',
          receiveCount: '2',
          error: 'PoisonMessageError',
          reason: 'message body is not JSON',
        },
      },
    ]);
    expect(log.lines.filter((l) => l.message === 'record failed')).toEqual([]);
    expect(counters.counted.filter((c) => c.name !== 'notified')).toEqual([
      { name: 'deadLettered', dimensions: { kind: 'jobs' }, value: 1 },
      { name: 'processed', dimensions: { kind: 'jobs' }, value: 9 },
    ]);
  });

  it('dead-letters an invalid payload and an event on the wrong queue, with their reasons and no payload', async () => {
    const dlq = recordingDeadLetters();
    const { consume } = consumerWith(memoryStore(), dlq);
    const [event] = jobLifecycle(['JOB_CREATED'], { s3Root: 'poison/invalid' });
    const result = await consume({
      Records: [
        fifoRecord({ ...event, s3_root: '', secret: 'hunter2' }, 'invalid'),
        sqsRecord(envelopeOf('discover', { tenant: 'hunter2' }), { messageId: 'wrong-queue' }),
      ],
    });
    expect(result.batchItemFailures).toEqual([]);
    expect(dlq.letters.map((l) => [l.sourceMessageId, l.reason])).toEqual([
      [
        'invalid',
        'invalid jobs event: s3_root must be a non-empty string of at most 1024 characters',
      ],
      ['wrong-queue', 'a discover event on the jobs queue'],
    ]);
    expect(JSON.stringify(dlq.letters.map(({ body: _, ...why }) => why))).not.toContain('hunter2');
    // No group (never on a FIFO queue): the letter still has one, its message id.
    expect(dlq.letters[1]?.groupId).toBe('wrong-queue');
  });

  it('dead-letters an event DynamoDB refuses (ValidationException) and stores its entity’s other events', async () => {
    const store = memoryStore();
    const tooLarge = (e: StoredEvent) => e.payload.status === 'SYNC_STARTED';
    const refusing: EventStore = {
      ...store,
      storeAll: async (kind, events) => {
        if (events.some(tooLarge))
          throw awsError('ValidationException', 'Item size has exceeded the maximum allowed size');
        return store.storeAll(kind, events);
      },
      store: async (kind, event) => {
        if (tooLarge(event))
          throw awsError('ValidationException', 'Item size has exceeded the maximum allowed size');
        return store.store(kind, event);
      },
    };
    const dlq = recordingDeadLetters();
    const { consume } = consumerWith(refusing, dlq);
    const events = jobLifecycle(['JOB_CREATED', 'SYNC_STARTED', 'SYNC_SUCCESS'], {
      s3Root: 'poison/too-large',
    });
    const result = await consume({ Records: events.map((e, i) => fifoRecord(e, `m${i}`)) });
    expect(result.batchItemFailures).toEqual([]);
    expect(dlq.letters.map((l) => [l.sourceMessageId, l.error, l.reason])).toEqual([
      [
        'm1',
        'ValidationException',
        'DynamoDB refused the event: Item size has exceeded the maximum allowed size',
      ],
    ]);
    const job = await store.getJob('poison/too-large');
    expect([job?.event_count, job?.status]).toEqual([2, 'SYNC_SUCCESS']);
  });

  it('fails a poison record and holds its group when the dead-letter queue does not take it; other groups go on', async () => {
    const store = memoryStore();
    const dlq = recordingDeadLetters();
    dlq.failing = true;
    const { consume, log } = consumerWith(store, dlq);
    const [a1, a2] = jobLifecycle(['JOB_CREATED', 'SYNC_STARTED'], { s3Root: 'poison/held' });
    const [b1] = jobLifecycle(['JOB_CREATED'], { s3Root: 'poison/other' });
    const group = messageGroupId(ENTITIES.jobs.key(a1 ?? {}));
    const result = await consume({
      Records: [
        fifoRecord(a1 ?? {}, 'a1'),
        garbage('a-poison', group),
        fifoRecord(b1 ?? {}, 'b1'),
        fifoRecord(a2 ?? {}, 'a2'),
      ],
    });
    // Before it stored; behind it reported failed, to come again in order (its letter is sent
    // while the rest are stored, so it may be stored already: storing again is safe); the other
    // group stored.
    expect(result.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(['a-poison', 'a2']);
    expect((await store.getJob('poison/held'))?.event_count).toBeGreaterThanOrEqual(1);
    expect((await store.getJob('poison/other'))?.event_count).toBe(1);
    expect(log.lines.find((l) => l.message === 'dead letter not sent')?.fields).toMatchObject({
      messageId: 'a-poison',
      error: 'Error',
    });
  });

  it('keeps a letter done when a record before it in its group fails, and counts it once', async () => {
    const store = memoryStore();
    const throttled: EventStore = {
      ...store,
      storeAll: () => Promise.reject(awsError('ThrottlingException')),
      store: () => Promise.reject(awsError('ThrottlingException')),
    };
    const dlq = recordingDeadLetters();
    const { consume, counters } = consumerWith(throttled, dlq);
    const [a1] = jobLifecycle(['JOB_CREATED'], { s3Root: 'poison/after-failure' });
    const group = messageGroupId(ENTITIES.jobs.key(a1 ?? {}));
    const result = await consume({
      Records: [fifoRecord(a1 ?? {}, 'r1-good'), garbage('r2-poison', group)],
    });
    // r1 comes back; r2 is in the DLQ and must not come back to be dead-lettered again.
    expect(result.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(['r1-good']);
    expect(dlq.letters.map((l) => l.sourceMessageId)).toEqual(['r2-poison']);
    expect(counters.counted.filter((c) => c.name === 'failed').map((c) => c.value)).toEqual([1]);
  });

  it('gives a letter the DLQ never answers at most its own time, not the other groups’', async () => {
    const store = memoryStore();
    let until = Infinity;
    // A DLQ that takes the request and never answers: it gives up only at the deadline it is given.
    const hung: DeadLetterQueue = {
      send: async (_letter, deadline) => {
        until = deadline ?? Infinity;
        await new Promise((resolve) => setTimeout(resolve, 50));
        throw awsError('AbortError');
      },
    };
    const { consume } = consumerWith(store, hung);
    const [b1] = jobLifecycle(['JOB_CREATED'], { s3Root: 'poison/beside-hung' });
    const result = await consume(
      { Records: [garbage('a-poison', 'group-a'), fifoRecord(b1 ?? {}, 'b1')] },
      { getRemainingTimeInMillis: () => 60_000 },
    );
    expect(until - NOW).toBeLessThanOrEqual(5_000);
    expect(result.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(['a-poison']);
    expect((await store.getJob('poison/beside-hung'))?.event_count).toBe(1);
  });

  it.each([
    ['a conditional-check conflict', awsError('ConditionalCheckFailedException')],
    ['a throttle', awsError('ProvisionedThroughputExceededException')],
    ['a request timeout', awsError('TimeoutError')],
    ['a call given up at the deadline', awsError('AbortError')],
    ['a network error', awsError('Error', 'socket hang up', 'ECONNRESET')],
    ['an access denial', awsError('AccessDeniedException')],
  ])(
    'treats %s as transient: the record fails and holds its group, nothing is dead-lettered',
    async (_, error) => {
      const store = memoryStore();
      const failing: EventStore = {
        ...store,
        storeAll: async () => {
          throw error;
        },
        store: async () => {
          throw error;
        },
      };
      const dlq = recordingDeadLetters();
      const { consume } = consumerWith(failing, dlq);
      const events = jobLifecycle(['JOB_CREATED', 'SYNC_STARTED'], { s3Root: 'poison/transient' });
      const result = await consume({ Records: events.map((e, i) => fifoRecord(e, `t${i}`)) });
      expect(result.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(['t0', 't1']);
      expect(dlq.letters).toEqual([]);
    },
  );
});

describe('poisonReason', () => {
  it('names only what can never succeed, in a short text', () => {
    expect(poisonReason(new PoisonMessageError('event body is not JSON'))).toBe(
      'event body is not JSON',
    );
    expect(
      poisonReason(
        awsError(
          'ValidationException',
          `Item size has exceeded the maximum allowed size ${'x'.repeat(1_000)}`,
        ),
      )?.length,
    ).toBe(256);
    expect(
      poisonReason(
        awsError(
          'ValidationException',
          'One or more parameter values were invalid: Type mismatch for Index Key tenant',
        ),
      ),
    ).toMatch(/Type mismatch/);
    // A ValidationException of a malformed request is the deploy's bug, not the event's: transient.
    expect(
      poisonReason(awsError('ValidationException', 'Invalid UpdateExpression: Syntax error')),
    ).toBeUndefined();
    for (const name of ['ConditionalCheckFailedException', 'ThrottlingException', 'TimeoutError'])
      expect(poisonReason(awsError(name))).toBeUndefined();
    expect(poisonReason('ValidationException')).toBeUndefined();
  });
});

describe('sqsDeadLetterQueue', () => {
  it('sends a letter in its group, deduplicated by its message id, with why in its attributes', async () => {
    const calls: { input: unknown; options: unknown }[] = [];
    const client = {
      send: async (command: { input: unknown }, options: unknown) => {
        calls.push({ input: command.input, options });
        return { MessageId: 'letter-1' };
      },
    } as unknown as SQSClient;
    await sqsDeadLetterQueue(client, 'https://sqs.example/jobs-dlq.fifo').send(
      {
        body: 'the body',
        groupId: 'g-1',
        sourceMessageId: 'm-1',
        reason: 'message body is not JSON',
        error: 'PoisonMessageError',
        failedAt: '2026-11-30T06:00:00.000Z',
        receiveCount: 3,
      },
      Date.now() + 5_000,
    );
    expect(calls).toEqual([
      {
        input: {
          QueueUrl: 'https://sqs.example/jobs-dlq.fifo',
          MessageBody: 'the body',
          MessageGroupId: 'g-1',
          MessageDeduplicationId: 'poison-m-1',
          MessageAttributes: {
            reason: { DataType: 'String', StringValue: 'message body is not JSON' },
            error: { DataType: 'String', StringValue: 'PoisonMessageError' },
            failed_at: { DataType: 'String', StringValue: '2026-11-30T06:00:00.000Z' },
            receive_count: { DataType: 'Number', StringValue: '3' },
            source_message_id: { DataType: 'String', StringValue: 'm-1' },
          },
        },
        // Given up at the deadline.
        options: { abortSignal: expect.any(AbortSignal) },
      },
    ]);
  });
});

describe('redriveDeadLetters', () => {
  /**
   * A FIFO DLQ and its queue, in memory, whose consumer sends a redriven poison record straight
   * back to the DLQ (with a new message id, naming the redriven one as its source).
   */
  function bouncingQueues() {
    let ids = 0;
    const dlq: {
      id: string;
      body: string;
      attributes: Record<string, unknown>;
      hidden: boolean;
    }[] = [];
    const sentToQueue: { input: Record<string, unknown> }[] = [];
    const letter = (body: string, attributes: Record<string, unknown>) =>
      dlq.push({ id: `letter-${(ids += 1)}`, body, attributes, hidden: false });
    const client = {
      send: async (command: { input: Record<string, unknown> }) => {
        const name = command.constructor.name;
        if (name === 'ReceiveMessageCommand') {
          const visible = dlq.filter((m) => !m.hidden).slice(0, 1);
          for (const m of visible) m.hidden = true;
          return {
            Messages: visible.map((m) => ({
              MessageId: m.id,
              ReceiptHandle: m.id,
              Body: m.body,
              Attributes: { MessageGroupId: 'g' },
              MessageAttributes: m.attributes,
            })),
          };
        }
        if (name === 'DeleteMessageCommand') {
          dlq.splice(
            dlq.findIndex((m) => m.id === command.input.ReceiptHandle),
            1,
          );
          return {};
        }
        if (name === 'SendMessageCommand') {
          sentToQueue.push(command);
          const id = `queued-${(ids += 1)}`;
          letter(String(command.input.MessageBody), {
            reason: { DataType: 'String', StringValue: 'message body is not JSON' },
            source_message_id: { DataType: 'String', StringValue: id },
          });
          return { MessageId: id };
        }
        throw new Error(`unexpected ${name}`);
      },
    } as unknown as SQSClient;
    return { client, dlq, sentToQueue, letter };
  }

  it('moves a letter back once, without why it died, and leaves it when it comes straight back', async () => {
    const { client, dlq, sentToQueue, letter } = bouncingQueues();
    letter('garbage', {
      reason: { DataType: 'String', StringValue: 'message body is not JSON' },
      error: { DataType: 'String', StringValue: 'PoisonMessageError' },
      failed_at: { DataType: 'String', StringValue: '2026-11-30T06:00:00.000Z' },
      receive_count: { DataType: 'Number', StringValue: '1' },
      source_message_id: { DataType: 'String', StringValue: 'm-0' },
      trace: { DataType: 'String', StringValue: 'kept' },
    });
    const result = await redriveDeadLetters(client, 'dlq', 'queue', Number.MAX_SAFE_INTEGER);
    expect(result).toEqual({ moved: 1, back: 1 });
    expect(sentToQueue.map((c) => c.input)).toEqual([
      {
        QueueUrl: 'queue',
        MessageBody: 'garbage',
        MessageGroupId: 'g',
        MessageDeduplicationId: 'redrive-letter-1',
        MessageAttributes: { trace: { DataType: 'String', StringValue: 'kept' } },
      },
    ]);
    // It waits in the DLQ again, with why.
    expect(dlq.map((m) => m.body)).toEqual(['garbage']);
  });
});
