/**
 * (j) The dashboard's summary against the number of jobs: the read units one refresh costs at
 * 5,000 jobs of the last day (DynamoDB Local, which reports them), before (0.3.0: every record
 * updated in the last day, read through `by-updated` and BatchGetItem) and after (counts in the
 * status index, and the failed jobs' tenants), and its median time at 1,500 jobs over its time
 * at 50 (dynalite, as `npm start` runs it).
 */
import { BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { dynamoDbRecordQueries } from '../../lib/aws/dynamodb/dynamodb-store';
import { toCurrentItem } from '../../lib/aws/dynamodb/table-layout';
import { answerApi } from '../../lib/dashboard/api';
import { ENTITIES } from '../../lib/records/entities';
import type { StoredEvent } from '../../lib/records/stored-event';
import { take } from '../../lib/records/views';
import { contentHash } from '../../lib/webhook/content-hash';
import { samplePayload } from '../../lib/webhook/samples';
import {
  createProjectTables,
  documentClient,
  startDynalite,
  startDynamoDbLocal,
} from '../../test/support/dynamo-servers';

const NOW = new Date();
const DAY_MS = 86_400_000;

/** Status of job i: 5 % failed, 60 % completed, the rest running, as a busy day looks. */
const statusOf = (i: number): string =>
  i % 20 === 0 ? 'SYNC_FAILED' : i % 5 < 3 ? 'JOB_COMPLETED' : 'SYNC_STARTED';

/** `count` jobs started (and last updated) within the last day, written as the consumer writes them. */
async function seedJobs(db: DynamoDBDocumentClient, table: string, count: number): Promise<void> {
  const items = Array.from({ length: count }, (_, i) => {
    const start = new Date(NOW.getTime() - ((i + 1) * (DAY_MS - 60_000)) / count);
    const payload = {
      ...samplePayload('jobs', { now: start }),
      tenant: `tenant-${i % 200}`,
      s3_root: `tenant-${i % 200}/flows/f/jobs/${i}`,
      job_id: `J${i}`,
      status: statusOf(i),
    };
    const event: StoredEvent = {
      hash: contentHash(payload),
      receivedAt: start.toISOString(),
      payload,
    };
    const pk = ENTITIES.jobs.key(payload);
    const { record, fold } = ENTITIES.jobs.fold(undefined, event, true);
    return toCurrentItem('jobs', pk, { version: 1, record, fold, pending: [], outbox: [] });
  });
  for (let i = 0; i < items.length; i += 25) {
    await db.send(
      new BatchWriteCommand({
        RequestItems: { [table]: items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })) },
      }),
    );
  }
}

/** Counts the read units of every call `db` makes from now on (ReturnConsumedCapacity TOTAL). */
function meterReads(db: DynamoDBDocumentClient): { units: () => number; reset: () => void } {
  let units = 0;
  db.middlewareStack.add(
    (next) => async (args) => {
      (args.input as Record<string, unknown>).ReturnConsumedCapacity = 'TOTAL';
      const result = await next(args);
      const consumed = (result.output as { ConsumedCapacity?: unknown }).ConsumedCapacity;
      for (const c of [consumed].flat() as ({ CapacityUnits?: number } | undefined)[])
        units += c?.CapacityUnits ?? 0;
      return result;
    },
    { step: 'initialize', name: 'meterReads' },
  );
  return { units: () => units, reset: () => void (units = 0) };
}

/** 0.3.0's summary: every job updated since, read as records, counted here. */
async function summaryBefore(db: DynamoDBDocumentClient, table: string, since: Date) {
  const jobs = await take(
    dynamoDbRecordQueries(db, { jobs: table, discover: '', connections: '' }).listJobs({
      updatedSince: since,
    }),
    5_000,
  );
  return jobs.length;
}

async function readUnits() {
  const backend = await startDynamoDbLocal();
  try {
    const tables = await createProjectTables(backend.endpoint, 'sumunits');
    const db = documentClient(backend.endpoint);
    await seedJobs(db, tables.jobs, 5_000);
    const meter = meterReads(db);
    const since = new Date(NOW.getTime() - DAY_MS);
    const counted = await summaryBefore(db, tables.jobs, since);
    const before = meter.units();
    meter.reset();
    const summary = await dynamoDbRecordQueries(db, tables).summarizeJobs({ since });
    const after = meter.units();
    db.destroy();
    return { jobs: 5_000, countedBefore: counted, countedAfter: summary.jobs, before, after };
  } finally {
    await backend.stop();
  }
}

/** The median time of `/api/summary` (as the dashboard asks it) over `runs` runs. */
async function medianMs(db: DynamoDBDocumentClient, tables: Record<string, string>, runs: number) {
  const deps = {
    records: dynamoDbRecordQueries(db, tables as never),
    queues: async () => [],
  };
  const times: number[] = [];
  for (let i = 0; i < runs; i += 1) {
    const t = process.hrtime.bigint();
    const answer = await answerApi(deps, 'GET', '/api/summary', new URLSearchParams());
    if (answer.status !== 200) throw new Error(`summary answered ${answer.status}`);
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  return times.sort((a, b) => a - b)[Math.floor(runs / 2)] ?? 0;
}

async function timing() {
  const backend = await startDynalite();
  try {
    const db = documentClient(backend.endpoint);
    const small = await createProjectTables(backend.endpoint, 'sum50');
    const large = await createProjectTables(backend.endpoint, 'sum1500');
    await seedJobs(db, small.jobs, 50);
    await seedJobs(db, large.jobs, 1_500);
    await medianMs(db, small, 3); // warm up
    const at50 = await medianMs(db, small, 15);
    const at1500 = await medianMs(db, large, 15);
    db.destroy();
    return { at50, at1500, ratio: at1500 / at50 };
  } finally {
    await backend.stop();
  }
}

export async function benchSummary() {
  return { units: await readUnits(), time: await timing() };
}
