import { BatchGetCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ConnectionRecord } from '../records/connections';
import type { DiscoverRecord } from '../records/discover';
import {
  jobHistory,
  statusClass,
  STATUS_CLASSES,
  type JobHistoryEntry,
  type JobRecord,
  type StatusClass,
} from '../records/jobs';
import { microsToIso } from '../time';
import { readPartition, recordOf, splitPartition, type Item } from './event-store';
import { INDEX, jobPartition } from './keys';

const PAGE = 100;

/** `jobs get`: the current record's fields under hotglue's names, plus its history. */
export type JobView = Record<string, unknown> &
  Omit<JobRecord, 'fields'> & { history: JobHistoryEntry[] };

export type JobSummary = Omit<JobRecord, 'fields'> & { error?: unknown; message?: unknown };

export type DiscoverView = Omit<DiscoverRecord, 'fields'>;
export type ConnectionView = Omit<ConnectionRecord, 'fields'>;

/** More than one job carries this job_id (hotglue does not guarantee it unique). */
export class AmbiguousJobIdError extends Error {
  constructor(
    readonly jobId: string,
    readonly s3Roots: string[],
  ) {
    super(
      `job_id ${jobId} names ${s3Roots.length} jobs; ask for one by s3_root: ${s3Roots.join(', ')}`,
    );
    this.name = 'AmbiguousJobIdError';
  }
}

async function jobByS3Root(
  db: DynamoDBDocumentClient,
  table: string,
  s3Root: string,
): Promise<JobView | undefined> {
  const { current, history } = splitPartition(await readPartition(db, table, jobPartition(s3Root)));
  if (current === undefined) return undefined;
  const { fields, ...record } = recordOf<JobRecord>(current);
  return { ...fields, ...record, history: jobHistory(history) };
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
  for await (const key of queryIndex(db, table, INDEX.byJobId, 'job_id', id)) {
    s3Roots.push(String(key.pk).slice(jobPartition('').length));
  }
  if (s3Roots.length > 1) throw new AmbiguousJobIdError(id, s3Roots.sort());
  return s3Roots[0] === undefined ? undefined : jobByS3Root(db, table, s3Roots[0]);
}

/** Pages through an index (newest first for time-sorted keys). Yields index keys only. */
async function* queryIndex(
  db: DynamoDBDocumentClient,
  table: string,
  index: string,
  hashName: string,
  hashValue: string,
  range?: { name: string; from: string },
  newestFirst = false,
  pageSize = PAGE,
): AsyncGenerator<Item> {
  let start: Item | undefined;
  do {
    const page = await db.send(
      new QueryCommand({
        TableName: table,
        IndexName: index,
        KeyConditionExpression: range ? '#h = :h AND #r >= :r' : '#h = :h',
        ExpressionAttributeNames: { '#h': hashName, ...(range && { '#r': range.name }) },
        ExpressionAttributeValues: { ':h': hashValue, ...(range && { ':r': range.from }) },
        ScanIndexForward: !newestFirst,
        Limit: pageSize,
        ExclusiveStartKey: start,
      }),
    );
    for (const item of (page.Items ?? []) as Item[]) yield item;
    start = page.LastEvaluatedKey as Item | undefined;
  } while (start !== undefined);
}

/** BatchGetItem for the CURRENT items of index hits, in the order asked, retrying unprocessed keys. */
async function batchGet(db: DynamoDBDocumentClient, table: string, keys: Item[]): Promise<Item[]> {
  const found = new Map<string, Item>();
  for (let i = 0; i < keys.length; i += 100) {
    let request: Item[] | undefined = keys.slice(i, i + 100);
    for (let round = 0; request !== undefined && request.length > 0; round += 1) {
      const got = await db.send(
        new BatchGetCommand({ RequestItems: { [table]: { Keys: request } } }),
      );
      for (const item of (got.Responses?.[table] ?? []) as Item[]) found.set(String(item.pk), item);
      request = got.UnprocessedKeys?.[table]?.Keys as Item[] | undefined;
      if (request !== undefined && request.length > 0)
        await new Promise((r) => setTimeout(r, 50 * 2 ** Math.min(round, 5)));
    }
  }
  return keys.map((k) => found.get(String(k.pk))).filter((i): i is Item => i !== undefined);
}

/** Index hits → their CURRENT items, a page at a time, keeping the index order. */
async function* hydrate(
  db: DynamoDBDocumentClient,
  table: string,
  keys: AsyncIterable<Item>,
): AsyncGenerator<Item> {
  let batch: Item[] = [];
  for await (const key of keys) {
    batch.push({ pk: key.pk, sk: key.sk });
    if (batch.length === PAGE) {
      yield* await batchGet(db, table, batch);
      batch = [];
    }
  }
  if (batch.length > 0) yield* await batchGet(db, table, batch);
}

/** Merges index streams that are each sorted newest first by `started_key`. */
async function* mergeNewestFirst(streams: AsyncGenerator<Item>[]): AsyncGenerator<Item> {
  const heads = await Promise.all(streams.map((s) => s.next()));
  for (;;) {
    let best = -1;
    heads.forEach((head, i) => {
      if (head.done) return;
      const current = heads[best];
      if (
        best < 0 ||
        (current &&
          !current.done &&
          String(head.value.started_key) > String(current.value.started_key))
      )
        best = i;
    });
    if (best < 0) return;
    const head = heads[best] as IteratorYieldResult<Item>;
    yield head.value;
    heads[best] = await (streams[best] as AsyncGenerator<Item>).next();
  }
}

export interface JobFilter {
  tenant?: string;
  flow?: string;
  env?: string;
  /** An exact status, or a class: failed, running, completed, other. */
  status?: string;
  since?: Date;
  /** Items per index page (DynamoDB Limit); results are the same whatever it is. */
  pageSize?: number;
}

const isClass = (s: string): s is StatusClass => (STATUS_CLASSES as readonly string[]).includes(s);

/**
 * Jobs newest first (by start time), through an index: by tenant, else by flow, else by status
 * class (all classes merged when no status is given). Never a Scan.
 */
export async function* listJobs(
  db: DynamoDBDocumentClient,
  table: string,
  filter: JobFilter = {},
): AsyncGenerator<JobSummary> {
  const range = filter.since && {
    name: 'started_key',
    from: microsToIso(filter.since.getTime() * 1000),
  };
  const status = filter.status;
  const wantedClass =
    status === undefined
      ? undefined
      : isClass(status.toLowerCase())
        ? (status.toLowerCase() as StatusClass)
        : statusClass(status);
  let keys: AsyncGenerator<Item>;
  if (filter.tenant !== undefined)
    keys = queryIndex(db, table, INDEX.byTenant, 'tenant', filter.tenant, range, true);
  else if (filter.flow !== undefined)
    keys = queryIndex(db, table, INDEX.byFlow, 'flow_id', filter.flow, range, true);
  else {
    const classes = wantedClass === undefined ? [...STATUS_CLASSES] : [wantedClass];
    keys = mergeNewestFirst(
      classes.map((c) => queryIndex(db, table, INDEX.byStatus, 'status_class', c, range, true)),
    );
  }
  for await (const item of hydrate(db, table, keys)) {
    if (filter.flow !== undefined && item.flow_id !== filter.flow) continue;
    const { fields, ...record } = recordOf<JobRecord>(item);
    if (filter.env !== undefined && record.env_id !== filter.env) continue;
    if (status !== undefined) {
      const matches = isClass(status.toLowerCase())
        ? item.status_class === status.toLowerCase()
        : item.status === status;
      if (!matches) continue;
    }
    yield {
      ...record,
      ...(fields.error !== undefined && { error: fields.error }),
      ...(fields.message !== undefined && { message: fields.message }),
    };
  }
}

export interface DiscoverFilter {
  tenant?: string;
  flow?: string;
  /** An exact status, or started, success, failed. */
  status?: string;
}

function keysFor(
  db: DynamoDBDocumentClient,
  table: string,
  entity: string,
  filter: { tenant?: string; flow?: string },
) {
  if (filter.tenant !== undefined)
    return queryIndex(db, table, INDEX.byTenant, 'tenant', filter.tenant);
  if (filter.flow !== undefined) return queryIndex(db, table, INDEX.byFlow, 'flow_id', filter.flow);
  return queryIndex(db, table, INDEX.all, 'entity', entity);
}

const discoverStatus = (s: string): string => {
  const short = s.toUpperCase();
  return ['STARTED', 'SUCCESS', 'FAILED'].includes(short) ? `DISCOVER_${short}` : s;
};

/** Discover state per (env_id, tenant, flow_id, connector), ordered by tenant, flow, connector. */
export async function* listDiscover(
  db: DynamoDBDocumentClient,
  table: string,
  filter: DiscoverFilter = {},
): AsyncGenerator<DiscoverView> {
  for await (const item of hydrate(db, table, keysFor(db, table, 'discover', filter))) {
    if (filter.flow !== undefined && item.flow_id !== filter.flow) continue;
    if (filter.status !== undefined && item.status !== discoverStatus(filter.status)) continue;
    const { fields: _fields, ...view } = recordOf<DiscoverRecord>(item);
    yield view;
  }
}

export interface ConnectionFilter {
  tenant?: string;
  flow?: string;
  /** Only connections whose latest event is LINK. */
  linked?: boolean;
}

/** Connections per (env_id, tenant, flow_id, connector_type, connector), with their history. */
export async function* listConnections(
  db: DynamoDBDocumentClient,
  table: string,
  filter: ConnectionFilter = {},
): AsyncGenerator<ConnectionView> {
  for await (const item of hydrate(db, table, keysFor(db, table, 'connection', filter))) {
    if (filter.flow !== undefined && item.flow_id !== filter.flow) continue;
    if (filter.linked === true && item.linked !== true) continue;
    const { fields: _fields, ...view } = recordOf<ConnectionRecord>(item);
    yield view;
  }
}

/** Takes up to `limit` items from an async sequence. */
export async function take<T>(items: AsyncIterable<T>, limit: number): Promise<T[]> {
  const out: T[] = [];
  if (limit <= 0) return out;
  for await (const item of items) {
    out.push(item);
    if (out.length >= limit) break;
  }
  return out;
}
