import { paginateQuery, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { STATUS_CLASSES, type StatusClass } from '../../records/jobs';
import { everyShard } from '../../records/shards';
import {
  sinceKey,
  summaryFromCounts,
  summaryOf,
  take,
  type FinishedStart,
  type JobsSummaryView,
  type SummaryFilter,
} from '../../records/views';
import { queryPages } from './dynamodb-io';
import { listJobs } from './queries';
import { queryIndex } from './index-reads';
import { INDEX, type Item } from './table-layout';

/** The most failed jobs whose tenants a summary reads; more are counted, not attributed. */
const FAILED_TENANTS_MAX = 1_000;
/** The most records a tenant's or a flow's summary reads. */
const RECORDS_MAX = 5_000;

/**
 * The start times of the index entries with `hash` and a range key >= `from`: a Query of the
 * `KEYS_ONLY` entries, which costs the read units a `Select: COUNT` of them would.
 */
async function startsInIndex(
  db: DynamoDBDocumentClient,
  table: string,
  hash: string,
  from: string,
): Promise<string[]> {
  const starts: string[] = [];
  const entries = queryPages(db, {
    TableName: table,
    IndexName: INDEX.byStatus,
    KeyConditionExpression: 'status_shard = :h AND started_key >= :r',
    ExpressionAttributeValues: { ':h': hash, ':r': from },
  });
  for await (const entry of entries) starts.push(String(entry.started_key).split('#')[0] ?? '');
  return starts;
}

/** The classes whose jobs the summary also counts by hour of their start. */
const FINISHED: readonly StatusClass[] = ['completed', 'failed'];

/** How many index entries have `hash` and a range key >= `from` (Select COUNT, every page). */
async function countIndex(
  db: DynamoDBDocumentClient,
  table: string,
  hash: string,
  from: string,
): Promise<number> {
  let count = 0;
  const pages = paginateQuery(
    { client: db },
    {
      TableName: table,
      IndexName: INDEX.byStatus,
      Select: 'COUNT',
      KeyConditionExpression: 'status_shard = :h AND started_key >= :r',
      ExpressionAttributeValues: { ':h': hash, ':r': from },
    },
  );
  for await (const page of pages) count += page.Count ?? 0;
  return count;
}

/** Keys of the first FAILED_TENANTS_MAX failed jobs started since `from`, in one index's shards. */
async function failedKeys(
  db: DynamoDBDocumentClient,
  table: string,
  index: { name: string; hash: string; value: string; range: string },
  from: string,
): Promise<Item[]> {
  const keys: Item[] = [];
  for (const value of everyShard(index.value)) {
    const stream = queryIndex(db, table, {
      index: index.name,
      hash: [index.hash, value],
      from: [index.range, from],
    });
    for await (const key of stream) {
      if (keys.length >= FAILED_TENANTS_MAX) return keys;
      keys.push(key);
    }
  }
  return keys;
}

/**
 * The tenant of each failed job started since `from` (at most FAILED_TENANTS_MAX), from the
 * sparse watch index, which holds it.
 */
async function failedTenants(
  db: DynamoDBDocumentClient,
  table: string,
  from: string,
): Promise<string[]> {
  const hits = await failedKeys(
    db,
    table,
    { name: INDEX.byWatch, hash: 'watch_shard', value: 'failed', range: 'watch_key' },
    from,
  );
  return hits.map((hit) => String(hit.tenant));
}

/**
 * Jobs started since a time, per status class, counted in the sharded status index (`Select:
 * COUNT` on each class's 16 shards: index entries of about 150 bytes, not the records), and the
 * failed jobs' tenants, read from the sparse watch index. A tenant's or a flow's summary reads
 * that tenant's or flow's records (at most RECORDS_MAX).
 */
export async function summarizeJobs(
  db: DynamoDBDocumentClient,
  table: string,
  filter: SummaryFilter,
): Promise<JobsSummaryView> {
  const { since, tenant, flow } = filter;
  if (tenant !== undefined || flow !== undefined) {
    const jobs = await take(
      listJobs(db, table, {
        since,
        ...(tenant !== undefined && { tenant }),
        ...(flow !== undefined && { flow }),
      }),
      RECORDS_MAX,
    );
    return summaryOf(filter, jobs, jobs.length === RECORDS_MAX);
  }
  const from = sinceKey(since);
  const finished: FinishedStart[] = [];
  const counts = await Promise.all(
    STATUS_CLASSES.map(async (c) => {
      if (FINISHED.includes(c)) {
        const starts = await Promise.all(
          everyShard(c).map((hash) => startsInIndex(db, table, hash, from)),
        );
        for (const started_at of starts.flat()) finished.push({ started_at, status_class: c });
        return [c, starts.flat().length] as [StatusClass, number];
      }
      const perShard = await Promise.all(
        everyShard(c).map((hash) => countIndex(db, table, hash, from)),
      );
      return [c, perShard.reduce((a, b) => a + b, 0)] as [StatusClass, number];
    }),
  );
  const failed = Object.fromEntries(counts).failed ?? 0;
  const failedTenantList = await failedTenants(db, table, from);
  return summaryFromCounts(
    filter,
    Object.fromEntries(counts),
    { failedTenants: failedTenantList, finished },
    failed > failedTenantList.length,
  );
}
