import type { Counters } from '../ports/counters';
import type { EventQueue } from '../ports/event-queue';
import type { EventStore, RecordQueries } from '../ports/event-store';
import { ApiKeyRejectedError, type JobStatusSource } from '../ports/job-status';
import type { Log } from '../ports/log';
import { ABANDONED_AFTER_MS, type Notifier } from '../ports/notifier';
import { staleJobNotification } from '../records/changes';
import { jobKey } from '../records/entity-keys';
import type { JobSummary } from '../records/views';
import { durationText } from '../webhook/time';
import { findStaleJobs, RECONCILE_DEFAULTS, reconcileJobs } from './reconcile';

export interface ScheduledReconcileDeps {
  jobs: Pick<RecordQueries, 'staleJobs'>;
  /**
   * The API key, read at each run (so a new key works from the next run), given up at `until`;
   * undefined: none set.
   */
  apiKey: (until?: number) => Promise<string | undefined>;
  api: (apiKey: string) => JobStatusSource;
  queue: EventQueue;
  /**
   * Where `Job Stale` notices are recorded once per episode, then published, and what a poll
   * could not settle is kept (a 404's backoff, a skip).
   */
  store: Pick<EventStore, 'recordStale' | 'unsent' | 'markSent' | 'recordPoll'>;
  notifier: Notifier;
  log: Log;
  counters: Counters;
  now?: () => Date;
}

export interface ScheduledReconcileOptions {
  /** A running job is stale after this long without an event. */
  afterMs: number;
  /**
   * No poll, stale notice or retry starts after this time (epoch ms), and every call of the ports
   * still going then is given up (the jobs' queries are bounded where they are built).
   */
  deadline?: number;
  /** A job hotglue has not known for this long is marked lost, and polled no more (7 days). */
  lostAfterMs?: number;
}

/** What one scheduled run did: counts only (the log has one line per job that changed or failed). */
export interface ScheduledReconcileSummary {
  staleJobs: number;
  /** `Job Stale` notifications published by this run (a job's first run in its episode). */
  staleNotices: number;
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
  // Lost jobs are reconciliation's answer already: listed (`reconcile --lost`), not counted.
  const found = await findStaleJobs(deps.jobs, options.afterMs, now());
  const staleCount = found.due.length + found.waiting;
  deps.counters.count('StaleJobs', {}, staleCount);
  // A waiting job had its notice when it was first found stale (once per episode).
  const staleNotices = await noticeStaleJobs(deps, found.due, options, now());
  const summary = { staleJobs: staleCount, staleNotices, polled: 0, deferred: 0, outcomes: {} };
  const key = await deps.apiKey(options.deadline);
  if (key === undefined) {
    deps.log.info('reconciliation is not configured: no hotglue API key; stale jobs counted only', {
      staleJobs: staleCount,
    });
    return { ...summary, configured: false };
  }
  let report;
  try {
    report = await reconcileJobs(
      { api: deps.api(key), queue: deps.queue, polls: deps.store, now },
      found,
      {
        limit: RECONCILE_DEFAULTS.limit,
        concurrency: RECONCILE_DEFAULTS.concurrency,
        dryRun: false,
        ...(options.deadline !== undefined && { deadline: options.deadline }),
        ...(options.lostAfterMs !== undefined && { lostAfterMs: options.lostAfterMs }),
      },
    );
  } catch (error) {
    if (error instanceof ApiKeyRejectedError)
      deps.log.error('reconcile run stopped', { error: error.message, staleJobs: staleCount });
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
    staleJobs: staleCount,
    due: report.due,
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

/**
 * `Job Stale` for each stale job, once per episode: recorded in the job's outbox (so that it
 * survives a failed publish), published, then marked sent. A notice an earlier run recorded but
 * could not publish is published now. A failure is logged and left to the next run; it never
 * stops the reconciliation itself.
 */
async function noticeStaleJobs(
  deps: ScheduledReconcileDeps,
  stale: JobSummary[],
  { afterMs, deadline }: ScheduledReconcileOptions,
  now: Date,
): Promise<number> {
  let published = 0;
  // Bounded as the polls are: at most the run's limit of jobs, the longest silent first.
  for (const job of stale.slice(0, RECONCILE_DEFAULTS.limit)) {
    // Past the deadline the rest wait for the next run, which finds them stale again.
    if (deadline !== undefined && Date.now() >= deadline) break;
    const key = jobKey(job.s3_root);
    try {
      const notice = staleJobNotification(key, job, durationText(afterMs), now.toISOString());
      const mine = await deps.store.recordStale(key, job.updated_at, notice, deadline);
      const unsent = (await deps.store.unsent('jobs', key, deadline)).filter(
        (u) =>
          (mine && u.notification.id === notice.id) ||
          (u.notification['detail-type'] === 'Job Stale' &&
            Date.now() - u.recordedAt >= ABANDONED_AFTER_MS),
      );
      if (unsent.length === 0) continue;
      const notifications = unsent.map((u) => u.notification);
      await deps.notifier.publish(notifications, deadline);
      for (const n of notifications) {
        deps.log.info('notification sent', {
          kind: 'jobs',
          notificationId: n.id,
          detailType: n['detail-type'],
          entity: key,
        });
        deps.counters.count('notified', { kind: 'jobs', detailType: n['detail-type'] });
      }
      await deps.store.markSent(
        'jobs',
        key,
        notifications.map((n) => n.id),
        deadline,
      );
      published += notifications.length;
    } catch (error) {
      deps.log.error('stale job notice not sent', {
        s3_root: job.s3_root,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }
  return published;
}
