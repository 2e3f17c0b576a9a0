import type { EventQueue } from '../ports/event-queue';
import {
  ApiKeyRejectedError,
  unusablePathField,
  type JobRef,
  type JobStatusSource,
} from '../ports/job-status';
import type { EventStore, RecordQueries, StaleJobs } from '../ports/event-store';
import { jobKey } from '../records/entity-keys';
import {
  afterNotFound,
  afterRefused,
  answeredState,
  DEFAULT_LOST_AFTER_MS,
  skippedState,
  type PollState,
} from '../records/poll';
import { keyProblem } from '../records/key-limits';
import { lastEventTime, type JobSummary } from '../records/views';
import { validationProblem } from '../webhook/schemas';
import { shapeProblem } from '../webhook/shape';
import { asJobEvent, describeValue, queueAnswer } from './answer';

/**
 * What reconciling one stale job did (`lost`: a 404 or a refusal again, past RECONCILE_LOST_AFTER;
 * `refused`: a 401 or 403 for a job hotglue never answered, backed off while the run goes on).
 */
type Outcome = 'updated' | 'unchanged' | 'not_found' | 'lost' | 'refused' | 'error' | 'skipped';

/** One line of a run's report (`hotglue-webhooks reconcile --json`). */
export interface ReconcileResult {
  s3_root: string;
  job_id: string | null;
  tenant: string;
  /** The stored status when the run began. */
  before: string;
  /** The status hotglue answered; null when it answered none. */
  after: string | null;
  outcome: Outcome;
  detail: string;
}

export interface ReconcileReport {
  /** Running jobs whose latest event is older than the threshold, but the lost (before --limit). */
  stale: number;
  /** Of those, the ones due for a poll (not waiting after a 404, or skipped). */
  due: number;
  /** One result per job polled (or skipped), oldest update first. */
  results: ReconcileResult[];
  /** Stale jobs within the limit left for the next run because the deadline came first. */
  deferred: number;
}

export interface ReconcileDeps {
  jobs: Pick<RecordQueries, 'staleJobs'>;
  api: JobStatusSource;
  queue: EventQueue;
  /**
   * Where what a poll left is kept (a 404's or a refusal's backoff, a skip, an answer); none: kept
   * nowhere.
   */
  polls?: Pick<EventStore, 'recordPoll'>;
  now?: () => Date;
  sleep?: (ms: number) => Promise<void>;
}

export interface ReconcileOptions {
  /** A running job is stale when its latest event is older than this. */
  olderThanMs: number;
  /** At most this many jobs are polled in one run (the oldest first). */
  limit: number;
  /** Polls in flight at once. */
  concurrency: number;
  /** Poll and report, but queue nothing. */
  dryRun: boolean;
  /**
   * When set (epoch ms), no poll starts after it, and a poll, a queueing or a write still going
   * then is given up: a scheduled run ends before its timeout.
   */
  deadline?: number;
  /** A job hotglue has not known for this long is marked lost (default 7 days). */
  lostAfterMs?: number;
}

export const RECONCILE_DEFAULTS = { limit: 500, concurrency: 4 } as const;

/** How often one job is asked again after 429s, and the longest wait honoured for one. */
const RATE_LIMIT_RETRIES = 5;
const LONGEST_RETRY_AFTER_SECONDS = 60;

const sleepFor = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Running jobs with no event for `olderThanMs` (but the lost): those due for a poll, oldest first
 * (a job with no time first), and how many wait after a 404 or a skip. Read through the store's
 * watch index: the cost grows with the stale jobs, not with the running ones.
 */
export async function findStaleJobs(
  jobs: Pick<RecordQueries, 'staleJobs'>,
  olderThanMs: number,
  now: Date = new Date(),
): Promise<StaleJobs> {
  const found = await jobs.staleJobs(new Date(now.getTime() - olderThanMs), now);
  const due = [...found.due].sort(
    (a, b) => (lastEventTime(a) ?? -Infinity) - (lastEventTime(b) ?? -Infinity),
  );
  return { due, waiting: found.waiting };
}

/**
 * One reconciliation pass: finds the stale jobs (running, with no event for `olderThanMs`), asks
 * hotglue's job-status API about each, and puts each answer that changes the status on the jobs
 * queue as a job event with `source: "reconcile"`, so that the same consumer and merge rules apply
 * (a polled status can never move a record back). A 401 or 403 backs its job off (`refused`),
 * and the run goes on; it stops, throwing ApiKeyRejectedError once the polls in flight are done,
 * when hotglue refuses the key for a job it answered before (the key changed: that job alone is
 * backed off, so that the next run polls the others first), or for every job the run polled.
 */
export async function reconcile(
  deps: ReconcileDeps,
  options: ReconcileOptions,
): Promise<ReconcileReport> {
  const now = deps.now ?? (() => new Date());
  return reconcileJobs(deps, await findStaleJobs(deps.jobs, options.olderThanMs, now()), options);
}

/** The state a poll's result leaves (undefined: none), or null when it changes nothing. */
function stateAfter(
  job: JobSummary,
  { outcome, httpStatus }: Pick<Polled, 'outcome' | 'httpStatus'>,
  now: Date,
  lostAfterMs: number,
): PollState | undefined | null {
  if (outcome === 'not_found' || outcome === 'lost')
    return afterNotFound(job.reconcile, now, lostAfterMs);
  if (outcome === 'skipped') return skippedState(now);
  if (outcome === 'refused') return afterRefused(job.reconcile, now, httpStatus ?? 0, lostAfterMs);
  // hotglue knows the job: a streak is over, and the key is good for it.
  if ((outcome === 'unchanged' || outcome === 'updated') && job.reconcile?.outcome !== 'answered')
    return answeredState(now);
  return null;
}

/**
 * Keeps what a poll left on the job, so that the next runs leave it alone for a while (a 404 or
 * a refused key: 15 min, 1 h, 6 h, then daily; lost after `lostAfterMs` of either) or until a new
 * event (no usable URL), and know that hotglue answered it (the key is good for it). A 404 or a
 * refusal past `lostAfterMs` becomes `lost`. Not in a dry run; a failure to keep it only means the
 * next run asks again.
 */
async function settle(
  job: JobSummary,
  polled: Polled,
  deps: Pick<ReconcileDeps, 'polls'>,
  context: { now: Date; lostAfterMs: number; dryRun: boolean; deadline?: number | undefined },
): Promise<ReconcileResult> {
  const { httpStatus: _status, answered: _answered, stops: _stops, ...result } = polled;
  const state = stateAfter(job, polled, context.now, context.lostAfterMs);
  const lost =
    (result.outcome === 'not_found' || result.outcome === 'refused') &&
    state?.lost_at !== undefined;
  const settled: ReconcileResult = lost
    ? {
        ...result,
        outcome: 'lost',
        detail: `${result.detail}, since ${state.first_miss_at}: marked lost`,
      }
    : result;
  if (state === null || context.dryRun || deps.polls === undefined) return settled;
  try {
    await deps.polls.recordPoll(jobKey(job.s3_root), job.updated_at, state, context.deadline);
  } catch {
    // kept nowhere: the next run polls the job again
  }
  return settled;
}

/**
 * A poll's result, with the HTTP status of a refusal, `answered` when hotglue answered a job
 * that is skipped all the same (the key is good for it: see refusedByAll), and `stops` when the
 * refusal stops the run.
 */
type Polled = ReconcileResult & { httpStatus?: number; answered?: true; stops?: Error };

/**
 * The `refused` result of a 401 or 403 for `job`; it `stops` the run when hotglue answered the
 * job before (the key changed, or lost this job's environment).
 */
function refusal(job: JobSummary, status: number): Pick<Polled, 'detail' | 'stops'> {
  if (job.reconcile?.outcome === 'answered') {
    const stops = new ApiKeyRejectedError(
      status,
      `for a job it answered on ${job.reconcile.answered_at ?? 'an earlier run'}`,
    );
    return { detail: stops.message, stops };
  }
  return {
    detail: `hotglue refused the API key for this job (HTTP ${status}): another environment's job, or a wrong key`,
  };
}

/** The results a poll of `job` can give. */
const resultFor =
  (job: JobSummary) =>
  (outcome: Outcome, detail: string, after: string | null = null): Polled => ({
    s3_root: job.s3_root,
    job_id: job.job_id ?? null,
    tenant: job.tenant,
    before: job.status,
    after,
    outcome,
    detail,
  });

/** Polls hotglue about one stale job and queues what changed. */
async function reconcileOne(
  job: JobSummary,
  {
    deps,
    options,
    now,
    sleep,
  }: {
    deps: Omit<ReconcileDeps, 'jobs'>;
    options: Omit<ReconcileOptions, 'olderThanMs'>;
    now: () => Date;
    sleep: (ms: number) => Promise<void>;
  },
): Promise<Polled> {
  const result = resultFor(job);
  const unusable = unusablePathField(job);
  if (unusable !== undefined || job.env_id === undefined)
    return result('skipped', unusable ?? 'the job has no env_id');
  const ref: JobRef = {
    env_id: job.env_id,
    flow_id: job.flow_id,
    tenant: job.tenant,
    s3_root: job.s3_root,
  };
  let answer = await deps.api.status(ref, options.deadline);
  for (let retry = 0; answer.kind === 'rate_limited'; retry += 1) {
    if (retry === RATE_LIMIT_RETRIES)
      return result('error', `still rate limited (429) after ${retry} waits`);
    const wait = Math.min(answer.retryAfterSeconds, LONGEST_RETRY_AFTER_SECONDS) * 1000;
    if (options.deadline !== undefined && now().getTime() + wait > options.deadline)
      return result('error', 'rate limited (429) too close to the end of the run');
    await sleep(wait);
    answer = await deps.api.status(ref, options.deadline);
  }
  switch (answer.kind) {
    case 'unauthorized': {
      const { detail, stops } = refusal(job, answer.status);
      return { ...result('refused', detail), httpStatus: answer.status, ...(stops && { stops }) };
    }
    case 'not_found':
      return result('not_found', 'hotglue does not know this job (404)');
    case 'error':
      return result('error', answer.detail);
    case 'found':
      break;
  }
  const payload = asJobEvent(job, answer.payload);
  // An answer of a shape ingest refuses in a webhook is not queued: skipped until a new event.
  // Checked first: nothing else reads the answer before (a value nested 5,000 deep overflows
  // the stack of any recursive reader).
  const shape = shapeProblem(payload);
  if (shape !== undefined)
    return {
      ...result('skipped', `hotglue's answer has a shape ingest refuses: ${shape}`),
      answered: true,
    };
  if (payload.s3_root !== job.s3_root)
    return result('error', `the answer is about another job (${describeValue(payload.s3_root)})`);
  const problem = validationProblem('jobs', payload) ?? keyProblem('jobs', payload);
  if (problem !== undefined) return result('error', `the answer is not a job event: ${problem}`);
  const after = String(payload.status);
  if (after === job.status) return result('unchanged', 'hotglue reports the same status', after);
  if (options.dryRun) return result('updated', 'dry run: not queued', after);
  try {
    const messageId = await queueAnswer(deps.queue, payload, now(), options.deadline);
    return result('updated', `queued as message ${messageId}`, after);
  } catch {
    return result(
      'error',
      'the jobs queue could not take the answer; the next run asks again',
      after,
    );
  }
}

/**
 * reconcileOne, where any failure is the job's `error` (logged and counted with the others): one
 * job's answer or record never fails the run.
 */
async function pollOne(
  job: JobSummary,
  context: Parameters<typeof reconcileOne>[1],
): Promise<Polled> {
  try {
    return await reconcileOne(job, context);
  } catch (error) {
    const what = error instanceof Error ? `${error.name}: ${error.message}` : typeof error;
    return resultFor(job)('error', `the poll failed: ${what.slice(0, 200)}`);
  }
}

/** The polling half of `reconcile`, for jobs `findStaleJobs` already found. */
export async function reconcileJobs(
  deps: Omit<ReconcileDeps, 'jobs'>,
  stale: StaleJobs,
  options: Omit<ReconcileOptions, 'olderThanMs'>,
): Promise<ReconcileReport> {
  const now = deps.now ?? (() => new Date());
  const sleep = deps.sleep ?? sleepFor;
  // The store hands out only the jobs due for a poll.
  const due = stale.due;
  const todo = due.slice(0, options.limit);
  const polled: ({ job: JobSummary; result: Polled; asked: boolean } | undefined)[] = todo.map(
    () => undefined,
  );
  let rejected: Error | undefined;
  const context = {
    lostAfterMs: options.lostAfterMs ?? DEFAULT_LOST_AFTER_MS,
    dryRun: options.dryRun,
    deadline: options.deadline,
  };

  let next = 0;
  const worker = async (): Promise<void> => {
    while (rejected === undefined && next < todo.length) {
      if (options.deadline !== undefined && now().getTime() >= options.deadline) return;
      const index = next;
      next += 1;
      const job = todo[index] as JobSummary;
      const result = await pollOne(job, { deps, options, now, sleep });
      if (result.stops !== undefined) {
        // The job that stops the run is backed off: the next run polls the others before it.
        rejected ??= result.stops;
        await settle(job, result, deps, { ...context, now: now() });
        return;
      }
      // Another refusal is kept once no job answered before was refused (the run then stops).
      polled[index] = {
        job,
        result:
          result.outcome === 'refused'
            ? result
            : await settle(job, result, deps, { ...context, now: now() }),
        asked: result.outcome !== 'skipped' || result.answered === true,
      };
    }
  };
  await Promise.all(
    Array.from({ length: Math.max(1, Math.min(options.concurrency, todo.length)) }, worker),
  );
  if (rejected !== undefined) throw rejected;
  const done = polled.filter((p) => p !== undefined);
  const results: ReconcileResult[] = [];
  for (const { job, result } of done)
    results.push(
      result.outcome === 'refused'
        ? await settle(job, result, deps, { ...context, now: now() })
        : result,
    );
  const byAll = refusedByAll(done.filter((p) => p.asked).map((p) => p.result));
  if (byAll !== undefined) throw byAll;
  return {
    stale: stale.due.length + stale.waiting,
    due: due.length,
    results,
    deferred: todo.length - done.length,
  };
}

/**
 * The run's stop when hotglue refused the key for every job it polled (`asked`: a job skipped
 * before its poll is not among them, one skipped for its answer is): the key is likely wrong. The
 * jobs are backed off all the same, so that a lone job of another environment fails a run after
 * 15 min, 1 h, 6 h, then daily, not every run, until it is marked lost (a refusal lost in this
 * run still counts). Undefined otherwise.
 */
function refusedByAll(asked: Polled[]): ApiKeyRejectedError | undefined {
  const first = asked[0];
  if (first === undefined || !asked.every((r) => r.outcome === 'refused')) return undefined;
  return new ApiKeyRejectedError(first.httpStatus ?? 0, `for every job polled (${asked.length})`);
}
