import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { SSMClient } from '@aws-sdk/client-ssm';
import { fromHttpApiEvent, toHttpApiResult } from '../lib/api-gateway';
import { loadIngestConfig } from '../lib/config';
import { handleIngest } from '../lib/ingest';
import { logger } from '../lib/logger';
import { emfCounters } from '../lib/metrics';
import { sqsEventQueue } from '../lib/queue';
import { ssmSecretSource, staticSecretSource } from '../lib/secrets';
import { createSqsClient } from '../lib/sqs-client';

const config = loadIngestConfig();
const queue = sqsEventQueue(createSqsClient(), config.queueUrls);
const secrets =
  config.secrets.source === 'ssm'
    ? ssmSecretSource(new SSMClient({ maxAttempts: 3 }), config.secrets.path)
    : staticSecretSource(config.secrets.values);
const counters = emfCounters();

export const handler = async (
  event: APIGatewayProxyEventV2,
): Promise<APIGatewayProxyStructuredResultV2> => {
  try {
    const request = fromHttpApiEvent(event);
    return toHttpApiResult(
      await handleIngest(request, { config, secrets, queue, log: logger, counters }),
    );
  } finally {
    counters.flush();
  }
};
