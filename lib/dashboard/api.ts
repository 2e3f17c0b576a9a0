import { AmbiguousJobIdError, type RecordQueries } from '../ports/event-store';
import {
  InvalidCursorError,
  take,
  type ConnectionFilter,
  type DiscoverFilter,
  type JobFilter,
  type JobSummary,
} from '../records/views';
import {
  BadParameter,
  checkWindow,
  defined,
  flagOf,
  limitOf,
  paramsOf,
  sinceOf,
} from '../read-api/params';
import type { QueueRow } from './web/api-types';

/** One queue as the Queues page shows it: its depth, its DLQ's, and how to redrive. */

export interface DashboardDeps {
  records: RecordQueries;
  queues(): Promise<QueueRow[]>;
  /**
   * The latest notifications sent, newest first, where the dashboard can see them (the local
   * stack's file); undefined for a deployed stage, whose notifications go to its bus.
   */
  notifications?: (limit: number) => Promise<unknown[]>;
  /** The deployed stage, or undefined for the local stack (shown on every page). */
  stage?: string;
  now?: () => Date;
}

/** An answer of the JSON API: a status and a body to send as JSON. */
export interface ApiAnswer {
  status: number;
  body: unknown;
}

const JOB_PARAMS = [
  'tenant',
  'flow',
  'env',
  'status',
  'since',
  'until',
  'updated_since',
  'limit',
] as const;

/** The jobs filter of a query that may name `names` (JOB_PARAMS but limit, for a count). */
function jobFilterOf(
  deps: DashboardDeps,
  query: URLSearchParams,
  names: readonly string[],
): { filter: JobFilter; limit: string | undefined } {
  const p = paramsOf(query, names);
  const now = deps.now?.() ?? new Date();
  const filter: JobFilter = defined({
    tenant: p.tenant,
    flow: p.flow,
    env: p.env,
    status: p.status,
    since: sinceOf(p.since, 'since', now),
    until: sinceOf(p.until, 'until', now),
    updatedSince: sinceOf(p.updated_since, 'updated_since', now),
  });
  checkWindow(filter.since, filter.until);
  return { filter, limit: p.limit };
}

async function jobs(deps: DashboardDeps, query: URLSearchParams): Promise<JobSummary[]> {
  const { filter, limit } = jobFilterOf(deps, query, JOB_PARAMS);
  return take(deps.records.listJobs(filter), limitOf(limit, 50));
}

const discoverFilterOf = (query: URLSearchParams, names: readonly string[]) => {
  const p = paramsOf(query, names);
  return {
    filter: defined({ tenant: p.tenant, flow: p.flow, status: p.status }) as DiscoverFilter,
    limit: p.limit,
  };
};

const connectionFilterOf = (query: URLSearchParams, names: readonly string[]) => {
  const p = paramsOf(query, names);
  return {
    filter: defined({
      tenant: p.tenant,
      flow: p.flow,
      linked: flagOf(p.linked, 'linked'),
    }) as ConnectionFilter,
    limit: p.limit,
  };
};

/**
 * How many items a list's filters select, `{ count, exact }` (the list pages' "50 of 60"): the
 * same parameters as the list but limit and cursor. Counted in the index where it selects the
 * list whole, else by reading at most a page's budget of records (see RecordQueries.countJobs).
 */
async function count(
  deps: DashboardDeps,
  list: string,
  query: URLSearchParams,
): Promise<ApiAnswer | undefined> {
  const without = (names: readonly string[]) => names.filter((n) => n !== 'limit');
  if (list === 'jobs')
    return ok(await deps.records.countJobs(jobFilterOf(deps, query, without(JOB_PARAMS)).filter));
  if (list === 'discover')
    return ok(
      await deps.records.countDiscover(discoverFilterOf(query, without(DISCOVER_PARAMS)).filter),
    );
  if (list === 'connections')
    return ok(
      await deps.records.countConnections(
        connectionFilterOf(query, without(CONNECTION_PARAMS)).filter,
      ),
    );
  return undefined;
}

const ok = (body: unknown): ApiAnswer => ({ status: 200, body });

const DISCOVER_PARAMS = ['tenant', 'flow', 'status', 'limit'] as const;
const CONNECTION_PARAMS = ['tenant', 'flow', 'linked', 'limit'] as const;

/** Jobs per status class, and failed jobs per tenant, among jobs started since `since` (24h). */
async function summary(deps: DashboardDeps, query: URLSearchParams) {
  const p = paramsOf(query, ['since', 'tenant', 'flow']);
  const now = deps.now?.() ?? new Date();
  const since = sinceOf(p.since ?? '24h', 'since', now) as Date;
  return deps.records.summarizeJobs(defined({ since, tenant: p.tenant, flow: p.flow, now }));
}

const HISTORY_KEY = ['env', 'tenant', 'flow', 'type', 'connector'] as const;

/** One connection's history, newest first, a page at a time: `{ items, next }`. */
async function connectionHistory(deps: DashboardDeps, query: URLSearchParams): Promise<ApiAnswer> {
  const p = paramsOf(query, [...HISTORY_KEY, 'limit', 'before']);
  const missing = HISTORY_KEY.filter((name) => p[name] === undefined);
  if (missing.length > 0)
    throw new BadParameter(`name the connection: ${missing.join(', ')} missing`);
  const key = {
    env_id: p.env as string,
    tenant: p.tenant as string,
    flow_id: p.flow as string,
    connector_type: p.type as string,
    connector: p.connector as string,
  };
  const page = await deps.records.connectionHistory(key, {
    limit: limitOf(p.limit, 50),
    ...defined({ before: p.before }),
  });
  return page === undefined
    ? { status: 404, body: { error: `no connection ${key.connector} of tenant ${key.tenant}` } }
    : { status: 200, body: page };
}

/**
 * The dashboard's JSON API under `/api/`: the same JSON as the CLI's `--json` output (`jobs list`,
 * `jobs get`, `discover list`, `connections list`), plus the queues and a summary. Only reads.
 * Answers a bad parameter with 400, an unknown path with 404, another method with 405, each with
 * `{"error": …}`.
 */
export async function answerApi(
  deps: DashboardDeps,
  method: string,
  path: string,
  query: URLSearchParams,
): Promise<ApiAnswer> {
  if (method !== 'GET' && method !== 'HEAD')
    return { status: 405, body: { error: 'method not allowed: the dashboard only reads' } };
  try {
    if (path === '/api/jobs') return { status: 200, body: await jobs(deps, query) };
    if (path.startsWith('/api/jobs/')) {
      paramsOf(query, []);
      let id: string;
      try {
        id = decodeURIComponent(path.slice('/api/jobs/'.length));
      } catch {
        throw new BadParameter('the job id is not a valid URL-encoded string');
      }
      if (id === '') throw new BadParameter('name a job: /api/jobs/<url-encoded s3_root>');
      const job = await deps.records.getJob(id);
      return job === undefined
        ? { status: 404, body: { error: `no job ${id}` } }
        : { status: 200, body: job };
    }
    if (path === '/api/discover') {
      const { filter, limit } = discoverFilterOf(query, DISCOVER_PARAMS);
      return ok(await take(deps.records.listDiscover(filter), limitOf(limit, 100)));
    }
    if (path === '/api/connections') {
      const { filter, limit } = connectionFilterOf(query, CONNECTION_PARAMS);
      return ok(await take(deps.records.listConnections(filter), limitOf(limit, 100)));
    }
    if (path.startsWith('/api/count/')) {
      const counted = await count(deps, path.slice('/api/count/'.length), query);
      if (counted !== undefined) return counted;
    }
    if (path === '/api/connections/history') return await connectionHistory(deps, query);
    if (path === '/api/queues') {
      paramsOf(query, []);
      return { status: 200, body: await deps.queues() };
    }
    if (path === '/api/summary') return { status: 200, body: await summary(deps, query) };
    if (path === '/api/notifications') {
      const p = paramsOf(query, ['limit']);
      if (deps.notifications === undefined)
        return {
          status: 404,
          body: {
            error: `a deployed stage puts its notifications on its EventBridge bus${deps.stage === undefined ? '' : ` hotglue-webhooks-${deps.stage}`}: add a rule to receive them`,
          },
        };
      return { status: 200, body: await deps.notifications(limitOf(p.limit, 100)) };
    }
    if (path === '/api/about') {
      paramsOf(query, []);
      return { status: 200, body: { stage: deps.stage ?? null, local: deps.stage === undefined } };
    }
    return { status: 404, body: { error: `no API at ${path}` } };
  } catch (error) {
    if (error instanceof BadParameter || error instanceof InvalidCursorError)
      return { status: 400, body: { error: error.message } };
    if (error instanceof AmbiguousJobIdError)
      return { status: 409, body: { error: error.message } };
    throw error;
  }
}
