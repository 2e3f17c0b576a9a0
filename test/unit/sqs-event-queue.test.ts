import type { SQSClient } from '@aws-sdk/client-sqs';
import { sqsEventQueue } from '../../lib/aws/sqs-event-queue';
import { QueueUnavailableError } from '../../lib/ports/event-queue';

describe('sqsEventQueue', () => {
  const calls: unknown[] = [];
  const client = {
    send: async (command: { input: unknown }) => {
      calls.push(command.input);
      if (calls.length > 1) throw new Error('SQS down');
      return { MessageId: 'm-1' };
    },
  } as unknown as SQSClient;
  const queue = sqsEventQueue(client, { jobs: 'https://sqs.example/jobs' });

  const message = (body: string) => ({ body, groupId: 'g-1', deduplicationId: 'd-1' });

  it('sends a kind to its own queue in its group, and calls an SQS failure a QueueUnavailableError', async () => {
    expect(await queue.send('jobs', message('body'))).toEqual({ messageId: 'm-1' });
    expect(calls).toEqual([
      {
        QueueUrl: 'https://sqs.example/jobs',
        MessageBody: 'body',
        MessageGroupId: 'g-1',
        MessageDeduplicationId: 'd-1',
      },
    ]);
    await expect(queue.send('jobs', message('again'))).rejects.toThrow(QueueUnavailableError);
  });

  it('refuses a kind it has no queue for, without calling SQS (a wiring error, not an outage)', async () => {
    const before = calls.length;
    await expect(queue.send('discover', message('body'))).rejects.toThrow(
      'no discover queue configured',
    );
    await expect(queue.send('discover', message('body'))).rejects.not.toThrow(
      QueueUnavailableError,
    );
    expect(calls).toHaveLength(before);
  });
});
