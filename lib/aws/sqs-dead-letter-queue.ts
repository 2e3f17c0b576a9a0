import {
  SendMessageCommand,
  type MessageAttributeValue,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { DeadLetterQueue, PoisonLetter } from '../ports/dead-letter-queue';
import { sendUntil } from './request-limits';

/**
 * The SQS message attributes of a letter a consumer dead-lettered, by field: why (a short text,
 * never the payload), the error's name, when, after how many receives, and the message's id on its
 * kind's queue. A letter SQS moved itself (after the redrive policy's receives) has none of them.
 */
export const LETTER_ATTRIBUTES = {
  reason: 'reason',
  error: 'error',
  failedAt: 'failed_at',
  receiveCount: 'receive_count',
  sourceMessageId: 'source_message_id',
} as const;

const text = (value: string): MessageAttributeValue => ({ DataType: 'String', StringValue: value });

/**
 * A kind's FIFO dead-letter queue over SQS, for its consumer. A letter keeps its message group,
 * and its deduplication id is derived from its message id on the kind's queue: a record delivered
 * again after its letter was sent (the invocation died before reporting it) is one letter.
 */
export function sqsDeadLetterQueue(client: SQSClient, queueUrl: string): DeadLetterQueue {
  return {
    async send(letter: PoisonLetter, until?: number) {
      await client.send(
        new SendMessageCommand({
          QueueUrl: queueUrl,
          MessageBody: letter.body,
          MessageGroupId: letter.groupId,
          MessageDeduplicationId: `poison-${letter.sourceMessageId}`,
          MessageAttributes: {
            [LETTER_ATTRIBUTES.reason]: text(letter.reason),
            [LETTER_ATTRIBUTES.error]: text(letter.error),
            [LETTER_ATTRIBUTES.failedAt]: text(letter.failedAt),
            [LETTER_ATTRIBUTES.receiveCount]: {
              DataType: 'Number',
              StringValue: String(letter.receiveCount),
            },
            [LETTER_ATTRIBUTES.sourceMessageId]: text(letter.sourceMessageId),
          },
        }),
        // Given up at the invocation's deadline: the record then fails, and comes back.
        sendUntil(until),
      );
    },
  };
}
