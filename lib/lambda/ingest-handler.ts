import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { SSMClient } from '@aws-sdk/client-ssm';
import { fromHttpApiEvent, toHttpApiResult } from '../aws/http-api';
import { logger } from '../aws/logger';
import { emfCounters } from '../aws/metrics';
import { createSqsClient } from '../aws/sqs-client';
import { sqsEventQueue } from '../aws/sqs-event-queue';
import { ssmSecretSource } from '../aws/ssm-secret-source';
import { loadIngestConfig } from '../config/ingest';
import { handleIngest } from '../ingest/handle-ingest';
import { fixedSecretSource } from '../ports/secret-source';

/**
 * The ingest Lambda handler: configuration read and clients built once per container, metrics
 * published once per invocation.
 */
export function ingestHandler(): (
  event: APIGatewayProxyEventV2,
) => Promise<APIGatewayProxyStructuredResultV2> {
  const config = loadIngestConfig();
  const queue = sqsEventQueue(
    createSqsClient(config.sqsEndpoint === undefined ? {} : { endpoint: config.sqsEndpoint }),
    config.queueUrls,
  );
  const secrets =
    config.secrets.source === 'ssm'
      ? ssmSecretSource(new SSMClient({ maxAttempts: 3 }), config.secrets.path)
      : fixedSecretSource(config.secrets.values);
  const counters = emfCounters(config.metricsNamespace);
  return async (event) => {
    try {
      const request = fromHttpApiEvent(event);
      return toHttpApiResult(
        await handleIngest(request, { config, secrets, queue, log: logger, counters }),
      );
    } finally {
      counters.flush();
    }
  };
}
