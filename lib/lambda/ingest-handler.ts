import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyStructuredResultV2,
  Context,
} from 'aws-lambda';
import { fromHttpApiEvent, toHttpApiResult } from '../aws/http-api';
import { logger } from '../aws/logger';
import { emfCounters } from '../aws/metrics';
import { createSqsClient } from '../aws/sqs-client';
import { sqsEventQueue } from '../aws/sqs-event-queue';
import { createSsmClient } from '../aws/ssm-client';
import { ssmSecretSource } from '../aws/ssm-secret-source';
import { loadIngestConfig } from '../config/ingest';
import { handleIngest } from '../ingest/handle-ingest';
import { fixedSecretSource } from '../ports/secret-source';

/** The longest a request waits for the secrets (a cold start in an SSM burst retries that long). */
const SECRETS_BUDGET_MS = 6_000;
/** Kept back from the invocation's remaining time for queueing the event and answering. */
const ANSWER_MARGIN_MS = 2_000;

/** When reading the secrets must give up: SECRETS_BUDGET_MS, or less when time is short. */
function secretsDeadline(context?: Pick<Context, 'getRemainingTimeInMillis'>): number {
  const remaining = context?.getRemainingTimeInMillis() ?? SECRETS_BUDGET_MS + ANSWER_MARGIN_MS;
  return Date.now() + Math.max(0, Math.min(SECRETS_BUDGET_MS, remaining - ANSWER_MARGIN_MS));
}

/**
 * The ingest Lambda handler: configuration read and clients built once per container, metrics
 * published once per invocation.
 */
export function ingestHandler(): (
  event: APIGatewayProxyEventV2,
  /** Lambda always passes it; a caller without one gets the full budget. */
  context?: Pick<Context, 'getRemainingTimeInMillis'>,
) => Promise<APIGatewayProxyStructuredResultV2> {
  const config = loadIngestConfig();
  const queue = sqsEventQueue(
    createSqsClient(config.sqsEndpoint === undefined ? {} : { endpoint: config.sqsEndpoint }),
    config.queueUrls,
  );
  const secrets =
    config.secrets.source === 'ssm'
      ? ssmSecretSource(createSsmClient(1), config.secrets.path)
      : fixedSecretSource(config.secrets.values);
  const counters = emfCounters(config.metricsNamespace);
  return async (event, context) => {
    try {
      const request = fromHttpApiEvent(event);
      const deps = { config, secrets, queue, log: logger, counters };
      return toHttpApiResult(
        await handleIngest(request, { ...deps, secretsDeadline: secretsDeadline(context) }),
      );
    } finally {
      counters.flush();
    }
  };
}
