import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { CreateQueueCommand } from '@aws-sdk/client-sqs';
import { dynamoDbEventStore } from '../../lib/aws/dynamodb/dynamodb-store';
import { getJob } from '../../lib/aws/dynamodb/queries';
import { localSqsClient } from '../../lib/local/local-stack-facts';
import { ENTITIES } from '../../lib/records/entities';
import { messageGroupId } from '../../lib/records/message-group';
import { createProjectTables, documentClient, startDynalite } from '../support/dynamo-servers';
import { envelopeOf, hmacHex, httpApiEvent, payloadOf, sqsRecord } from '../support/events';
import { startFakeEventBridge } from '../support/fake-eventbridge';
import { startFakeHotglueApi } from '../support/fake-hotglue-api';
import { startFakeSsm } from '../support/fake-ssm';
import { jobLifecycle, stored } from '../support/lifecycle';
import { packageService } from '../support/package-service';
import { startFauxqsProcess } from '../support/processes';
import { runBundle } from '../support/run-bundle';
import { unzip } from '../support/unzip';

/**
 * The packaged function bundles, each run in a bare Node process with a context whose remaining
 * time counts down as Lambda's does, against a dependency that accepts connections and never
 * answers (one at a time; the others are local stand-ins that work). Each must answer, or fail
 * its records, before its time runs out. The cases run at once; the suite packages once, into a
 * folder of its own.
 */

/** The remaining time each function's context starts with (ms). */
const TIME = { ingest: 10_000, consumer: 8_000, reconcile: 16_000, read: 10_000 };

type Template = {
  Resources: Record<
    string,
    { Properties: { Environment?: { Variables: Record<string, unknown> } } }
  >;
};

/** What one invocation gave: its result or error, and how long the handler took. */
interface Invocation {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a handler's JSON answer, checked by each case
  result?: any;
  error?: string;
  elapsedMs: number;
  out: string;
}

let work: string;
let template: Template;
const sockets = new Set<Socket>();
const hungServer = createServer((socket) => {
  sockets.add(socket);
  socket.on('data', () => undefined);
});
let hung: string;
const stops: (() => Promise<unknown>)[] = [];
/** Each case's invocation, started together in beforeAll. */
const ran = new Map<string, Invocation>();

/** The template's variables of a function that are plain strings (not references). */
function declared(fn: string): Record<string, string> {
  const variables = template.Resources[`${fn}LambdaFunction`]?.Properties.Environment?.Variables;
  return Object.fromEntries(
    Object.entries(variables ?? {}).filter((e): e is [string, string] => typeof e[1] === 'string'),
  );
}

/** Runs a packaged handler once with a context of `timeMs`; kills it should it never return. */
async function invoke(
  zip: string,
  file: string,
  event: unknown,
  env: Record<string, string>,
  timeMs: number,
): Promise<Invocation> {
  const out = await runBundle(join(work, zip), file, event, env, timeMs);
  const line = (prefix: string) =>
    out
      .split('\n')
      .find((l) => l.startsWith(prefix))
      ?.slice(prefix.length);
  const result = line('RESULT:');
  const elapsed = line('ELAPSED:');
  return {
    ...(result !== undefined && { result: JSON.parse(result) }),
    ...(line('ERROR:') !== undefined && { error: line('ERROR:') }),
    elapsedMs: elapsed === undefined ? Infinity : Number(elapsed),
    out,
  };
}

const fifoQueue = (name: string) => ({
  QueueName: `${name}.fifo`,
  Attributes: { FifoQueue: 'true', DeduplicationScope: 'messageGroup' },
});

/** A jobs queue record as Lambda hands it to a consumer: in its job's message group. */
function jobRecord(payload: Record<string, unknown>, messageId: string) {
  const record = sqsRecord(envelopeOf('jobs', payload), { messageId });
  record.attributes.MessageGroupId = messageGroupId(ENTITIES.jobs.key(payload));
  record.eventSourceARN = 'arn:aws:sqs:us-east-1:123456789012:jobs.fifo';
  return record;
}

/** A dynalite with the project's tables and a job that has been running, silent, for 3 hours. */
async function staleJobTable(s3Root: string): Promise<{ endpoint: string; jobs: string }> {
  const dynamo = await startDynalite();
  stops.push(dynamo.stop);
  const tables = await createProjectTables(dynamo.endpoint);
  const db = documentClient(dynamo.endpoint);
  const store = dynamoDbEventStore(db, { jobs: tables.jobs });
  const events = jobLifecycle(['JOB_CREATED', 'SYNC_STARTED'], {
    s3Root,
    start: new Date(Date.now() - 3 * 3_600_000),
  });
  for (const e of events) await store.store('jobs', stored(e));
  db.destroy();
  return { endpoint: dynamo.endpoint, jobs: tables.jobs };
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'hgw-bundle-faults-'));
  await new Promise<void>((resolve) => hungServer.listen(0, '127.0.0.1', resolve));
  hung = `http://127.0.0.1:${(hungServer.address() as AddressInfo).port}`;
  // Packaged with no AWS credentials or settings from this machine, as the template suite does.
  const [, fauxqs, ssm, bus, api] = await Promise.all([
    packageService('ci', join(work, 'package')),
    startFauxqsProcess(),
    startFakeSsm(),
    startFakeEventBridge(),
    startFakeHotglueApi('fault-api-key'),
  ]);
  stops.push(fauxqs.stop, ssm.close, bus.close, api.close);
  template = JSON.parse(
    await readFile(join(work, 'package', 'cloudformation-template-update-stack.json'), 'utf8'),
  ) as Template;
  for (const zip of ['ingest', 'consumeJobs', 'reconcile', 'read'])
    for (const [name, content] of unzip(await readFile(join(work, 'package', `${zip}.zip`)))) {
      await mkdir(dirname(join(work, zip, name)), { recursive: true });
      await writeFile(join(work, zip, name), content);
    }

  const sqs = localSqsClient(fauxqs.endpoint, 'us-east-1');
  const queue = async (name: string) =>
    (await sqs.send(new CreateQueueCommand(fifoQueue(`faults-${name}`)))).QueueUrl ?? '';
  const [jobsQueue, jobsDeadLetters] = [await queue('jobs'), await queue('jobs-dlq')];
  sqs.destroy();
  // The tables are created one after the other: the first reads `serverless print`.
  const consumed = await startDynalite();
  stops.push(consumed.stop);
  const consumedTables = await createProjectTables(consumed.endpoint);
  const [queued, polled] = [await staleJobTable('faults/sqs'), await staleJobTable('faults/api')];
  const reconcileEnv = declared('Reconcile');
  ssm.put(reconcileEnv.HOTGLUE_API_KEY_PARAMETER ?? '', 'fault-api-key');
  const [running] = jobLifecycle(['SYNC_STARTED'], { s3Root: 'faults/sqs' });
  api.answer('faults/sqs', { status: 200, body: { ...running, status: 'JOB_COMPLETED' } });

  const body = JSON.stringify(payloadOf('jobs', { s3_root: 'faults/ingest' }));
  const webhook = httpApiEvent({
    path: '/webhooks/jobs',
    body,
    headers: { 'x-hub-signature': hmacHex('fault-secret', body) },
  });
  const ingestEnv = (sqsEndpoint: string) => ({
    AWS_ENDPOINT_URL_SQS: sqsEndpoint,
    JOBS_QUEUE_URL: sqsEndpoint === hung ? `${hung}/000000000000/faults-jobs.fifo` : jobsQueue,
    DISCOVER_QUEUE_URL: jobsQueue,
    CONNECTIONS_QUEUE_URL: jobsQueue,
  });
  const [created, started] = jobLifecycle(['JOB_CREATED', 'SYNC_STARTED'], { s3Root: 'faults/a' });
  const [createdFailed, failed] = jobLifecycle(['JOB_CREATED', 'SYNC_FAILED'], {
    s3Root: 'faults/failed',
  });
  const [other] = jobLifecycle(['JOB_CREATED'], { s3Root: 'faults/other' });
  const consumerEnv = (dynamodb: string, eventbridge: string, table: string) => ({
    AWS_ENDPOINT_URL_DYNAMODB: dynamodb,
    AWS_ENDPOINT_URL_EVENTBRIDGE: eventbridge,
    AWS_ENDPOINT_URL_SQS: fauxqs.endpoint,
    EVENT_BUS_NAME: 'faults-bus',
    JOBS_TABLE: table,
    JOBS_DEAD_LETTER_QUEUE_URL: jobsDeadLetters,
  });
  const reconcile = (env: Record<string, string>) =>
    invoke(
      'reconcile',
      'functions/reconcile.js',
      { source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} },
      {
        ...reconcileEnv,
        AWS_ENDPOINT_URL_SSM: ssm.endpoint,
        AWS_ENDPOINT_URL_SQS: fauxqs.endpoint,
        AWS_ENDPOINT_URL_EVENTBRIDGE: bus.endpoint,
        JOBS_QUEUE_URL: jobsQueue,
        HOTGLUE_API_URL: api.url,
        ...env,
      },
      TIME.reconcile,
    );

  const cases: [string, Promise<Invocation>][] = [
    [
      'ingest, SQS hung',
      invoke(
        'ingest',
        'functions/ingest.js',
        webhook,
        { ...ingestEnv(hung), WEBHOOK_SECRET: 'fault-secret' },
        TIME.ingest,
      ),
    ],
    [
      'ingest, SSM hung',
      invoke(
        'ingest',
        'functions/ingest.js',
        webhook,
        {
          ...ingestEnv(fauxqs.endpoint),
          AWS_ENDPOINT_URL_SSM: hung,
          WEBHOOK_SECRETS_SSM_PATH: declared('Ingest').WEBHOOK_SECRETS_SSM_PATH ?? '',
        },
        TIME.ingest,
      ),
    ],
    [
      'consumer, DynamoDB hung',
      invoke(
        'consumeJobs',
        'functions/consume-jobs.js',
        {
          Records: [
            jobRecord(created ?? {}, 'a-1'),
            jobRecord(other ?? {}, 'other-1'),
            jobRecord(started ?? {}, 'a-2'),
          ],
        },
        consumerEnv(hung, bus.endpoint, 'faults-hung-table'),
        TIME.consumer,
      ),
    ],
    [
      'consumer, EventBridge hung',
      invoke(
        'consumeJobs',
        'functions/consume-jobs.js',
        {
          Records: [
            jobRecord(createdFailed ?? {}, 'failed-1'),
            jobRecord(other ?? {}, 'other-1'),
            jobRecord(failed ?? {}, 'failed-2'),
          ],
        },
        consumerEnv(consumed.endpoint, hung, consumedTables.jobs),
        TIME.consumer,
      ),
    ],
    [
      'reconcile, DynamoDB hung',
      reconcile({ AWS_ENDPOINT_URL_DYNAMODB: hung, JOBS_TABLE: 'faults-hung-table' }),
    ],
    [
      'reconcile, SQS hung',
      reconcile({
        AWS_ENDPOINT_URL_DYNAMODB: queued.endpoint,
        JOBS_TABLE: queued.jobs,
        AWS_ENDPOINT_URL_SQS: hung,
        JOBS_QUEUE_URL: `${hung}/000000000000/faults-jobs.fifo`,
      }),
    ],
    [
      'reconcile, hotglue API hung',
      reconcile({
        AWS_ENDPOINT_URL_DYNAMODB: polled.endpoint,
        JOBS_TABLE: polled.jobs,
        HOTGLUE_API_URL: hung,
      }),
    ],
    [
      'read, DynamoDB hung',
      invoke(
        'read',
        'functions/read.js',
        { ...httpApiEvent({ method: 'GET', path: '/v1/jobs' }), rawQueryString: 'tenant=t' },
        {
          AWS_ENDPOINT_URL_DYNAMODB: hung,
          JOBS_TABLE: 'faults-jobs',
          DISCOVER_TABLE: 'faults-discover',
          CONNECTIONS_TABLE: 'faults-connections',
        },
        TIME.read,
      ),
    ],
  ];
  for (const [name, invocation] of cases) ran.set(name, await invocation);

  // What the EventBridge case stored, read back before its dynalite stops.
  const db = documentClient(consumed.endpoint);
  const store = dynamoDbEventStore(db, consumedTables);
  storedAfterBusHung = {
    status: (await getJob(db, consumedTables.jobs, 'faults/failed'))?.status,
    unsent: (await store.unsent('jobs', 'JOB#faults/failed')).map((u) => u.notification),
    other: (await getJob(db, consumedTables.jobs, 'faults/other'))?.status,
  };
  db.destroy();
}, 180_000);

let storedAfterBusHung: { status?: string; unsent: { 'detail-type': string }[]; other?: string };

afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => hungServer.close(resolve));
  await Promise.all(stops.map((stop) => stop()));
  await rm(work, { recursive: true, force: true });
});

/** A case's invocation, which must have ended before its context's time ran out. */
function inTime(name: string, timeMs: number): Invocation {
  const invocation = ran.get(name);
  if (invocation === undefined) throw new Error(`no invocation for ${name}`);
  if (!(invocation.elapsedMs < timeMs))
    throw new Error(`${name}: ${invocation.elapsedMs} ms of ${timeMs}\n${invocation.out}`);
  return invocation;
}

describe('the packaged functions, with one dependency that never answers', () => {
  it('ingest answers 503 before its 10 s when SQS hangs', () => {
    const { result } = inTime('ingest, SQS hung', TIME.ingest);
    expect(result.statusCode).toBe(503);
    expect(JSON.parse(result.body)).toEqual({ error: 'queue unavailable, retry later' });
  });

  it('ingest answers 503 before its 10 s when SSM hangs', () => {
    const { result } = inTime('ingest, SSM hung', TIME.ingest);
    expect(result.statusCode).toBe(503);
    expect(JSON.parse(result.body)).toEqual({
      error: 'signature secrets unavailable, retry later',
    });
  });

  it('a consumer fails every record it could not store, in time, when DynamoDB hangs', () => {
    const { result } = inTime('consumer, DynamoDB hung', TIME.consumer);
    expect(result).toEqual({
      batchItemFailures: ['a-1', 'other-1', 'a-2'].map((id) => ({ itemIdentifier: id })),
    });
  });

  it('a consumer fails the records whose notification it could not publish, in time, when EventBridge hangs', () => {
    const { result } = inTime('consumer, EventBridge hung', TIME.consumer);
    // The failed job's records fail (its group's later one too); the other job notifies nothing.
    expect(result).toEqual({
      batchItemFailures: ['failed-1', 'failed-2'].map((id) => ({ itemIdentifier: id })),
    });
    // Stored, with its Job Failed left in the outbox for the records' next delivery to publish.
    expect(storedAfterBusHung.status).toBe('SYNC_FAILED');
    expect(storedAfterBusHung.unsent.map((n) => n['detail-type'])).toEqual(['Job Failed']);
    expect(storedAfterBusHung.other).toBe('JOB_CREATED');
  });

  it('reconcile fails its run in time when DynamoDB hangs', () => {
    const { error } = inTime('reconcile, DynamoDB hung', TIME.reconcile);
    expect(error).toMatch(/abort/i);
  });

  it('reconcile ends its run in time when SQS hangs, the job left for the next run', () => {
    const { result } = inTime('reconcile, SQS hung', TIME.reconcile);
    expect(result).toMatchObject({ staleJobs: 1, configured: true, outcomes: { error: 1 } });
  });

  it('reconcile ends its run in time when hotglue’s API hangs, the job left for the next run', () => {
    const { result, out } = inTime('reconcile, hotglue API hung', TIME.reconcile);
    expect(result).toMatchObject({ staleJobs: 1, configured: true, outcomes: { error: 1 } });
    expect(out).toContain('no answer before the end of the run');
  });

  it('read answers 503 before its 10 s when DynamoDB hangs', () => {
    const { result } = inTime('read, DynamoDB hung', TIME.read);
    expect(result.statusCode).toBe(503);
    expect(result.headers['retry-after']).toBe('1');
  });
});
