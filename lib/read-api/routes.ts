import * as z from 'zod/mini';
import type { RecordQueries } from '../ports/event-store';
import { take, type Page } from '../records/views';
import { BadParameter, defined, limitOf, sinceOf as timeOf } from './params';
import { BadCursorError, CURSOR_DEPTH_MAX, decodeCursor, encodeCursor } from './cursor';
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

/**
 * One page of a listing: `limit` items after the cursor's offset, and the cursor of the next page
 * while there is more. The cursor is bound to `query`'s filters (all but limit and cursor).
 */
async function pageOf<T>(
  items: AsyncIterable<T>,
  query: { limit?: string; cursor?: string },
  defaultLimit: number,
): Promise<Page<T>> {
  const { limit: asked, cursor, ...filter } = query;
  const limit = limitOf(asked, defaultLimit);
  const offset = decodeCursor(cursor, filter);
  if (offset + limit > CURSOR_DEPTH_MAX)
    throw new BadCursorError(`pages end at item ${CURSOR_DEPTH_MAX}: narrow the filters`);
  const read = await take(items, offset + limit + 1);
  const more = read.length > offset + limit;
  return {
    items: read.slice(offset, offset + limit),
    next: more ? encodeCursor(offset + limit, filter) : null,
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
    run: (deps, q: Query<'jobs'>) =>
      pageOf(
        deps.records.listJobs(
          defined({
            tenant: q.tenant,
            flow: q.flow,
            env: q.env,
            status: q.status,
            since: sinceOf(q.since, 'since', deps),
            until: sinceOf(q.until, 'until', deps),
            updatedSince: sinceOf(q.updated_since, 'updated_since', deps),
          }),
        ),
        q,
        50,
      ),
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
    run: (deps, q: Query<'discover'>) =>
      pageOf(
        deps.records.listDiscover(defined({ tenant: q.tenant, flow: q.flow, status: q.status })),
        q,
        100,
      ),
  } as Route<'discover'>,
  {
    name: 'connections',
    path: '/v1/connections',
    summary: 'The latest event of each connection (without its history)',
    match: exactly('/v1/connections'),
    run: (deps, q: Query<'connections'>) =>
      pageOf(
        deps.records.listConnections(
          defined({
            tenant: q.tenant,
            flow: q.flow,
            linked: q.linked === undefined ? undefined : q.linked === 'true',
          }),
        ),
        q,
        100,
      ),
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
      const page = await deps.records.connectionHistory(key, {
        limit: limitOf(q.limit, 50),
        ...defined({ before: q.cursor }),
      });
      if (page === undefined)
        throw new NotFound(`no connection ${q.connector} of tenant ${q.tenant}`);
      return page;
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
 * The query of a request as one object: each name once (a repeated name is refused), an empty
 * value (an empty form field) left out.
 */
function queryObject(query: URLSearchParams): Record<string, string> {
  const out: Record<string, string> = {};
  const seen = new Set<string>();
  for (const [name, value] of query) {
    if (seen.has(name)) throw new BadParameter(`parameter "${name}" is given more than once`);
    seen.add(name);
    if (value.trim() !== '') out[name] = value.trim();
  }
  return out;
}

/** The query checked against the route's schema: unknown or malformed parameters are refused. */
export function checkQuery<N extends Name>(name: N, query: URLSearchParams): Query<N> {
  const result = z.safeParse(QUERIES[name], queryObject(query));
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
