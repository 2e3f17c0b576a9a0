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
import { batchGetItems, queryPages, readPartition } from './dynamodb-io';
import { everyShard } from '../../records/shards';
import { ENTITY_VALUE, INDEX, recordOf, splitPartition, type Item } from './table-layout';

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

interface IndexQuery {
  index: string;
  hash: [name: string, value: string];
  /** Keeps range keys >= this value. */
  from?: [name: string, value: string];
  /** Keeps range keys < this value (the same key as `from`; the caller drops the value itself). */
  to?: [name: string, value: string];
  newestFirst?: boolean;
  pageSize?: number;
}

/** Pages through an index (newest first for time-sorted keys). Yields index keys only. */
export function queryIndex(
  db: DynamoDBDocumentClient,
  table: string,
  query: IndexQuery,
): AsyncGenerator<Item> {
  const { from, to } = query;
  const range =
    from && to ? ' AND #r BETWEEN :r AND :t' : from ? ' AND #r >= :r' : to ? ' AND #r < :t' : '';
  const rangeName = (from ?? to)?.[0];
  return queryPages(db, {
    TableName: table,
    IndexName: query.index,
    KeyConditionExpression: `#h = :h${range}`,
    ExpressionAttributeNames: { '#h': query.hash[0], ...(rangeName && { '#r': rangeName }) },
    ExpressionAttributeValues: {
      ':h': query.hash[1],
      ...(from && { ':r': from[1] }),
      ...(to && { ':t': to[1] }),
    },
    ScanIndexForward: query.newestFirst !== true,
    Limit: query.pageSize ?? PAGE,
  });
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

/**
 * Merges index streams each sorted by the attribute `by` (descending when `newestFirst`) into one
 * stream in that order. Each stream pages by itself, so the merge reads a shard's next page only
 * when its items come up: paging stays correct however the items fall over the shards.
 */
async function* mergeSorted(
  streams: AsyncGenerator<Item>[],
  by: string,
  newestFirst: boolean,
): AsyncGenerator<Item> {
  const heads = await Promise.all(streams.map((s) => s.next()));
  const before = (a: Item, b: Item) =>
    newestFirst ? String(a[by]) > String(b[by]) : String(a[by]) < String(b[by]);
  for (;;) {
    let best = -1;
    heads.forEach((head, i) => {
      if (head.done) return;
      const current = heads[best];
      if (best < 0 || (current && !current.done && before(head.value, current.value))) best = i;
    });
    if (best < 0) return;
    const head = heads[best] as IteratorYieldResult<Item>;
    yield head.value;
    heads[best] = await (streams[best] as AsyncGenerator<Item>).next();
  }
}

/** Keys per shard and page: 16 shards of 25 fill the CLI's default 50 twice over in one round. */
const SHARD_PAGE = 25;

/** Every shard of `value` in a sharded index, merged in the sort key's order. */
function queryShards(
  db: DynamoDBDocumentClient,
  table: string,
  query: Omit<IndexQuery, 'hash' | 'pageSize'> & { hash: [string, string]; pageSize?: number },
  sortKey: string,
): AsyncGenerator<Item> {
  const [name, value] = query.hash;
  const pageSize = query.pageSize ?? SHARD_PAGE;
  const streams = everyShard(value).map((v) =>
    queryIndex(db, table, { ...query, hash: [name, v], pageSize }),
  );
  return mergeSorted(streams, sortKey, query.newestFirst === true);
}

/**
 * Jobs newest first (by start time), through an index: by tenant, else by flow, else by status
 * class (all classes merged when no status is given); the flow and status indexes are sharded.
 * Never a Scan.
 */
export async function* listJobs(
  db: DynamoDBDocumentClient,
  table: string,
  filter: JobFilter = {},
): AsyncGenerator<JobSummary> {
  const page = filter.pageSize !== undefined && { pageSize: filter.pageSize };
  if (filter.updatedSince !== undefined) {
    // By the hour of the latest event, newest first, then exactly by the records' updated_at.
    const hour = sinceKey(filter.updatedSince).slice(0, 13);
    const keys = queryShards(
      db,
      table,
      {
        index: INDEX.byUpdated,
        hash: ['entity', ENTITY_VALUE.jobs],
        from: ['updated_key', hour],
        newestFirst: true,
        ...page,
      },
      'updated_key',
    );
    yield* newestUpdateFirst(matching(records<JobRecord>(db, table, 'jobs', keys), filter));
    return;
  }
  const from = {
    ...(filter.since && { from: ['started_key', sinceKey(filter.since)] as [string, string] }),
    ...(filter.until && { to: ['started_key', sinceKey(filter.until)] as [string, string] }),
  };
  const sharded = (index: string, hash: [string, string]) =>
    queryShards(db, table, { index, hash, newestFirst: true, ...from, ...page }, 'started_key');
  const keys =
    filter.tenant !== undefined
      ? queryIndex(db, table, {
          index: INDEX.byTenant,
          hash: ['tenant', filter.tenant],
          newestFirst: true,
          ...from,
          ...page,
        })
      : filter.flow !== undefined
        ? sharded(INDEX.byFlow, ['flow_shard', filter.flow])
        : mergeSorted(
            statusClassesOf(filter.status).map((c) => sharded(INDEX.byStatus, ['status_shard', c])),
            'started_key',
            true,
          );
  yield* matching(records<JobRecord>(db, table, 'jobs', keys), filter);
}

async function* matching(
  jobs: AsyncIterable<JobRecord>,
  filter: JobFilter,
): AsyncGenerator<JobSummary> {
  for await (const record of jobs) if (jobMatches(record, filter)) yield jobSummary(record);
}

/** A discover state's or connection's index keys: by tenant, by flow (sharded), or all (sharded). */
function keysFor(
  db: DynamoDBDocumentClient,
  table: string,
  kind: 'discover' | 'connections',
  filter: { tenant?: string; flow?: string },
): AsyncGenerator<Item> {
  if (filter.tenant !== undefined)
    return queryIndex(db, table, { index: INDEX.byTenant, hash: ['tenant', filter.tenant] });
  if (filter.flow !== undefined)
    return queryShards(
      db,
      table,
      { index: INDEX.byFlow, hash: ['flow_shard', filter.flow] },
      'sort_key',
    );
  return queryShards(
    db,
    table,
    { index: INDEX.all, hash: ['entity', ENTITY_VALUE[kind]] },
    'sort_key',
  );
}

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
