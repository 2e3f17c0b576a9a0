import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ListCount } from '../../ports/event-store';
import { STATUS_CLASSES } from '../../records/jobs';
import { SHARDS } from '../../records/shards';
import {
  statusClassesOf,
  type ConnectionFilter,
  type DiscoverFilter,
  type JobFilter,
} from '../../records/views';
import type { ListPage } from '../../records/paging';
import { jobKeys, keysFor, pageConnections, pageDiscover, pageJobs } from './queries';
import type { Item } from './table-layout';

/**
 * The size of a list, for the dashboard's "50 of 60". A filter that an index's key condition
 * expresses whole is counted in that index: its KEYS_ONLY entries (about 150 bytes each, what a
 * `Select: COUNT` of them costs), up to COUNT_MAX (countPageSizes says what that reads). A filter
 * checked on the records (a tenant's failed jobs, an exact status, a discover status) can only be
 * counted by reading them: at most RECORDS_MAX index entries, as one keyset page would. Past either bound the count says "at least".
 */

/** Index entries a count takes: about 1.5 MB of keys, some 180 read units. */
const COUNT_MAX = 10_000;
/** Records a count of a filter checked on the records reads at most (a page's read budget). */
const RECORDS_MAX = 1_000;

/**
 * Keys per Query page of a count that merges `streams` index reads (a sharded index's 16, or 16
 * per status class: 64 for every job): COUNT_MAX shared among them, as the merge starts every
 * stream at once. A stream reads its next page only when its items come up, so a count reads
 * COUNT_MAX entries plus at most one page per stream (streams × page < COUNT_MAX + streams): at
 * most 2 × COUNT_MAX + streams, about 370 read units; some 15,000 entries when the newest spread at
 * random over the streams (test/unit/counts.test.ts). One stream (a single index) reads at most
 * COUNT_MAX. A page of 1,000 per stream read 64,000 entries (1,200 read units) to count every
 * job, 16,000 for a status class or flow: each stream's first page came before the merge took one.
 */
const countPageSizes = (streams: number) => ({
  sharded: Math.ceil(COUNT_MAX / streams),
  single: COUNT_MAX,
});

/** The index entries of `keys`, counted up to COUNT_MAX. */
async function countKeys(keys: AsyncGenerator<Item>): Promise<ListCount> {
  let count = 0;
  try {
    for (let next = await keys.next(); next.done !== true; next = await keys.next()) {
      count += 1;
      if (count >= COUNT_MAX) return { count, exact: false };
    }
    return { count, exact: true };
  } finally {
    await keys.return(undefined);
  }
}

/** The items of a walk's first RECORDS_MAX entries: exact when the walk ended there. */
const countPage = (page: ListPage<unknown>): ListCount => ({
  count: page.items.length,
  exact: page.after === null,
});

const WALK = { limit: RECORDS_MAX, budget: RECORDS_MAX };

/**
 * Whether the index a job filter reads (see jobKeys) selects exactly its jobs: a tenant alone, a
 * flow alone, or a status class (or none), each with start times or not.
 */
function jobsKeyOnly(filter: JobFilter): boolean {
  const { tenant, flow, status, env, updatedSince } = filter;
  if (env !== undefined || updatedSince !== undefined) return false;
  if (tenant !== undefined) return flow === undefined && status === undefined;
  if (flow !== undefined) return status === undefined;
  return (
    status === undefined || (STATUS_CLASSES as readonly string[]).includes(status.toLowerCase())
  );
}

/**
 * The sharded streams a key-only job filter merges (see jobKeys): a flow's 16, or 16 per status
 * class (a tenant's index is a single one, read with `single`).
 */
const jobStreams = (filter: JobFilter): number =>
  filter.flow !== undefined ? SHARDS : SHARDS * statusClassesOf(filter.status).length;

export function countJobs(
  db: DynamoDBDocumentClient,
  table: string,
  filter: JobFilter,
): Promise<ListCount> {
  return jobsKeyOnly(filter)
    ? countKeys(jobKeys(db, table, filter, { sizes: countPageSizes(jobStreams(filter)) }).keys)
    : pageJobs(db, table, filter, WALK).then(countPage);
}

/** A discover state's or connection's filter that its index selects whole (see keysFor). */
const keyOnly = (filter: { tenant?: string; flow?: string }, checked: unknown): boolean =>
  checked === undefined && (filter.tenant === undefined || filter.flow === undefined);

export function countDiscover(
  db: DynamoDBDocumentClient,
  table: string,
  filter: DiscoverFilter,
): Promise<ListCount> {
  return keyOnly(filter, filter.status)
    ? countKeys(keysFor(db, table, 'discover', filter, { sizes: countPageSizes(SHARDS) }))
    : pageDiscover(db, table, filter, WALK).then(countPage);
}

export function countConnections(
  db: DynamoDBDocumentClient,
  table: string,
  filter: ConnectionFilter,
): Promise<ListCount> {
  return keyOnly(filter, filter.linked)
    ? countKeys(keysFor(db, table, 'connections', filter, { sizes: countPageSizes(SHARDS) }))
    : pageConnections(db, table, filter, WALK).then(countPage);
}
