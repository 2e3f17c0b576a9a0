import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { compareKeys } from '../../records/paging';
import { everyShard } from '../../records/shards';
import { queryPages } from './dynamodb-io';
import type { Item } from './table-layout';

/**
 * Reading an index: one Query's range of sort keys, and a sharded index's 16 Queries merged in
 * the order of their sort key.
 */

/** Keys per Query page, unless asked otherwise. */
const PAGE = 100;

interface IndexQuery {
  index: string;
  hash: [name: string, value: string];
  /** Keeps range keys >= this value. */
  from?: [name: string, value: string];
  /** Keeps range keys < this value (the same key as `from`). */
  to?: [name: string, value: string];
  /**
   * Keeps range keys strictly after this value in the order read (below it newest first): a
   * keyset page's position (the same key as `from`).
   */
  after?: [name: string, value: string];
  newestFirst?: boolean;
  pageSize?: number;
}

/** A bound of a range key: its value, and whether the value itself is kept. */
interface Bound {
  value: string;
  inclusive: boolean;
}

/** Of two bounds, the one that keeps less: `sign` 1 for a lower bound, -1 for an upper one. */
function tighter(a: Bound | undefined, b: Bound, sign: 1 | -1): Bound {
  if (a === undefined) return b;
  const order = compareKeys(a.value, b.value) * sign;
  return order > 0 || (order === 0 && !a.inclusive) ? a : b;
}

async function* nothing(): AsyncGenerator<Item> {
  // an empty range: no Query to make
}

/**
 * Pages through an index (newest first for time-sorted keys). Yields index keys only. An empty
 * range (`from` above `to`) makes no Query (DynamoDB refuses a BETWEEN whose bounds are reversed).
 */
export function queryIndex(
  db: DynamoDBDocumentClient,
  table: string,
  query: IndexQuery,
): AsyncGenerator<Item> {
  const { from, to, after } = query;
  const newestFirst = query.newestFirst === true;
  const rangeName = (from ?? to ?? after)?.[0];
  let lower: Bound | undefined = from && { value: from[1], inclusive: true };
  let upper: Bound | undefined = to && { value: to[1], inclusive: false };
  if (after !== undefined) {
    const bound = { value: after[1], inclusive: false };
    if (newestFirst) upper = tighter(upper, bound, -1);
    else lower = tighter(lower, bound, 1);
  }
  if (lower !== undefined && upper !== undefined) {
    const order = compareKeys(lower.value, upper.value);
    if (order > 0 || (order === 0 && !(lower.inclusive && upper.inclusive))) return nothing();
  }
  const range =
    lower && upper
      ? ' AND #r BETWEEN :r AND :t'
      : lower
        ? ` AND #r ${lower.inclusive ? '>=' : '>'} :r`
        : upper
          ? ` AND #r ${upper.inclusive ? '<=' : '<'} :t`
          : '';
  const pages = queryPages(db, {
    TableName: table,
    IndexName: query.index,
    KeyConditionExpression: `#h = :h${range}`,
    ExpressionAttributeNames: { '#h': query.hash[0], ...(rangeName && { '#r': rangeName }) },
    ExpressionAttributeValues: {
      ':h': query.hash[1],
      ...(lower && { ':r': lower.value }),
      ...(upper && { ':t': upper.value }),
    },
    ScanIndexForward: !newestFirst,
    Limit: query.pageSize ?? PAGE,
  });
  if (!(lower && upper) || (lower.inclusive && upper.inclusive)) return pages;
  // BETWEEN keeps both bounds: drop the one that is exclusive.
  const dropped = (item: Item) =>
    (!lower.inclusive && item[rangeName as string] === lower.value) ||
    (!upper.inclusive && item[rangeName as string] === upper.value);
  return (async function* () {
    for await (const item of pages) if (!dropped(item)) yield item;
  })();
}

/**
 * Merges index streams each sorted by the attribute `by` (descending when `newestFirst`) into one
 * stream in that order (DynamoDB's: by UTF-8 bytes). Each stream pages by itself, so the merge
 * reads a shard's next page only when its items come up: paging stays correct however the items
 * fall over the shards. Sort keys name their item, so two heads with one key are one item read
 * twice (its entry moving from one status class to another while the index catches up): it is
 * given once.
 */
export async function* mergeSorted(
  streams: AsyncGenerator<Item>[],
  by: string,
  newestFirst: boolean,
): AsyncGenerator<Item> {
  try {
    const heads = await Promise.all(streams.map((s) => s.next()));
    const before = (a: Item, b: Item) =>
      compareKeys(String(a[by]), String(b[by])) * (newestFirst ? -1 : 1) < 0;
    let last: string | undefined;
    for (;;) {
      let best = -1;
      heads.forEach((head, i) => {
        if (head.done) return;
        const current = heads[best];
        if (best < 0 || (current && !current.done && before(head.value, current.value))) best = i;
      });
      if (best < 0) return;
      const head = heads[best] as IteratorYieldResult<Item>;
      const key = String(head.value[by]);
      if (key !== last) yield head.value;
      last = key;
      heads[best] = await (streams[best] as AsyncGenerator<Item>).next();
    }
  } finally {
    await Promise.all(streams.map((s) => s.return(undefined)));
  }
}

/** Keys per shard and page: 16 shards of 25 fill the CLI's default 50 twice over in one round. */
const SHARD_PAGE = 25;

/**
 * Index keys per Query page for a keyset page of `limit` items: one more than the page shows (a
 * page looks one entry ahead), and at least SHARD_PAGE, so that a list checked on its records
 * reads a few entries per call. Per shard of a sharded index, an eighth of that once it passes
 * SHARD_PAGE: the merge reads a shard's next page only when its items come up.
 */
export const pageSizes = (limit: number) => ({
  sharded: Math.min(limit + 1, Math.max(SHARD_PAGE, Math.ceil((limit + 1) / 8))),
  single: Math.max(SHARD_PAGE, limit + 1),
});

/** Every shard of `value` in a sharded index, merged in the sort key's order. */
export function queryShards(
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
