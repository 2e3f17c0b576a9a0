import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { createDocumentClient } from '../aws/dynamodb-client';
import { dynamoDbEventStore } from '../aws/dynamodb/dynamodb-store';
import { logger } from '../aws/logger';
import { emfCounters } from '../aws/metrics';
import { createSqsClient } from '../aws/sqs-client';
import { sqsDeadLetterQueue } from '../aws/sqs-dead-letter-queue';
import { loadConsumerConfig } from '../config/consumer';
import { batchConsumer } from '../consumer/consume-batch';
import { notifierFor } from './notifier';
import type { Kind } from '../webhook/kinds';

/**
 * The Lambda handler of one kind's consumer: configuration read and clients built once per
 * container, metrics published once per invocation, retries and waits bounded by the
 * invocation's remaining time (see deadlineOf).
 */
export function consumerHandler(
  kind: Kind,
): (event: SQSEvent, context: Context) => Promise<SQSBatchResponse> {
  const config = loadConsumerConfig(kind);
  const counters = emfCounters(config.metricsNamespace);
  const store = dynamoDbEventStore(
    createDocumentClient(),
    { [kind]: config.table },
    {
      historyRetentionDays: config.historyRetentionDays,
      recordRetentionDays: config.recordRetentionDays,
    },
  );
  const deadLetters = sqsDeadLetterQueue(
    createSqsClient(config.sqsEndpoint === undefined ? {} : { endpoint: config.sqsEndpoint }),
    config.deadLetterQueueUrl,
  );
  const consume = batchConsumer(kind, {
    store,
    notifier: notifierFor(config.notifications),
    deadLetters,
    log: logger,
    counters,
  });
  return async (event, context) => {
    try {
      return await consume(event, context);
    } finally {
      counters.flush();
    }
  };
}
