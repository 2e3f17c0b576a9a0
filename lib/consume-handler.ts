import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { loadConsumerConfig } from './config';
import { consumer } from './consume';
import { createDocumentClient } from './dynamodb-client';
import type { Kind } from './kinds';
import { logger } from './logger';
import { emfCounters } from './metrics';

/**
 * The Lambda handler of one kind's consumer: configuration read and clients built once per
 * container, metrics published once per invocation.
 */
export function consumerHandler(kind: Kind): (event: SQSEvent) => Promise<SQSBatchResponse> {
  const { table } = loadConsumerConfig(kind);
  const counters = emfCounters();
  const consume = consumer(kind, { db: createDocumentClient(), table, log: logger, counters });
  return async (event) => {
    try {
      return await consume(event);
    } finally {
      counters.flush();
    }
  };
}
