import { dynamoDbRecordQueries } from '../aws/dynamodb/dynamodb-store';
import { hotglueJobStatusApi } from '../aws/hotglue-api';
import { sqsEventQueue } from '../aws/sqs-event-queue';
import { ApiKeyRejectedError } from '../ports/job-status';
import { reconcile, RECONCILE_DEFAULTS } from '../reconcile/reconcile';
import {
  localDocumentClient,
  localQueueUrls,
  localSqsClient,
  localTables,
  type LocalStackInfo,
} from './local-stack-facts';

export interface ReconcileLoopOptions {
  info: LocalStackInfo;
  apiUrl: string;
  apiKey: string;
  intervalMs: number;
  afterMs: number;
  log: (message: string, fields?: Record<string, unknown>) => void;
}

/**
 * `npm start`'s reconciliation: the pass `hotglue-webhooks reconcile` runs, at start and then
 * every `intervalMs` (one run at a time), against the stack's own tables and jobs queue.
 */
export function startReconcileLoop(options: ReconcileLoopOptions): { close(): Promise<void> } {
  const { info } = options;
  const db = localDocumentClient(info.dynamodbEndpoint, info.region);
  const sqs = localSqsClient(info.sqsEndpoint, info.region);
  const jobsQueue = localQueueUrls(info, 'jobs').source;
  const deps = {
    jobs: dynamoDbRecordQueries(db, localTables(info)),
    api: hotglueJobStatusApi({ baseUrl: options.apiUrl, apiKey: options.apiKey }),
    queue: sqsEventQueue(sqs, { jobs: jobsQueue }),
  };
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  let stopped = false;

  const runOnce = async (): Promise<void> => {
    try {
      const report = await reconcile(deps, {
        olderThanMs: options.afterMs,
        limit: RECONCILE_DEFAULTS.limit,
        concurrency: RECONCILE_DEFAULTS.concurrency,
        dryRun: false,
      });
      const outcomes: Record<string, number> = {};
      for (const r of report.results) outcomes[r.outcome] = (outcomes[r.outcome] ?? 0) + 1;
      options.log('reconcile run', { staleJobs: report.stale, ...outcomes });
    } catch (error) {
      options.log('reconcile run failed', {
        error: error instanceof ApiKeyRejectedError ? error.message : String(error),
      });
    }
  };
  const schedule = (delay: number): void => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = runOnce().then(() => schedule(options.intervalMs));
    }, delay);
  };
  schedule(0);

  return {
    async close() {
      stopped = true;
      clearTimeout(timer);
      await running;
      db.destroy();
      sqs.destroy();
    },
  };
}
