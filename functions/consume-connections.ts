import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { loadConsumerConfig } from '../lib/config';
import { consumer } from '../lib/consume';
import { createDocumentClient } from '../lib/dynamodb-client';
import { logger } from '../lib/logger';
import { emfCounters } from '../lib/metrics';

const { table } = loadConsumerConfig('connections');
const counters = emfCounters();
const consume = consumer('connections', {
  db: createDocumentClient(),
  table,
  log: logger,
  counters,
});

export const handler = async (event: SQSEvent): Promise<SQSBatchResponse> => {
  try {
    return await consume(event);
  } finally {
    counters.flush();
  }
};
