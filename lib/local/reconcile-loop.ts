import { dynamoDbEventStore, dynamoDbRecordQueries } from '../aws/dynamodb/dynamodb-store';
import { hotglueJobStatusApi } from '../aws/hotglue-api';
import { httpNotifier } from '../aws/http-notifier';
import { sqsEventQueue } from '../aws/sqs-event-queue';
import { ApiKeyRejectedError } from '../ports/job-status';
import { scheduledReconcile } from '../reconcile/scheduled';
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
  lostAfterMs: number;
  log: (message: string, fields?: Record<string, unknown>) => void;
}

/**
 * `npm start`'s reconciliation: the pass `hotglue-webhooks reconcile` runs, at start and then
 * every `intervalMs` (one run at a time), against the stack's own tables and jobs queue.
 */
export function startReconcileLoop(options: ReconcileLoopOptions): { close(): Promise<void> } {
  const { info } = options;
  const db = localDocumentClient(info.dynamodbEndpoint, info.region, info.accessKeyId);
  const sqs = localSqsClient(info.sqsEndpoint, info.region, info.accessKeyId);
  const jobsQueue = localQueueUrls(info, 'jobs').source;
  const log = (message: string, fields: Record<string, unknown>): void =>
    options.log(message, fields);
  const deps = {
    jobs: dynamoDbRecordQueries(db, localTables(info)),
    store: dynamoDbEventStore(db, localTables(info)),
    // As the consumers' notifications: the log line comes from the run, the rest from here.
    notifier: httpNotifier({
      ...(info.notifyUrl !== undefined && { url: info.notifyUrl }),
      file: info.notificationsFile,
    }),
    apiKey: async () => options.apiKey,
    api: (apiKey: string) => hotglueJobStatusApi({ baseUrl: options.apiUrl, apiKey }),
    queue: sqsEventQueue(sqs, { jobs: jobsQueue }),
    log: { info: log, warn: log, error: log },
    // No metrics locally: the run's log line carries the same counts.
    counters: { count: () => undefined },
  };
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  let stopped = false;

  const runOnce = async (): Promise<void> => {
    try {
      await scheduledReconcile(deps, {
        afterMs: options.afterMs,
        lostAfterMs: options.lostAfterMs,
      });
    } catch (error) {
      // A refused key was logged by the run itself; anything else is logged here.
      if (!(error instanceof ApiKeyRejectedError))
        options.log('reconcile run failed', { error: String(error) });
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
