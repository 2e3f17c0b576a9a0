import * as z from 'zod/mini';
import type { RecordQueries } from '../ports/event-store';
import type { ListPage, ListPageRequest } from '../records/paging';
import type { Page } from '../records/views';
import {
  BadParameter,
  checkWindow,
  defined,
  flagOf,
  limitOf,
  paramsOf,
  sinceOf as timeOf,
} from './params';
import { BadCursorError, decodeCursor, encodeCursor } from './cursor';
import { ANSWERS, QUERIES } from './schemas';

/** What the read API reads from, and its clock (for `since=24h`). */
export interface ReadApiDeps {
  records: RecordQueries;
  now?: () => Date;
}

/** An unknown job or connection: answered 404. */
export class NotFound extends Error {}

type Name = keyof typeof QUERIES;
type Query<N extends Name> = z.infer<(typeof QUERIES)[N]>;

export interface Route<N extends Name = Name> {
  name: N;
  /** The path as OpenAPI writes it (`{s3_root}` for a path parameter). */
  path: string;
  summary: string;
  /** The path parameter's value when `path` is this route's, else undefined. */
  match(path: string): { param?: string } | undefined;
  run(deps: ReadApiDeps, query: Query<N>, param: string | undefined): Promise<unknown>;
}

/** A time parameter, durations counted back from the deps' clock. */
const sinceOf = (value: string | undefined, name: string, deps: ReadApiDeps): Date | undefined =>
  timeOf(value, name, deps.now?.() ?? new Date());

/** A list's time parameters: read once, on a walk's first page (the cursor carries them on). */
const TIMES = ['since', 'until', 'updated_since'] as const;
type TimeName = (typeof TIMES)[number];

/** One page of a list's walk: which page to read, its times, and how to write its `next`. */
interface Walk {
  request: ListPageRequest;
  time(name: TimeName): Date | undefined;
  page<T>(read: ListPage<T>): Page<T>;
}

/**
 * The walk a list query continues: `limit` items after the cursor's position, with the times of
 * the walk's first page. Every time parameter is checked on every page, and a `since` after an
 * `until` refused. The cursor is bound to `route` and the query's filters (all but limit and
 * cursor), as given.
 */
function walkOf(
  route: Name,
  query: Record<string, string | undefined>,
  defaultLimit: number,
  deps: ReadApiDeps,
): Walk {
  const { limit: asked, cursor, ...filter } = query;
  const limit = limitOf(asked, defaultLimit);
  const now = deps.now?.() ?? new Date();
  const given: Record<string, number> = {};
  for (const name of TIMES) {
    const at = timeOf(filter[name], name, now);
    if (at !== undefined) given[name] = at.getTime();
  }
  const state = decodeCursor(cursor, route, filter);
  if (
    state !== undefined &&
    Object.keys(state.times).sort().join() !== Object.keys(given).sort().join()
  )
    throw new BadCursorError();
  const times = state?.times ?? given;
  const time = (name: TimeName) => (times[name] === undefined ? undefined : new Date(times[name]));
  checkWindow(time('since'), time('until'));
  return {
    request: { limit, ...(state !== undefined && { after: state.position }) },
    time,
    page: ({ items, after }) => ({
      items,
      next: after === null ? null : encodeCursor(route, filter, { position: after, times }),
    }),
  };
}

const exactly = (path: string) => (asked: string) => (asked === path ? {} : undefined);

const JOB_PREFIX = '/v1/jobs/';

/** The routes of /v1, in the order the OpenAPI document lists them. */
export const ROUTES: Route[] = [
  {
    name: 'jobs',
    path: '/v1/jobs',
    summary: 'Jobs, newest first by start time (by latest event with updated_since)',
    match: exactly('/v1/jobs'),
    run: async (deps, q: Query<'jobs'>) => {
      const walk = walkOf('jobs', q, 50, deps);
      const filter = defined({
        tenant: q.tenant,
        flow: q.flow,
        env: q.env,
        status: q.status,
        since: walk.time('since'),
        until: walk.time('until'),
        updatedSince: walk.time('updated_since'),
      });
      return walk.page(await deps.records.pageJobs(filter, walk.request));
    },
  } as Route<'jobs'>,
  {
    name: 'job',
    path: '/v1/jobs/{s3_root}',
    summary:
      'One job with its history, by its s3_root (URL-encoded) or a job_id that names one job',
    match: (path) =>
      path.startsWith(JOB_PREFIX) ? { param: path.slice(JOB_PREFIX.length) } : undefined,
    run: async (deps, _q, param) => {
      let id: string;
      try {
        id = decodeURIComponent(param ?? '');
      } catch {
        throw new BadParameter('the job id is not a valid URL-encoded string');
      }
      if (id === '') throw new BadParameter('name a job: /v1/jobs/<url-encoded s3_root>');
      const job = await deps.records.getJob(id);
      if (job === undefined) throw new NotFound(`no job ${id}`);
      return job;
    },
  } as Route<'job'>,
  {
    name: 'discover',
    path: '/v1/discover',
    summary: 'The latest discover state of each connector',
    match: exactly('/v1/discover'),
    run: async (deps, q: Query<'discover'>) => {
      const walk = walkOf('discover', q, 100, deps);
      const filter = defined({ tenant: q.tenant, flow: q.flow, status: q.status });
      return walk.page(await deps.records.pageDiscover(filter, walk.request));
    },
  } as Route<'discover'>,
  {
    name: 'connections',
    path: '/v1/connections',
    summary: 'The latest event of each connection (without its history)',
    match: exactly('/v1/connections'),
    run: async (deps, q: Query<'connections'>) => {
      const walk = walkOf('connections', q, 100, deps);
      const filter = defined({
        tenant: q.tenant,
        flow: q.flow,
        linked: q.linked === undefined ? undefined : q.linked === 'true',
      });
      return walk.page(await deps.records.pageConnections(filter, walk.request));
    },
  } as Route<'connections'>,
  {
    name: 'connectionHistory',
    path: '/v1/connections/history',
    summary: "One connection's events, newest first, a page at a time",
    match: exactly('/v1/connections/history'),
    run: async (deps, q: Query<'connectionHistory'>) => {
      const key = {
        env_id: q.env,
        tenant: q.tenant,
        flow_id: q.flow,
        connector_type: q.type,
        connector: q.connector,
      };
      // The history's own cursor (the last event shown), bound like a list's.
      const { limit, cursor, ...filter } = q;
      const state = decodeCursor(cursor, 'connectionHistory', filter);
      const page = await deps.records.connectionHistory(key, {
        limit: limitOf(limit, 50),
        ...(state !== undefined && { before: state.position }),
      });
      if (page === undefined)
        throw new NotFound(`no connection ${q.connector} of tenant ${q.tenant}`);
      const next =
        page.next === null
          ? null
          : encodeCursor('connectionHistory', filter, { position: page.next, times: {} });
      return { items: page.items, next };
    },
  } as Route<'connectionHistory'>,
  {
    name: 'summary',
    path: '/v1/summary',
    summary:
      'Jobs started since a time (24 h by default) per status class, and failures per tenant',
    match: exactly('/v1/summary'),
    run: (deps, q: Query<'summary'>) =>
      deps.records.summarizeJobs(
        defined({
          since: sinceOf(q.since ?? '24h', 'since', deps) as Date,
          now: deps.now?.() ?? new Date(),
          tenant: q.tenant,
          flow: q.flow,
        }),
      ),
  } as Route<'summary'>,
];

/**
 * The query checked against the route's schema: unknown, repeated or malformed parameters are
 * refused, with the messages the dashboard's /api gives (see paramsOf and limitOf).
 */
export function checkQuery<N extends Name>(name: N, query: URLSearchParams): Query<N> {
  const params = paramsOf(query, Object.keys(QUERIES[name].shape));
  limitOf(params.limit, 1);
  flagOf(params.linked, 'linked');
  const result = z.safeParse(QUERIES[name], { ...params });
  if (result.success) return result.data as Query<N>;
  const reasons = result.error.issues.map((issue) =>
    issue.code === 'unrecognized_keys'
      ? `unknown parameter ${issue.keys.map((k) => `"${k}"`).join(', ')}`
      : `${issue.path.join('.') || 'query'}: ${issue.message}`,
  );
  throw new BadParameter(reasons.join('; '));
}

/** Shapes an answer by its schema (a mismatch is a bug of ours: it fails loudly). */
export const shaped = (name: Name, body: unknown): unknown => z.parse(ANSWERS[name], body);
