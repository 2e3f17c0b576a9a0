import {
  CreateQueueCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { listDeadLetters, redriveDeadLetters } from '../../lib/aws/dead-letters';
import { getJob } from '../../lib/aws/dynamodb/queries';
import { lambdaContext } from '../../lib/local/http-gateway';
import { LOCAL_CREDENTIALS, localSqsClient } from '../../lib/local/local-stack-facts';
import { queueOrder } from '../../lib/records/message-group';
import { buildEnvelope } from '../../lib/webhook/envelope';
import { eventKey } from '../../lib/webhook/event-key';
import { createProjectTables, documentClient, startDynalite } from '../support/dynamo-servers';
import { jobLifecycle, SUCCESS_WITH_DISCOVERY } from '../support/lifecycle';
import { startFauxqsProcess } from '../support/processes';

/**
 * A poison record over the real protocols: the consumer handler (functions/consume-jobs, with its
 * configuration, its SQS and DynamoDB clients) against dynalite and fauxqs. fauxqs hands out one
 * message of a group at a time, so the test takes ten real queued messages of one group one by one,
 * as SQS would hand them to Lambda in one batch, and invokes the handler once with all ten.
 */
type Handler = (
  event: SQSEvent,
  context: ReturnType<typeof lambdaContext>,
) => Promise<SQSBatchResponse>;

let dynamo: { endpoint: string; stop: () => Promise<void> };
let fauxqs: { endpoint: string; stop: () => Promise<void> };
let sqs: SQSClient;
let tables: Awaited<ReturnType<typeof createProjectTables>>;
let queueUrl: string;
let dlqUrl: string;

const savedEnv = { ...process.env };

beforeAll(async () => {
  [dynamo, fauxqs] = await Promise.all([startDynalite(), startFauxqsProcess()]);
  tables = await createProjectTables(dynamo.endpoint);
  sqs = localSqsClient(fauxqs.endpoint, 'us-east-1');
  const create = async (name: string, attributes: Record<string, string>) =>
    (await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes })))
      .QueueUrl ?? '';
  dlqUrl = await create('poison-jobs-dlq.fifo', { FifoQueue: 'true' });
  queueUrl = await create('poison-jobs.fifo', {
    FifoQueue: 'true',
    DeduplicationScope: 'messageGroup',
    FifoThroughputLimit: 'perMessageGroupId',
  });
}, 60_000);

afterAll(async () => {
  process.env = { ...savedEnv };
  sqs?.destroy();
  await Promise.all([dynamo?.stop(), fauxqs?.stop()]);
});

/** Loads functions/consume-jobs afresh with its environment, as a Lambda cold start would. */
function loadConsumer(): Handler {
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_SQS: fauxqs.endpoint,
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    JOBS_TABLE: tables.jobs,
    JOBS_DEAD_LETTER_QUEUE_URL: dlqUrl,
    EVENT_BUS_NAME: '',
    POWERTOOLS_METRICS_DISABLED: 'true',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
  });
  let handler: Handler | undefined;
  jest.isolateModules(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a fresh module per cold start
    handler = (require('../../functions/consume-jobs') as { handler: Handler }).handler;
  });
  return handler as Handler;
}

/** A received message as Lambda's SQS event source hands it to the function. */
const toRecord = (m: Message): SQSRecord => ({
  messageId: m.MessageId ?? '',
  receiptHandle: m.ReceiptHandle ?? '',
  body: m.Body ?? '',
  attributes: {
    ApproximateReceiveCount: m.Attributes?.ApproximateReceiveCount ?? '1',
    SentTimestamp: m.Attributes?.SentTimestamp ?? '',
    SenderId: m.Attributes?.SenderId ?? '',
    ApproximateFirstReceiveTimestamp: m.Attributes?.ApproximateFirstReceiveTimestamp ?? '',
    MessageGroupId: m.Attributes?.MessageGroupId,
    MessageDeduplicationId: m.Attributes?.MessageDeduplicationId,
  },
  messageAttributes: {},
  md5OfBody: m.MD5OfBody ?? '',
  eventSource: 'aws:sqs',
  eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:poison-jobs.fifo',
  awsRegion: 'us-east-1',
});

/** Every message of `url`, in order, each taken (received and deleted) as fauxqs hands it out. */
async function takeAll(url: string): Promise<Message[]> {
  const taken: Message[] = [];
  for (;;) {
    const got = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: url,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
    );
    if ((got.Messages ?? []).length === 0) return taken;
    for (const m of got.Messages ?? []) {
      taken.push(m);
      await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle }));
    }
  }
}

describe('a poison record ahead of nine good ones of one group, over fauxqs and dynalite', () => {
  it('goes to the DLQ with its reason, while the nine are stored in the same invocation', async () => {
    const events = jobLifecycle(SUCCESS_WITH_DISCOVERY, { s3Root: 'it/poison/1' });
    const group = queueOrder('jobs', events[0] ?? {}, '').groupId;
    expect(group).toBe(queueOrder('jobs', events[8] ?? {}, '').groupId);
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: 'garbage, not an envelope',
        MessageGroupId: group,
        MessageDeduplicationId: 'it-poison-garbage',
      }),
    );
    for (const payload of events) {
      const key = eventKey('jobs', payload);
      const order = queueOrder('jobs', payload, key);
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: queueUrl,
          MessageBody: buildEnvelope({
            kind: 'jobs',
            body: Buffer.from(JSON.stringify(payload)),
            receivedAt: new Date(),
            requestId: `it-${String(payload.status)}`,
            eventKey: key,
          }),
          MessageGroupId: order.groupId,
          MessageDeduplicationId: order.deduplicationId,
        }),
      );
    }
    const batch = (await takeAll(queueUrl)).map(toRecord);
    expect(batch).toHaveLength(10);
    expect(new Set(batch.map((r) => r.attributes.MessageGroupId))).toEqual(new Set([group]));
    const [poison] = batch;

    const consume = loadConsumer();
    const result = await consume({ Records: batch }, lambdaContext('consumeJobs', 'it-1', 30));
    expect(result).toEqual({ batchItemFailures: [] });
    const db = documentClient(dynamo.endpoint);
    try {
      const job = await getJob(db, tables.jobs, 'it/poison/1');
      expect([job?.event_count, job?.status]).toEqual([9, 'JOB_COMPLETED']);
    } finally {
      db.destroy();
    }

    // A second delivery of the poison record (its invocation died before answering) is one letter.
    expect(
      await consume({ Records: [poison as SQSRecord] }, lambdaContext('consumeJobs', 'it-2', 30)),
    ).toEqual({ batchItemFailures: [] });

    const letters = await listDeadLetters(sqs, 'jobs', dlqUrl, 10);
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({
      queue: 'jobs',
      reason: 'message body is not JSON',
      error: 'PoisonMessageError',
      receiveCount: 1,
      sourceMessageId: poison?.messageId,
      unreadable: 'message body is not JSON',
    });
    expect(Date.parse(letters[0]?.failedAt ?? '')).toBeGreaterThan(Date.now() - 60_000);

    // Redriven to its queue in its group, without the reason it died for.
    expect(await redriveDeadLetters(sqs, dlqUrl, queueUrl, 10)).toEqual({ moved: 1, back: 0 });
    const [back] = await takeAll(queueUrl);
    expect(back?.Body).toBe('garbage, not an envelope');
    expect(back?.Attributes?.MessageGroupId).toBe(group);
    expect(back?.MessageAttributes ?? {}).toEqual({});
    expect(await takeAll(dlqUrl)).toEqual([]);
  }, 60_000);

  it('lists a letter SQS moved itself, which has no reason attribute, as failed after its receives', async () => {
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: dlqUrl,
        MessageBody: 'moved by the redrive policy',
        MessageGroupId: 'it-moved',
        MessageDeduplicationId: 'it-moved-1',
      }),
    );
    const [letter] = await listDeadLetters(sqs, 'jobs', dlqUrl, 10);
    expect(letter?.reason).toBe('failed 5 receives');
    expect(letter?.error).toBeUndefined();
    await takeAll(dlqUrl);
  }, 30_000);
});
