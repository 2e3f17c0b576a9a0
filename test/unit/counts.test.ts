import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { countConnections, countDiscover, countJobs } from '../../lib/aws/dynamodb/counts';

/** What a count takes of an index at most (counts.ts COUNT_MAX). */
const COUNT_MAX = 10_000;

/**
 * What a count of `streams` merged index reads may read at most: COUNT_MAX, and one page per
 * stream of ceil(COUNT_MAX / streams) keys (a single index: one page of COUNT_MAX).
 */
const bound = (streams: number) => COUNT_MAX + streams * Math.ceil(COUNT_MAX / streams);

/**
 * The ages of a stream's entries, youngest first, as if every job went to a stream at random:
 * exponential gaps, from a generator seeded by the stream's name (the same on every run).
 */
const ages = new Map<string, number[]>();
function agesOf(hash: string, size: number): number[] {
  const known = ages.get(`${hash}/${size}`);
  if (known !== undefined) return known;
  let seed = [...hash].reduce((h, c) => (Math.imul(h, 31) + c.charCodeAt(0)) >>> 0, 7);
  const random = () => {
    seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0;
    return (seed + 1) / 2 ** 32;
  };
  let age = 0;
  const list = Array.from({ length: size }, () => (age += Math.ceil(-Math.log(random()) * 1e4)));
  ages.set(`${hash}/${size}`, list);
  return list;
}

/**
 * A document client whose Queries answer from `entries(hash)`: that index value's entries, newest
 * first (each named by its hash value, so no two streams share a sort key). It counts the entries
 * its answers hold, the index reads a count pays for, and the Queries.
 */
function fakeIndex(entries: (hash: string) => number, spread = false) {
  const db = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      region: 'eu-west-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    }),
  );
  const read = { entries: 0, queries: 0, largestPage: 0 };
  (db as unknown as { send: unknown }).send = async (command: unknown) => {
    if (!(command instanceof QueryCommand)) throw new Error('only Queries expected');
    const input = command.input;
    expect(input.KeyConditionExpression).toBe('#h = :h');
    const hash = String(input.ExpressionAttributeValues?.[':h']);
    const size = entries(hash);
    const start = Number(input.ExclusiveStartKey?.position ?? 0);
    const limit = input.Limit ?? Infinity;
    const end = Math.min(size, start + limit);
    const Items = Array.from({ length: end - start }, (_, i) => {
      const age = spread ? agesOf(hash, size)[start + i] : start + i;
      // The order read: newest first for jobs, sort key ascending for the others.
      const place = input.ScanIndexForward === false ? 1e12 - Number(age) : Number(age);
      const key = `${String(place).padStart(13, '0')}#${hash}`;
      return { started_key: key, sort_key: key };
    });
    read.entries += Items.length;
    read.queries += 1;
    read.largestPage = Math.max(read.largestPage, Items.length);
    return { Items, ...(end < size && { LastEvaluatedKey: { position: end } }) };
  };
  return { db, read };
}

type Count = (db: DynamoDBDocumentClient) => Promise<unknown>;

describe('a count in an index', () => {
  // Spread at random, every job's count reads some 14,600 entries in 93 Queries here, a status
  // class's or discover's about 16,000: a page of 1,000 per stream read 64,000 and 16,000.
  it('reads COUNT_MAX plus at most a page per stream, pages of COUNT_MAX / streams', async () => {
    const cases: [name: string, streams: number, count: Count][] = [
      ['every job', 64, (db) => countJobs(db, 't', {})],
      ['a status class', 16, (db) => countJobs(db, 't', { status: 'failed' })],
      ['a flow’s jobs', 16, (db) => countJobs(db, 't', { flow: 'f' })],
      ['every discover state', 16, (db) => countDiscover(db, 't', {})],
      ['a flow’s connections', 16, (db) => countConnections(db, 't', { flow: 'f' })],
    ];
    for (const [name, streams, count] of cases)
      for (const spread of [false, true]) {
        const { db, read } = fakeIndex(() => 2_000, spread);
        expect([name, await count(db)]).toEqual([name, { count: COUNT_MAX, exact: false }]);
        expect([name, read.largestPage]).toEqual([name, Math.ceil(COUNT_MAX / streams)]);
        expect(read.entries).toBeLessThanOrEqual(bound(streams));
      }
  });

  it('keeps the bound when one status class, or one shard, holds the newest entries', async () => {
    const classes = fakeIndex((hash) => (hash.startsWith('completed#') ? 5_000 : 300), true);
    expect(await countJobs(classes.db, 't', {})).toEqual({ count: COUNT_MAX, exact: false });
    expect(classes.read.entries).toBeLessThanOrEqual(bound(64));
    const shard = fakeIndex((hash) => (hash === 'failed#07' ? 50_000 : 3), true);
    expect(await countJobs(shard.db, 't', { status: 'failed' })).toEqual({
      count: COUNT_MAX,
      exact: false,
    });
    expect(shard.read.entries).toBeLessThanOrEqual(bound(16));
  });

  it('counts a tenant’s jobs in its one index, reading COUNT_MAX entries', async () => {
    const { db, read } = fakeIndex(() => 50_000);
    expect(await countJobs(db, 't', { tenant: 'a' })).toEqual({ count: COUNT_MAX, exact: false });
    expect(read.entries).toBe(COUNT_MAX);
  });

  it('counts a short list exactly, reading each entry once', async () => {
    const { db, read } = fakeIndex((hash) => (hash.endsWith('#03') ? 700 : 20), true);
    // 4 classes: 15 shards of 20 and one of 700 each.
    expect(await countJobs(db, 't', {})).toEqual({ count: 4 * (15 * 20 + 700), exact: true });
    expect(read.entries).toBe(4 * (15 * 20 + 700));
  });
});
