import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { QueueUnavailableError, type EventQueue } from '../ports/event-queue';
import type { Kind } from '../webhook/kinds';
import { sendUntil } from './request-limits';

/**
 * An EventQueue over SQS: one FIFO queue per kind, for the kinds this process sends
 * (reconciliation sends only jobs). Any failure of SQS, and a send still going at `until`
 * (aborted then), becomes a QueueUnavailableError.
 */
export function sqsEventQueue(
  client: SQSClient,
  queueUrls: Partial<Record<Kind, string>>,
): EventQueue {
  return {
    async send(kind, { body, groupId, deduplicationId }, until) {
      if (queueUrls[kind] === undefined) throw new Error(`no ${kind} queue configured`);
      try {
        const result = await client.send(
          new SendMessageCommand({
            QueueUrl: queueUrls[kind],
            MessageBody: body,
            MessageGroupId: groupId,
            MessageDeduplicationId: deduplicationId,
          }),
          sendUntil(until),
        );
        if (result.MessageId === undefined) throw new Error('SQS returned no MessageId');
        return { messageId: result.MessageId };
      } catch (error) {
        throw new QueueUnavailableError(error);
      }
    },
  };
}
