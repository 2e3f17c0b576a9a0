import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { listDeadLetters, redriveNotificationLetters } from '../../lib/aws/dead-letters';
import { eventBridgeNotifier } from '../../lib/aws/eventbridge-notifier';
import { LOCAL_CREDENTIALS, localSqsClient } from '../../lib/local/local-stack-facts';
import { recordChanges } from '../../lib/records/changes';
import { mergeJob } from '../support/merges';
import { jobKey } from '../../lib/records/entity-keys';
import { startFakeEventBridge } from '../support/fake-eventbridge';
import { jobLifecycle, stored, FAILURE } from '../support/lifecycle';
import { startFauxqsProcess } from '../support/processes';

/**
 * The notifications dead-letter queue of a deployed stage, with fauxqs for SQS and a PutEvents
 * fake for the bus: what EventBridge leaves there is listed, and redriven back onto the bus.
 */
let fauxqs: Awaited<ReturnType<typeof startFauxqsProcess>>;
let bus: Awaited<ReturnType<typeof startFakeEventBridge>>;

beforeAll(async () => {
  [fauxqs, bus] = await Promise.all([startFauxqsProcess(), startFakeEventBridge()]);
}, 30_000);
afterAll(async () => {
  await fauxqs.stop();
  await bus.close();
});

/** Messages in a queue, visible or not. */
async function messagesIn(sqs: SQSClient, url: string): Promise<number> {
  const { Attributes: a = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return Number(a.ApproximateNumberOfMessages) + Number(a.ApproximateNumberOfMessagesNotVisible);
}

/** A Job Failed notification as our consumer makes it, and as EventBridge delivers it to a DLQ. */
function deadLetterOf(root: string) {
  const record = mergeJob(jobLifecycle(FAILURE, { s3Root: root }).map((p) => stored(p)));
  const [notification] = recordChanges('jobs', jobKey(root), undefined, record, 'now');
  if (notification === undefined) throw new Error('no notification');
  const event = {
    version: '0',
    id: 'eventbridge-own-id',
    'detail-type': notification['detail-type'],
    source: notification.source,
    account: '123456789012',
    time: notification.time,
    region: 'us-east-1',
    resources: [],
    detail: notification.detail,
  };
  return { notification, body: JSON.stringify(event) };
}

it('lists what a rule could not deliver, and puts it back on the bus', async () => {
  const sqs = localSqsClient(fauxqs.endpoint, 'us-east-1');
  const events = new EventBridgeClient({
    endpoint: bus.endpoint,
    region: 'us-east-1',
    credentials: LOCAL_CREDENTIALS,
  });
  try {
    const url =
      (await sqs.send(new CreateQueueCommand({ QueueName: 'notifications-dlq-test' }))).QueueUrl ??
      '';
    const { notification, body } = deadLetterOf('dlq/notify/1');
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: url,
        MessageBody: body,
        MessageAttributes: {
          ERROR_CODE: { DataType: 'String', StringValue: 'SDK_CLIENT_ERROR' },
          ERROR_MESSAGE: { DataType: 'String', StringValue: 'Unable to invoke Lambda' },
          RULE_ARN: { DataType: 'String', StringValue: 'arn:aws:events:us-east-1:1:rule/b/r' },
        },
      }),
    );
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'not an event' }));

    const listed = await listDeadLetters(sqs, 'notifications', url, 10);
    expect(listed).toHaveLength(2);
    expect(listed.find((l) => l.detailType !== undefined)).toMatchObject({
      queue: 'notifications',
      detailType: 'Job Failed',
      notificationId: notification.id,
      error: 'SDK_CLIENT_ERROR: Unable to invoke Lambda',
      rule: 'arn:aws:events:us-east-1:1:rule/b/r',
    });
    expect(listed.find((l) => l.unreadable !== undefined)).toBeDefined();

    const result = await redriveNotificationLetters(
      sqs,
      url,
      eventBridgeNotifier(events, 'hotglue-webhooks-test'),
      100,
    );
    expect(result).toEqual({ moved: 1, left: 1 });
    expect(bus.entries).toHaveLength(1);
    expect(bus.entries[0]).toMatchObject({
      EventBusName: 'hotglue-webhooks-test',
      Source: 'hotglue-webhooks',
      DetailType: 'Job Failed',
    });
    expect(JSON.parse(bus.entries[0]?.Detail ?? '{}')).toEqual(notification.detail);
    // Only the unreadable message stays, for a person to look at.
    expect(await messagesIn(sqs, url)).toBe(1);
  } finally {
    sqs.destroy();
    events.destroy();
  }
});

it('keeps a dead letter when the bus refuses it again', async () => {
  const sqs = localSqsClient(fauxqs.endpoint, 'us-east-1');
  const events = new EventBridgeClient({
    endpoint: bus.endpoint,
    region: 'us-east-1',
    credentials: LOCAL_CREDENTIALS,
  });
  bus.failing = true;
  try {
    const url =
      (await sqs.send(new CreateQueueCommand({ QueueName: 'notifications-dlq-refused' })))
        .QueueUrl ?? '';
    await sqs.send(
      new SendMessageCommand({ QueueUrl: url, MessageBody: deadLetterOf('dlq/notify/2').body }),
    );
    await expect(
      redriveNotificationLetters(sqs, url, eventBridgeNotifier(events, 'b'), 100),
    ).rejects.toThrow(/EventBridge refused 1 events/);
    // It is still in the queue (hidden until its visibility timeout ends), not lost.
    expect(await messagesIn(sqs, url)).toBe(1);
  } finally {
    bus.failing = false;
    sqs.destroy();
    events.destroy();
  }
}, 60_000);
