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
import { fixedSecretSource, warnOfWeakSecrets } from '../ports/secret-source';

/** The longest a request waits for the secrets (a cold start in an SSM burst retries that long). */
const SECRETS_BUDGET_MS = 6_000;
/** The least time left for queueing the event once the secrets are read, when time is short. */
const QUEUE_RESERVE_MS = 2_000;
/** Kept back from the invocation's remaining time to answer (503 when the event is not queued). */
const ANSWER_MARGIN_MS = 1_000;
/** The remaining time assumed without a context: the function's timeout in serverless.yml. */
const NO_CONTEXT_MS = 10_000;

/**
 * When reading the secrets and queueing the event must give up (epoch ms): the queue by the
 * remaining time less ANSWER_MARGIN_MS, the secrets by SECRETS_BUDGET_MS, or sooner so that
 * QUEUE_RESERVE_MS is left for the queue. With a 10 s timeout: secrets by 6 s, queue by 9 s.
 */
function deadlines(context?: Pick<Context, 'getRemainingTimeInMillis'>): {
  secretsDeadline: number;
  queueDeadline: number;
} {
  const now = Date.now();
  const remaining = context?.getRemainingTimeInMillis() ?? NO_CONTEXT_MS;
  const queueDeadline = now + Math.max(0, remaining - ANSWER_MARGIN_MS);
  const secretsDeadline = Math.min(now + SECRETS_BUDGET_MS, queueDeadline - QUEUE_RESERVE_MS);
  return { secretsDeadline: Math.max(now, secretsDeadline), queueDeadline };
}

/**
 * The ingest Lambda handler: configuration read and clients built once per container, metrics
 * published once per invocation, and every call ended in time to answer (see deadlines).
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
  // A short secret is the one set in hotglue: warned of once, never refused.
  const secrets = warnOfWeakSecrets(
    config.secrets.source === 'ssm'
      ? ssmSecretSource(createSsmClient(1), config.secrets.path)
      : fixedSecretSource(config.secrets.values),
    logger,
  );
  const counters = emfCounters(config.metricsNamespace);
  return async (event, context) => {
    try {
      const request = fromHttpApiEvent(event);
      const deps = { config, secrets, queue, log: logger, counters };
      return toHttpApiResult(await handleIngest(request, { ...deps, ...deadlines(context) }));
    } finally {
      counters.flush();
    }
  };
}
