import type { Context } from 'aws-lambda';
import { createDocumentClient } from '../aws/dynamodb-client';
import { dynamoDbEventStore, dynamoDbRecordQueries } from '../aws/dynamodb/dynamodb-store';
import { hotglueJobStatusApi } from '../aws/hotglue-api';
import { logger } from '../aws/logger';
import { emfCounters } from '../aws/metrics';
import { createSqsClient } from '../aws/sqs-client';
import { sqsEventQueue } from '../aws/sqs-event-queue';
import { createSsmClient } from '../aws/ssm-client';
import { readSecureString } from '../aws/ssm-secret-source';
import { loadReconcileConfig } from '../config/reconcile';
import { scheduledReconcile, type ScheduledReconcileSummary } from '../reconcile/scheduled';
import { notifierFor } from './notifier';

/**
 * Time kept back from the function's timeout (at most half of it): no poll starts later, and
 * every call still going then is given up, leaving this long to log and count the run.
 */
const STOP_BEFORE_TIMEOUT_MS = 30_000;

/**
 * The scheduled reconcile Lambda handler: configuration read and clients built once per
 * container; the API key read from SSM on every run (a new key works from the next run), and
 * metrics published once per run, failed runs included.
 */
export function reconcileHandler(): (
  event: unknown,
  context: Pick<Context, 'getRemainingTimeInMillis'>,
) => Promise<ScheduledReconcileSummary> {
  const config = loadReconcileConfig();
  const counters = emfCounters(config.metricsNamespace);
  const ssm = createSsmClient(3);
  const db = createDocumentClient();
  const deps = {
    store: dynamoDbEventStore(db, { jobs: config.jobsTable }),
    notifier: notifierFor(config.notifications),
    apiKey: (until?: number) => readSecureString(ssm, config.apiKeyParameter, until),
    api: (apiKey: string) => hotglueJobStatusApi({ baseUrl: config.hotglueApiUrl, apiKey }),
    queue: sqsEventQueue(
      createSqsClient(config.sqsEndpoint === undefined ? {} : { endpoint: config.sqsEndpoint }),
      { jobs: config.jobsQueueUrl },
    ),
    log: logger,
    counters,
  };
  return async (_event, context) => {
    const remaining = context.getRemainingTimeInMillis();
    const deadline = Date.now() + remaining - Math.min(STOP_BEFORE_TIMEOUT_MS, remaining / 2);
    try {
      // The queries of this run, each call given up at its deadline.
      const jobs = dynamoDbRecordQueries(db, { jobs: config.jobsTable }, deadline);
      return await scheduledReconcile(
        { ...deps, jobs },
        { afterMs: config.afterMs, lostAfterMs: config.lostAfterMs, deadline },
      );
    } finally {
      counters.flush();
    }
  };
}
