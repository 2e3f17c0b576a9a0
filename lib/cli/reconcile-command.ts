import { parseArgs } from 'node:util';
import { SSMClient } from '@aws-sdk/client-ssm';
import { hotglueJobStatusApi } from '../aws/hotglue-api';
import { TOOL_REQUEST_HANDLER } from '../aws/request-limits';
import { hotglueApiKeyParameter } from '../aws/resource-names';
import { sqsEventQueue } from '../aws/sqs-event-queue';
import { readSecureString } from '../aws/ssm-secret-source';
import { ApiKeyRejectedError } from '../ports/job-status';
import {
  reconcile,
  RECONCILE_DEFAULTS,
  type ReconcileReport,
  type ReconcileResult,
} from '../reconcile/reconcile';
import { parseSince } from '../webhook/time';
import { table } from './format';
import { printList, withRecords, type Io } from './query-commands';
import { resolveQueueTarget, resolveTables } from './target';
import { dynamoDbStore } from '../aws/dynamodb/dynamodb-store';
import { take } from '../records/views';

const RECONCILE_HELP = `Usage: hotglue-webhooks reconcile [--older-than DURATION] [--limit N] [--dry-run]
                                 [--lost-after DURATION] [--json] [--stage NAME [--region R]]
       hotglue-webhooks reconcile --lost [--json] [--stage NAME [--region R]]

Finds running jobs with no event for DURATION, asks hotglue's job-status API about each
(GET {HOTGLUE_API_URL}/{env_id}/{flow_id}/{tenant}/jobs/status?job_root=<s3_root>), and queues
each answer that changes a job's status as a job event with source "reconcile": the consumer
stores it like a webhook, and the merge never moves a job back.

Options:
  --older-than D  a running job is stale after D without an event: 30m, 2h, 1d (default 2h)
  --limit N       poll at most N jobs, the longest silent first (default ${RECONCILE_DEFAULTS.limit})
  --dry-run       poll and report, but queue nothing (and keep no backoff)
  --lost-after D  mark a job lost when hotglue has answered 404, or refused the key, for it for D
                  (default 7d)
  --lost          list the running jobs reconciliation gave up on, and poll nothing
  --json          print an array: s3_root, job_id, tenant, before, after, outcome, detail
  --stage NAME    a deployed stage instead of the local stack (its API key is read from the
                  SSM SecureString /hotglue-webhooks/<stage>/hotglue-api-key unless
                  HOTGLUE_API_KEY is set)
  --region R      the stage's region (default: as for deploys, see hotglue-webhooks --help)
  -h, --help      show this help

Outcomes: updated (queued; "dry run" with --dry-run), unchanged (same status), not_found (404:
asked again after 15 min, 1 h, 6 h, then daily), lost (404 or refused for --lost-after: polled
no more), refused (401 or 403 for a job hotglue never answered: asked again after the same
waits), error (5xx, redirect, timeout, too large, not JSON; asked again next run), skipped (no
env_id, or an env_id, flow_id or tenant of "." or "..": looked at again when an event arrives
for it). A job waiting after a 404 or a refusal, skipped or lost is not polled.
Environment: HOTGLUE_API_KEY (the hotglue environment's API key), HOTGLUE_API_URL (default
https://api.hotglue.com; https, or http to a loopback host). The run stops with exit code 1 when
the key is refused (401, 403) for a job hotglue answered before, or for every job polled.`;

/** The API key: HOTGLUE_API_KEY, else (for a stage) its SSM SecureString. */
async function apiKey(stage: string | undefined, io: Io): Promise<string | undefined> {
  if (io.config.hotglueApiKey !== undefined) return io.config.hotglueApiKey;
  if (stage === undefined) return undefined;
  const ssm = new SSMClient({ region: io.config.region, requestHandler: TOOL_REQUEST_HANDLER });
  try {
    return await readSecureString(ssm, hotglueApiKeyParameter(stage));
  } finally {
    ssm.destroy();
  }
}

export async function reconcileCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      'older-than': { type: 'string', default: '2h' },
      limit: { type: 'string' },
      'dry-run': { type: 'boolean', default: false },
      lost: { type: 'boolean', default: false },
      'lost-after': { type: 'string', default: '7d' },
      json: { type: 'boolean', default: false },
      stage: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    io.out(RECONCILE_HELP);
    return 0;
  }
  if (positionals.length > 0) {
    io.err(`reconcile takes no arguments\n\n${RECONCILE_HELP}`);
    return 2;
  }
  if (values.lost) return listLost(values.stage, values.json, io);
  const now = new Date();
  const olderThanMs =
    now.getTime() - parseSince(values['older-than'], '--older-than', now).getTime();
  const lostAfterMs =
    now.getTime() - parseSince(values['lost-after'], '--lost-after', now).getTime();
  const limit = values.limit === undefined ? RECONCILE_DEFAULTS.limit : Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1) {
    io.err(`--limit must be a positive integer, got "${values.limit}"`);
    return 2;
  }
  const key = await apiKey(values.stage, io);
  if (key === undefined) {
    io.err(
      values.stage === undefined
        ? 'no hotglue API key: set HOTGLUE_API_KEY to the hotglue environment’s API key'
        : `no hotglue API key: set HOTGLUE_API_KEY, or put it in the SSM SecureString ${hotglueApiKeyParameter(values.stage)}`,
    );
    return 2;
  }
  const run = { olderThanMs, lostAfterMs, limit, dryRun: values['dry-run'], now };
  const report = await runReconcile(values.stage, key, run, io);
  if (report === undefined) return 1;
  if (values.json) io.out(JSON.stringify(report.results, null, 2));
  else {
    io.out(
      `${report.stale} stale running jobs (no event for ${values['older-than']}), ${report.due} due; polled ${report.results.length}`,
    );
    if (report.results.length > 0) io.out(resultsTable(report.results));
  }
  return 0;
}

/** One reconcile pass on the stage's (or the local stack's) tables; undefined when the key is refused. */
async function runReconcile(
  stage: string | undefined,
  key: string,
  run: { olderThanMs: number; lostAfterMs: number; limit: number; dryRun: boolean; now: Date },
  io: Io,
): Promise<ReconcileReport | undefined> {
  const { db, tables } = await resolveTables(stage, io.config);
  const store = dynamoDbStore(db, tables);
  const queues = await resolveQueueTarget(stage, io.config);
  try {
    const jobsQueue = (await queues.queues('jobs')).source;
    return await reconcile(
      {
        jobs: store,
        polls: store,
        api: hotglueJobStatusApi({ baseUrl: io.config.hotglueApiUrl, apiKey: key }),
        queue: sqsEventQueue(queues.sqs, { jobs: jobsQueue }),
        now: () => run.now,
      },
      {
        olderThanMs: run.olderThanMs,
        limit: run.limit,
        concurrency: RECONCILE_DEFAULTS.concurrency,
        dryRun: run.dryRun,
        lostAfterMs: run.lostAfterMs,
      },
    );
  } catch (error) {
    if (error instanceof ApiKeyRejectedError) {
      io.err(error.message);
      return undefined;
    }
    throw error;
  } finally {
    db.destroy();
    queues.sqs.destroy();
  }
}

const resultsTable = (results: ReconcileResult[]): string =>
  table(
    ['S3_ROOT', 'TENANT', 'BEFORE', 'AFTER', 'OUTCOME', 'DETAIL'],
    results.map((r) => [r.s3_root, r.tenant, r.before, r.after, r.outcome, r.detail]),
  );

/**
 * reconcile --lost: the running jobs reconciliation gave up on (hotglue answered 404, or refused
 * the key, too long).
 */
async function listLost(stage: string | undefined, asJson: boolean, io: Io): Promise<number> {
  const lost = await withRecords(stage, io, (records) =>
    take(records.listJobs({ status: 'lost' }), 10_000),
  );
  printList(io, asJson, lost, [
    ['S3_ROOT', (j) => j.s3_root],
    ['TENANT', (j) => j.tenant],
    ['STATUS', (j) => j.status],
    ['UPDATED', (j) => j.updated_at],
    ['REASON', (j) => j.reconcile?.outcome],
    ['SINCE', (j) => j.reconcile?.first_miss_at],
    ['LOST_AT', (j) => j.reconcile?.lost_at],
  ]);
  return 0;
}
