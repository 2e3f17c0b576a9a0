import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { AmbiguousJobIdError, type ConnectionKeyParts } from '../../ports/event-store';
import type { ConnectionRecord } from '../../records/connections';
import type { DiscoverRecord } from '../../records/discover';
import { connectionKey, jobKey } from '../../records/entity-keys';
import type { JobRecord } from '../../records/jobs';
import {
  checkHistoryCursor,
  connectionHistoryPage,
  connectionMatches,
  connectionSummary,
  discoverMatches,
  discoverSummary,
  jobMatches,
  jobSummary,
  jobView,
  newestUpdateFirst,
  sinceKey,
  statusClassesOf,
  type ConnectionFilter,
  type ConnectionView,
  type DiscoverFilter,
  type DiscoverView,
  type JobFilter,
  type JobSummary,
  type JobView,
  type Page,
  type PageRequest,
} from '../../records/views';
import type { ConnectionHistoryEntry } from '../../records/connections';
import type { Kind } from '../../webhook/kinds';
import { batchGetItems, readPartition } from './dynamodb-io';
import { keysetPage, type ListPage, type ListPageRequest } from '../../records/paging';
import { ENTITY_VALUE, INDEX, recordOf, splitPartition, type Item } from './table-layout';
import { mergeSorted, pageSizes, queryIndex, queryShards } from './index-reads';

/** Records per BatchGetItem. */
const PAGE = 100;

async function jobByS3Root(
  db: DynamoDBDocumentClient,
  table: string,
  s3Root: string,
): Promise<JobView | undefined> {
  const { current, history } = splitPartition(await readPartition(db, table, jobKey(s3Root)));
  return current === undefined ? undefined : jobView(recordOf<JobRecord>('jobs', current), history);
}

/** A job by its `s3_root` (its true key) or by its `job_id` (through the by-job-id index). */
export async function getJob(
  db: DynamoDBDocumentClient,
  table: string,
  id: string,
): Promise<JobView | undefined> {
  const direct = await jobByS3Root(db, table, id);
  if (direct !== undefined) return direct;
  const s3Roots: string[] = [];
  for await (const key of queryIndex(db, table, { index: INDEX.byJobId, hash: ['job_id', id] })) {
    s3Roots.push(String(key.pk).slice(jobKey('').length));
  }
  if (s3Roots.length > 1) throw new AmbiguousJobIdError(id, s3Roots.sort());
  return s3Roots[0] === undefined ? undefined : jobByS3Root(db, table, s3Roots[0]);
}

/**
 * The CURRENT items of index hits, in the order asked (BatchGetItem, see batchGetItems); only the
 * `projection` attributes (and the key) when given.
 */
async function batchGet(
  db: DynamoDBDocumentClient,
  table: string,
  keys: Item[],
  projection?: string[],
): Promise<Item[]> {
  const items = await batchGetItems(db, table, keys, projection && { projection });
  const found = new Map(items.map((item) => [String(item.pk), item]));
  return keys.map((k) => found.get(String(k.pk))).filter((i): i is Item => i !== undefined);
}

/** The jobs whose CURRENT items `keys` name, as list rows. */
export async function jobsByKeys(
  db: DynamoDBDocumentClient,
  table: string,
  keys: Item[],
): Promise<JobSummary[]> {
  return (await batchGet(db, table, keys)).map((item) =>
    jobSummary(recordOf<JobRecord>('jobs', item)),
  );
}

/** The records of the CURRENT items `keys` name, in their order: undefined for one that is gone. */
async function recordsAt<R>(
  db: DynamoDBDocumentClient,
  table: string,
  kind: Kind,
  keys: Item[],
): Promise<(R | undefined)[]> {
  const items = await batchGetItems(
    db,
    table,
    keys.map((k) => ({ pk: k.pk, sk: k.sk })),
  );
  const found = new Map(items.map((item) => [String(item.pk), item]));
  return keys.map((k) => {
    const item = found.get(String(k.pk));
    return item === undefined ? undefined : recordOf<R>(kind, item);
  });
}

/** Index hits → the records of their CURRENT items, a page at a time, keeping the index order. */
async function* records<R>(
  db: DynamoDBDocumentClient,
  table: string,
  kind: Kind,
  keys: AsyncIterable<Item>,
): AsyncGenerator<R> {
  let batch: Item[] = [];
  for await (const key of keys) {
    batch.push({ pk: key.pk, sk: key.sk });
    if (batch.length === PAGE) {
      for (const item of await batchGet(db, table, batch)) yield recordOf<R>(kind, item);
      batch = [];
    }
  }
  if (batch.length > 0)
    for (const item of await batchGet(db, table, batch)) yield recordOf<R>(kind, item);
}

/** Where a list's index read starts, and its Query page sizes (a keyset page's, see pageSizes). */
interface ReadFrom {
  after?: string;
  sizes?: { sharded: number; single: number };
}

/**
 * The index entries a job filter reads, newest first, and their sort key: by the hour of the
 * latest event (`updated_key`) with updatedSince, else by start (`started_key`) through the tenant
 * index, else the flow's, else the status classes' (all of them merged when no status is given);
 * the flow, status and update indexes are sharded. Never a Scan.
 */
export function jobKeys(
  db: DynamoDBDocumentClient,
  table: string,
  filter: JobFilter,
  read: ReadFrom = {},
): { keys: AsyncGenerator<Item>; by: string } {
  const size = (index: 'sharded' | 'single') => {
    const pageSize = read.sizes?.[index] ?? filter.pageSize;
    return pageSize !== undefined && { pageSize };
  };
  if (filter.updatedSince !== undefined) {
    const hour = sinceKey(filter.updatedSince).slice(0, 13);
    const keys = queryShards(
      db,
      table,
      {
        index: INDEX.byUpdated,
        hash: ['entity', ENTITY_VALUE.jobs],
        from: ['updated_key', hour],
        ...(read.after !== undefined && { after: ['updated_key', read.after] }),
        newestFirst: true,
        ...size('sharded'),
      },
      'updated_key',
    );
    return { keys, by: 'updated_key' };
  }
  const range = {
    ...(filter.since && { from: ['started_key', sinceKey(filter.since)] as [string, string] }),
    ...(filter.until && { to: ['started_key', sinceKey(filter.until)] as [string, string] }),
    ...(read.after !== undefined && { after: ['started_key', read.after] as [string, string] }),
  };
  const sharded = (index: string, hash: [string, string]) =>
    queryShards(
      db,
      table,
      { index, hash, newestFirst: true, ...range, ...size('sharded') },
      'started_key',
    );
  const keys =
    filter.tenant !== undefined
      ? queryIndex(db, table, {
          index: INDEX.byTenant,
          hash: ['tenant', filter.tenant],
          newestFirst: true,
          ...range,
          ...size('single'),
        })
      : filter.flow !== undefined
        ? sharded(INDEX.byFlow, ['flow_shard', filter.flow])
        : mergeSorted(
            statusClassesOf(filter.status).map((c) => sharded(INDEX.byStatus, ['status_shard', c])),
            'started_key',
            true,
          );
  return { keys, by: 'started_key' };
}

/**
 * Jobs newest first (by start time), through an index (see jobKeys); with updatedSince, newest
 * update first: by the hour of the latest event, then exactly by the records' updated_at.
 */
export async function* listJobs(
  db: DynamoDBDocumentClient,
  table: string,
  filter: JobFilter = {},
): AsyncGenerator<JobSummary> {
  const { keys } = jobKeys(db, table, filter);
  const jobs = matching(records<JobRecord>(db, table, 'jobs', keys), filter);
  yield* filter.updatedSince !== undefined ? newestUpdateFirst(jobs) : jobs;
}

/**
 * One keyset page of jobs (see keysetPage): in the order of the index the filter reads, newest
 * start first (with updatedSince, by the hour of the latest event, newest first, then by s3_root
 * descending: the index's order, not the exact time), strictly after the position `after`.
 */
export async function pageJobs(
  db: DynamoDBDocumentClient,
  table: string,
  filter: JobFilter,
  request: ListPageRequest,
): Promise<ListPage<JobSummary>> {
  const { keys, by } = jobKeys(db, table, filter, {
    ...(request.after !== undefined && { after: request.after }),
    sizes: pageSizes(request.limit),
  });
  return keysetPage(
    keys,
    (key) => String(key[by]),
    async (chunk) =>
      (await recordsAt<JobRecord>(db, table, 'jobs', chunk)).map((record) =>
        record !== undefined && jobMatches(record, filter) ? jobSummary(record) : undefined,
      ),
    request,
  );
}

async function* matching(
  jobs: AsyncIterable<JobRecord>,
  filter: JobFilter,
): AsyncGenerator<JobSummary> {
  for await (const record of jobs) if (jobMatches(record, filter)) yield jobSummary(record);
}

/**
 * A discover state's or connection's index keys, in `sort_key` order: by tenant, by flow
 * (sharded), or all (sharded).
 */
export function keysFor(
  db: DynamoDBDocumentClient,
  table: string,
  kind: 'discover' | 'connections',
  filter: { tenant?: string; flow?: string },
  read: ReadFrom = {},
): AsyncGenerator<Item> {
  const after = read.after !== undefined && { after: ['sort_key', read.after] as [string, string] };
  const size = (index: 'sharded' | 'single') =>
    read.sizes !== undefined && { pageSize: read.sizes[index] };
  if (filter.tenant !== undefined)
    return queryIndex(db, table, {
      index: INDEX.byTenant,
      hash: ['tenant', filter.tenant],
      ...after,
      ...size('single'),
    });
  if (filter.flow !== undefined)
    return queryShards(
      db,
      table,
      { index: INDEX.byFlow, hash: ['flow_shard', filter.flow], ...after, ...size('sharded') },
      'sort_key',
    );
  return queryShards(
    db,
    table,
    { index: INDEX.all, hash: ['entity', ENTITY_VALUE[kind]], ...after, ...size('sharded') },
    'sort_key',
  );
}

/** One keyset page of discover states or connections (see keysetPage), in `sort_key` order. */
function pageOfKind<R, V>(
  db: DynamoDBDocumentClient,
  table: string,
  kind: 'discover' | 'connections',
  filter: { tenant?: string; flow?: string },
  view: (record: R) => V | undefined,
  request: ListPageRequest,
): Promise<ListPage<V>> {
  const keys = keysFor(db, table, kind, filter, {
    ...(request.after !== undefined && { after: request.after }),
    sizes: pageSizes(request.limit),
  });
  return keysetPage(
    keys,
    (key) => String(key.sort_key),
    async (chunk) =>
      (await recordsAt<R>(db, table, kind, chunk)).map((r) =>
        r === undefined ? undefined : view(r),
      ),
    request,
  );
}

export const pageDiscover = (
  db: DynamoDBDocumentClient,
  table: string,
  filter: DiscoverFilter,
  request: ListPageRequest,
): Promise<ListPage<DiscoverView>> =>
  pageOfKind<DiscoverRecord, DiscoverView>(
    db,
    table,
    'discover',
    filter,
    (r) => (discoverMatches(r, filter) ? discoverSummary(r) : undefined),
    request,
  );

export const pageConnections = (
  db: DynamoDBDocumentClient,
  table: string,
  filter: ConnectionFilter,
  request: ListPageRequest,
): Promise<ListPage<ConnectionView>> =>
  pageOfKind<ConnectionRecord, ConnectionView>(
    db,
    table,
    'connections',
    filter,
    (r) => (connectionMatches(r, filter) ? connectionSummary(r) : undefined),
    request,
  );

/** Discover state per (env_id, tenant, flow_id, connector), ordered by tenant, flow, connector. */
export async function* listDiscover(
  db: DynamoDBDocumentClient,
  table: string,
  filter: DiscoverFilter = {},
): AsyncGenerator<DiscoverView> {
  const keys = keysFor(db, table, 'discover', filter);
  for await (const record of records<DiscoverRecord>(db, table, 'discover', keys)) {
    if (discoverMatches(record, filter)) yield discoverSummary(record);
  }
}

/** Connections per (env_id, tenant, flow_id, connector_type, connector), without their history. */
export async function* listConnections(
  db: DynamoDBDocumentClient,
  table: string,
  filter: ConnectionFilter = {},
): AsyncGenerator<ConnectionView> {
  const keys = keysFor(db, table, 'connections', filter);
  for await (const record of records<ConnectionRecord>(db, table, 'connections', keys)) {
    if (connectionMatches(record, filter)) yield connectionSummary(record);
  }
}

/**
 * One page of a connection's history, newest first. It reads the connection's partition (its
 * history items are keyed by event_id, not by time), so a page costs what the whole history
 * costs to read: it is read only on request, for one connection, never for a list.
 */
export async function connectionHistoryOf(
  db: DynamoDBDocumentClient,
  table: string,
  key: ConnectionKeyParts,
  page: PageRequest,
): Promise<Page<ConnectionHistoryEntry> | undefined> {
  checkHistoryCursor(page.before);
  const { current, history } = splitPartition(await readPartition(db, table, connectionKey(key)));
  return current === undefined ? undefined : connectionHistoryPage(history, page);
}
