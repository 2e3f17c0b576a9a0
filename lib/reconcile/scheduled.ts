import type { Counters } from '../ports/counters';
import type { EventQueue } from '../ports/event-queue';
import type { RecordQueries } from '../ports/event-store';
import { ApiKeyRejectedError, type JobStatusSource } from '../ports/job-status';
import type { Log } from '../ports/log';
import { findStaleJobs, RECONCILE_DEFAULTS, reconcileJobs } from './reconcile';

export interface ScheduledReconcileDeps {
  jobs: Pick<RecordQueries, 'listJobs'>;
  /** The API key, read at each run (so a new key works from the next run); undefined: none set. */
  apiKey: () => Promise<string | undefined>;
  api: (apiKey: string) => JobStatusSource;
  queue: EventQueue;
  log: Log;
  counters: Counters;
  now?: () => Date;
}

export interface ScheduledReconcileOptions {
  /** A running job is stale after this long without an event. */
  afterMs: number;
  /** No poll starts after this time (epoch ms). */
  deadline?: number;
}

/** What one scheduled run did: counts only (the log has one line per job that changed or failed). */
export interface ScheduledReconcileSummary {
  staleJobs: number;
  configured: boolean;
  polled: number;
  deferred: number;
  outcomes: Record<string, number>;
}

/**
 * One scheduled reconciliation (the deployed function every `reconcileRate`, `npm start` every
 * RECONCILE_INTERVAL): counts the stale jobs and publishes `StaleJobs` first, so that the count is
 * there even with no API key; then, when a key is set, polls them (oldest first, at most the
 * default limit). A refused key is logged and thrown, so that the run counts as failed.
 */
export async function scheduledReconcile(
  deps: ScheduledReconcileDeps,
  options: ScheduledReconcileOptions,
): Promise<ScheduledReconcileSummary> {
  const now = deps.now ?? (() => new Date());
  const stale = await findStaleJobs(deps.jobs, options.afterMs, now());
  deps.counters.count('StaleJobs', {}, stale.length);
  const summary = { staleJobs: stale.length, polled: 0, deferred: 0, outcomes: {} };
  const key = await deps.apiKey();
  if (key === undefined) {
    deps.log.info('reconciliation is not configured: no hotglue API key; stale jobs counted only', {
      staleJobs: stale.length,
    });
    return { ...summary, configured: false };
  }
  let report;
  try {
    report = await reconcileJobs({ api: deps.api(key), queue: deps.queue, now }, stale, {
      limit: RECONCILE_DEFAULTS.limit,
      concurrency: RECONCILE_DEFAULTS.concurrency,
      dryRun: false,
      ...(options.deadline !== undefined && { deadline: options.deadline }),
    });
  } catch (error) {
    if (error instanceof ApiKeyRejectedError)
      deps.log.error('reconcile run stopped', { error: error.message, staleJobs: stale.length });
    throw error;
  }
  const outcomes: Record<string, number> = {};
  for (const r of report.results) {
    outcomes[r.outcome] = (outcomes[r.outcome] ?? 0) + 1;
    if (r.outcome !== 'unchanged')
      deps.log.info('reconciled job', {
        s3_root: r.s3_root,
        tenant: r.tenant,
        before: r.before,
        after: r.after,
        outcome: r.outcome,
        detail: r.detail,
      });
  }
  for (const [outcome, n] of Object.entries(outcomes))
    deps.counters.count('reconciled', { outcome }, n);
  deps.log.info('reconcile run', {
    staleJobs: stale.length,
    polled: report.results.length,
    deferred: report.deferred,
    ...outcomes,
  });
  return {
    ...summary,
    configured: true,
    polled: report.results.length,
    deferred: report.deferred,
    outcomes,
  };
}
