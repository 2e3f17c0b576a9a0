import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';

/** Messages in a queue: waiting plus in flight (received, not yet deleted). Approximate, as SQS says. */
export async function queueDepth(sqs: SQSClient, queueUrl: string): Promise<number> {
  const got = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return (
    Number(got.Attributes?.ApproximateNumberOfMessages ?? 0) +
    Number(got.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0)
  );
}
