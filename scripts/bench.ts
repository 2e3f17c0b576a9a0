import '../lib/config/quiet-warnings';
import { spawn } from 'node:child_process';
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { build } from 'esbuild';
import { contentHash } from '../lib/webhook/content-hash';
import { handleIngest, type IngestRequest } from '../lib/ingest/handle-ingest';
import { logger } from '../lib/aws/logger';
import { emfCounters } from '../lib/aws/metrics';
import type { Kind } from '../lib/webhook/kinds';
import { samplePayload } from '../lib/webhook/samples';
import { fixedSecretSource } from '../lib/ports/secret-source';
import { dynamoDbRecordQueries, dynamoDbStore } from '../lib/aws/dynamodb/dynamodb-store';
import { markSent } from '../lib/aws/dynamodb/bookkeeping';
import { CreateQueueCommand, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { dynamoDbEventStore } from '../lib/aws/dynamodb/dynamodb-store';
import { batchConsumer } from '../lib/consumer/consume-batch';
import { startFauxqs } from '../lib/local/emulators';
import { startPoller } from '../lib/local/sqs-poller';
import { queueOrder } from '../lib/records/message-group';
import { buildEnvelope } from '../lib/webhook/envelope';
import { eventKey } from '../lib/webhook/event-key';
import {
  encodePayload,
  EVENT_PREFIX,
  historyAttributes,
  toCurrentItem,
} from '../lib/aws/dynamodb/table-layout';
import { ENTITIES } from '../lib/records/entities';
import type { StoredEvent } from '../lib/records/stored-event';
import { LOGICAL_IDS, localDynamoDbClient, localSqsClient } from '../lib/local/local-stack-facts';
import {
  DYNAMODB_LIMITS,
  PartitionMeter,
  writeCharges,
  type TableSchema,
} from '../lib/local/partition-model';
import { extractDefinition, printServiceConfig } from '../lib/local/service-definition';
import { marshall } from '@aws-sdk/util-dynamodb';
import { signBody } from '../lib/webhook/signature';
import {
  createProjectTables,
  documentClient,
  startDynamoDbLocal,
} from '../test/support/dynamo-servers';
import { percentile, planLoad, sendAll, waitForDrain } from './load-plan';
import { startStackChild } from '../test/support/stack-process';
import { unzip } from '../test/support/unzip';
import { packageService } from '../test/support/package-service';
import { benchSsmBurst } from './ssm-burst';
import { benchSummary } from './summary-bench';

const ROOT = resolve(__dirname, '..');
const median = (values: number[]) => percentile(values, 50);

/**
 * Public list prices (us-east-1, on demand) used by the cost model, as written on 2026-11-29 from
 * AWS's pricing pages as last read (no network here to re-check): update them when they change.
 */
export const PRICES = {
  date: '2026-11-29',
  apiGatewayHttpPerMillion: 1.0,
  lambdaRequestsPerMillion: 0.2,
  lambdaArmPerGbSecond: 0.0000133334,
  /** FIFO queues' price (standard queues: $0.40). */
  sqsPerMillionRequests: 0.5,
  dynamoWritePerMillionWru: 0.625,
  dynamoReadPerMillionRru: 0.125,
  logsIngestPerGb: 0.5,
  eventBridgePerMillionEvents: 1.0,
};

/** Silences stdout while `fn` runs (the handlers' log and metric lines), keeping their cost. */
async function muted<T>(fn: () => Promise<T>): Promise<T> {
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = (() => true) as typeof process.stdout.write;
  try {
    return await fn();
  } finally {
    process.stdout.write = write;
  }
}

/** (a) The ingest core per event against its floor: HMAC-SHA1, timingSafeEqual, JSON.parse. */
async function benchIngest() {
  const secret = 'bench-secret';
  const body = Buffer.from(JSON.stringify(samplePayload('jobs')));
  const signature = signBody(body, secret);
  const expected = Buffer.from(signature, 'hex');
  const deps = {
    config: { allowUnsigned: false, allowReserializedSignature: false },
    secrets: fixedSecretSource({ jobs: [secret], discover: [secret], connections: [secret] }),
    queue: { send: async () => ({ messageId: 'stub' }) },
    log: logger,
    counters: emfCounters('HotglueWebhooks'),
  };
  const request: IngestRequest = {
    method: 'POST',
    path: '/webhooks/jobs',
    headers: { 'x-hub-signature': signature },
    body,
    requestId: 'bench',
    receivedAt: new Date(),
  };
  const n = 5_000;
  const floor = () => {
    const t0 = performance.now();
    for (let i = 0; i < n; i += 1) {
      const digest = createHmac('sha1', secret).update(body).digest();
      if (!timingSafeEqual(digest, expected)) throw new Error('floor mismatch');
      JSON.parse(body.toString('utf8'));
    }
    return ((performance.now() - t0) * 1000) / n;
  };
  const handler = async () => {
    const t0 = performance.now();
    for (let i = 0; i < n; i += 1) {
      const response = await handleIngest(request, deps);
      deps.counters.flush();
      if (response.statusCode !== 202) throw new Error(`handler answered ${response.statusCode}`);
    }
    return ((performance.now() - t0) * 1000) / n;
  };
  const floors: number[] = [];
  const handlers: number[] = [];
  await muted(async () => {
    floor();
    await handler();
    for (let round = 0; round < 7; round += 1) {
      floors.push(floor());
      handlers.push(await handler());
    }
  });
  const us = median(handlers);
  const floorUs = median(floors);
  return {
    handlerUsPerEvent: us,
    floorUsPerEvent: floorUs,
    ratio: us / floorUs,
    bodyBytes: body.length,
  };
}

/** (b) Events per second from POST to stored record, against dynalite's conditional UpdateItem rate. */
async function benchEndToEnd(events: number, concurrency: number) {
  const dataDir = await mkdtemp(join(tmpdir(), 'hotglue-bench-'));
  const secret = randomBytes(16).toString('hex');
  const stack = await startStackChild(dataDir, { WEBHOOK_SECRET: secret });
  try {
    const client = localDynamoDbClient(stack.info.dynamodbEndpoint, stack.info.region);
    const db = DynamoDBDocumentClient.from(client);
    await client.send(
      new CreateTableCommand({
        TableName: 'bench-scratch',
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      }),
    );
    const updates = events;
    let next = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < updates) {
          const i = next++;
          await db.send(
            new UpdateCommand({
              TableName: 'bench-scratch',
              Key: { pk: `k${i % 200}` },
              UpdateExpression: 'SET n = if_not_exists(n, :zero) + :one',
              ConditionExpression: 'attribute_not_exists(pk) OR n >= :zero',
              ExpressionAttributeValues: { ':zero': 0, ':one': 1 },
            }),
          );
        }
      }),
    );
    const dynaliteRate = updates / ((performance.now() - t0) / 1000);
    client.destroy();

    const plan = planLoad(events, 0, 7);
    const started = performance.now();
    const sent = await sendAll(plan, stack.info.baseUrl, secret, concurrency);
    await waitForDrain(stack.info, 600_000);
    const seconds = (performance.now() - started) / 1000;
    const rate = sent.accepted / seconds;
    return {
      events: sent.accepted,
      eventsPerSecond: rate,
      dynaliteUpdatesPerSecond: dynaliteRate,
      ratio: rate / dynaliteRate,
    };
  } finally {
    await stack.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** Runs `script` in a fresh Node process and returns the number it prints. */
async function freshProcessMs(
  script: string,
  cwd: string,
  env: Record<string, string>,
): Promise<number> {
  const child = spawn(process.execPath, ['-e', script], {
    cwd,
    env: { PATH: process.env.PATH ?? '', ...env },
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  await new Promise((r) => child.on('close', r));
  const line = out.split('\n').find((l) => l.startsWith('MS:'));
  if (line === undefined) throw new Error(`fresh process failed:\n${out}`);
  return Number(line.slice(3));
}

const BUNDLES = [
  {
    zip: 'ingest.zip',
    file: 'functions/ingest.js',
    event: {
      version: '2.0',
      rawPath: '/health',
      headers: {},
      requestContext: { http: { method: 'GET' }, requestId: 'b' },
    },
    clients: ['sqs', 'ssm'],
  },
  {
    zip: 'consumeJobs.zip',
    file: 'functions/consume-jobs.js',
    event: { Records: [] },
    clients: ['dynamodb'],
  },
  {
    zip: 'consumeDiscover.zip',
    file: 'functions/consume-discover.js',
    event: { Records: [] },
    clients: ['dynamodb'],
  },
  {
    zip: 'consumeConnections.zip',
    file: 'functions/consume-connections.js',
    event: { Records: [] },
    clients: ['dynamodb'],
  },
] as const;

const CLIENT_SOURCE: Record<string, string> = {
  sqs: "const { SQSClient } = require('@aws-sdk/client-sqs'); globalThis.c1 = new SQSClient({});",
  ssm: "const { SSMClient } = require('@aws-sdk/client-ssm'); globalThis.c2 = new SSMClient({});",
  dynamodb:
    "const { DynamoDBClient } = require('@aws-sdk/client-dynamodb'); const { DynamoDBDocumentClient } = require('@aws-sdk/lib-dynamodb'); globalThis.c3 = DynamoDBDocumentClient.from(new DynamoDBClient({}));",
};

/** (c) Each bundle's size and cold init (load + first invocation) minus bare SDK client construction. */
async function benchColdInit() {
  const dir = await mkdtemp(join(tmpdir(), 'hotglue-bundles-'));
  try {
    await packageService('bench', join(dir, 'pkg'));
    const env = {
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'x',
      AWS_SECRET_ACCESS_KEY: 'x',
      JOBS_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/1/j',
      DISCOVER_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/1/d',
      CONNECTIONS_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/1/c',
      WEBHOOK_SECRETS_SSM_PATH: '/hotglue-webhooks/bench/webhook-secret',
      JOBS_TABLE: 't',
      DISCOVER_TABLE: 't',
      CONNECTIONS_TABLE: 't',
      POWERTOOLS_METRICS_DISABLED: 'true',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    };
    const results = [];
    for (const b of BUNDLES) {
      const zipPath = join(dir, 'pkg', b.zip);
      const target = join(dir, b.zip.replace('.zip', ''));
      for (const [name, content] of unzip(await readFile(zipPath))) {
        await mkdir(dirname(join(target, name)), { recursive: true });
        await writeFile(join(target, name), content);
      }
      const baselineFile = join(target, 'baseline.js');
      await build({
        stdin: {
          contents: b.clients.map((c) => CLIENT_SOURCE[c]).join('\n'),
          resolveDir: ROOT,
          loader: 'js',
        },
        bundle: true,
        minify: true,
        platform: 'node',
        target: 'node22',
        format: 'cjs',
        outfile: baselineFile,
        logLevel: 'silent',
      });
      const coldScript = `const t0 = performance.now(); const h = require(${JSON.stringify(join(target, b.file))}).handler; Promise.resolve(h(${JSON.stringify(b.event)}, { awsRequestId: 'b', getRemainingTimeInMillis: () => 1e4 })).then(() => console.log('MS:' + (performance.now() - t0)));`;
      const baseScript = `const t0 = performance.now(); require(${JSON.stringify(baselineFile)}); console.log('MS:' + (performance.now() - t0));`;
      // Pairs run back to back, alternating which goes first, so that a busy spell of the machine
      // weighs on both sides of a pair; the figure is the median of the paired differences.
      const cold: number[] = [];
      const base: number[] = [];
      for (let i = 0; i < 21; i += 1) {
        if (i % 2 === 0) {
          cold.push(await freshProcessMs(coldScript, target, env));
          base.push(await freshProcessMs(baseScript, target, env));
        } else {
          base.push(await freshProcessMs(baseScript, target, env));
          cold.push(await freshProcessMs(coldScript, target, env));
        }
      }
      const differences = cold.map((ms, i) => ms - (base[i] as number));
      results.push({
        function: b.zip.replace('.zip', ''),
        zipBytes: (await stat(zipPath)).size,
        bundleBytes: (await stat(join(target, b.file))).size,
        coldInitMs: median(cold),
        bareClientsMs: median(base),
        overheadMs: median(differences),
      });
    }
    return results;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * (d) DynamoDB write units per event of each kind, as DynamoDB Local reports them, stored as a
 * consumer stores them: a change of state's notification is then marked sent (its units are
 * counted apart, per notification).
 */
async function benchWriteUnits() {
  const backend = await startDynamoDbLocal();
  try {
    const tables = await createProjectTables(backend.endpoint, 'bench');
    const db = documentClient(backend.endpoint);
    const plan = planLoad(1_500, 0, 3);
    const outcome = { completed: { units: 0, events: 0 }, failed: { units: 0, events: 0 } };
    const failedJobs = new Set(
      [...plan.jobs].filter(([, j]) => j.finalStatus !== 'JOB_COMPLETED').map(([root]) => root),
    );
    const totals: Record<Kind, { units: number; events: number }> = {
      jobs: { units: 0, events: 0 },
      discover: { units: 0, events: 0 },
      connections: { units: 0, events: 0 },
    };
    const store = dynamoDbStore(db, tables);
    const marking = { notifications: 0, readUnits: 0, writeUnits: 0 };
    // In lifecycle order, as hotglue sends them (the planned sends are shuffled).
    for (const event of plan.inOrder) {
      const payload = JSON.parse(event.body) as Record<string, unknown>;
      const result = await store.store(event.kind, {
        hash: contentHash(payload),
        receivedAt: new Date().toISOString(),
        payload,
      });
      if (result.recorded.length > 0) {
        const spent = await markSent(
          db,
          tables[event.kind],
          ENTITIES[event.kind].key(payload),
          result.recorded,
        );
        marking.notifications += result.recorded.length;
        marking.readUnits += spent.readUnits;
        marking.writeUnits += spent.writeUnits;
      }
      totals[event.kind].units += result.writeUnits;
      totals[event.kind].events += 1;
      if (event.kind === 'jobs') {
        const bucket = failedJobs.has(String(payload.s3_root)) ? outcome.failed : outcome.completed;
        bucket.units += result.writeUnits;
        bucket.events += 1;
      }
    }
    db.destroy();
    const perEvent = (t: { units: number; events: number }) => ({
      events: t.events,
      writeUnitsPerEvent: t.units / t.events,
    });
    return {
      jobs: perEvent(totals.jobs),
      jobsOfCompletedJobs: perEvent(outcome.completed),
      jobsOfFailedJobs: perEvent(outcome.failed),
      discover: perEvent(totals.discover),
      connections: perEvent(totals.connections),
      markSent: {
        notifications: marking.notifications,
        readUnitsPerNotification: marking.readUnits / marking.notifications,
        writeUnitsPerNotification: marking.writeUnits / marking.notifications,
      },
    };
  } finally {
    await backend.stop();
  }
}

/** Writes `events` as one connection's history straight into its table, with the CURRENT item
 * they fold to, the way storing them one by one would leave them (but in seconds). */
async function seedConnection(db: DynamoDBDocumentClient, table: string, events: StoredEvent[]) {
  const entity = ENTITIES.connections;
  let folded: { record: unknown; fold: unknown } | undefined;
  const items: Record<string, unknown>[] = [];
  for (const event of events) {
    folded = entity.fold(folded as never, event, true);
    items.push({
      pk: entity.key(event.payload),
      sk: `${EVENT_PREFIX}${entity.historyId(event)}`,
      ...historyAttributes('connections', event),
      payload_gz: encodePayload(event.payload),
    });
  }
  const first = events[0] as StoredEvent;
  const state = folded as { record: Record<string, unknown>; fold: unknown };
  const pk = entity.key(first.payload);
  items.push(
    toCurrentItem('connections', pk, {
      version: 1,
      record: state.record,
      fold: state.fold,
      pending: [],
      outbox: [],
    }),
  );
  for (let i = 0; i < items.length; i += 25) {
    let request: Record<string, unknown>[] | undefined = items
      .slice(i, i + 25)
      .map((Item) => ({ PutRequest: { Item } }));
    while (request !== undefined && request.length > 0) {
      const done = await db.send(new BatchWriteCommand({ RequestItems: { [table]: request } }));
      request = done.UnprocessedItems?.[table] as Record<string, unknown>[] | undefined;
    }
  }
}

/**
 * (f) What storing one more event costs for a connection whose history already holds 10, 1,000
 * and 10,000 events (DynamoDB Local): median time, and read and write units per event.
 */
async function benchHistoryGrowth() {
  const backend = await startDynamoDbLocal();
  try {
    const tables = await createProjectTables(backend.endpoint, 'bench');
    const db = documentClient(backend.endpoint);
    const store = dynamoDbStore(db, tables);
    const base = Date.parse('2026-01-01T00:00:00Z');
    const event = (tenant: string, i: number): StoredEvent => {
      const payload = samplePayload('connections', {
        now: new Date(base + i * 1000),
        overrides: { tenant, event: i % 2 === 0 ? 'LINK' : 'UNLINK', event_id: `${tenant}-${i}` },
      });
      return { hash: contentHash(payload), receivedAt: new Date().toISOString(), payload };
    };
    const sizes = [10, 1_000, 10_000];
    for (const size of sizes)
      await seedConnection(
        db,
        tables.connections,
        Array.from({ length: size }, (_, i) => event(`growth-${size}`, i)),
      );
    // Warm up DynamoDB Local's JIT on another connection, then take turns between the sizes so
    // that a busy spell of the machine weighs on all of them alike.
    for (let i = 0; i < 40; i += 1) {
      const warm = event('growth-warm-up', i);
      const { recorded } = await store.store('connections', warm);
      await store.markSent('connections', ENTITIES.connections.key(warm.payload), recorded);
    }
    const samples = new Map(
      sizes.map((size) => [size, { ms: [] as number[], reads: 0, writes: 0 }]),
    );
    const rounds = 5;
    const perRound = 8;
    for (let round = 0; round < rounds; round += 1) {
      for (const size of sizes) {
        const sample = samples.get(size) as { ms: number[]; reads: number; writes: number };
        for (let i = 0; i < perRound; i += 1) {
          const t0 = performance.now();
          const next = event(`growth-${size}`, size + round * perRound + i);
          const outcome = await store.store('connections', next);
          sample.ms.push(performance.now() - t0);
          sample.reads += outcome.readUnits;
          sample.writes += outcome.writeUnits;
          // As the consumer does once it has published them (not timed: figure d counts it), so
          // that the outbox does not grow from one sample to the next.
          if (outcome.recorded.length > 0)
            await store.markSent(
              'connections',
              ENTITIES.connections.key(next.payload),
              outcome.recorded,
            );
        }
      }
    }
    const rows = sizes.map((size) => {
      const sample = samples.get(size) as { ms: number[]; reads: number; writes: number };
      return {
        history: size,
        medianMs: median(sample.ms),
        readUnitsPerEvent: sample.reads / sample.ms.length,
        writeUnitsPerEvent: sample.writes / sample.ms.length,
      };
    });
    db.destroy();
    const [small, , large] = rows;
    return { rows, ratio: (large?.medianMs ?? 0) / (small?.medianMs ?? 1) };
  } finally {
    await backend.stop();
  }
}

/**
 * (f) on the local stack: the time to accept and store 80 events of one connection that already
 * holds 400, against 80 events of a fresh connection, each sent and drained on its own.
 */
async function benchLocalGrowth() {
  const dataDir = await mkdtemp(join(tmpdir(), 'hotglue-bench-growth-'));
  const secret = randomBytes(16).toString('hex');
  const stack = await startStackChild(dataDir, { WEBHOOK_SECRET: secret });
  const connection = (tenant: string, from: number, count: number) => ({
    sends: Array.from({ length: count }, (_, i) => ({
      kind: 'connections' as const,
      body: JSON.stringify(
        samplePayload('connections', {
          now: new Date(Date.parse('2026-01-01T00:00:00Z') + (from + i) * 1000),
          overrides: { tenant, event_id: `${tenant}-${from + i}` },
        }),
      ),
    })),
  });
  const timed = async (tenant: string, from: number, count: number) => {
    const t0 = performance.now();
    const sent = await sendAll(connection(tenant, from, count), stack.info.baseUrl, secret, 8);
    await waitForDrain(stack.info, 300_000);
    if (sent.accepted !== count) throw new Error(`only ${sent.accepted} of ${count} accepted`);
    return (performance.now() - t0) / 1000;
  };
  try {
    await timed('growth-warm-up', 0, 80);
    await timed('growth-held', 0, 400);
    const fresh: number[] = [];
    const held: number[] = [];
    for (let round = 0; round < 3; round += 1) {
      fresh.push(await timed(`growth-fresh-${round}`, 0, 80));
      held.push(await timed('growth-held', 400 + round * 80, 80));
    }
    return {
      freshSeconds: median(fresh),
      heldSeconds: median(held),
      ratio: median(held) / median(fresh),
    };
  } finally {
    await stack.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

/**
 * (g) One hot entity: 1,000 events of one connection queued on a FIFO queue (fauxqs) in their
 * entity's message group, as ingest queues them, and consumed by 32 consumers at once, each with
 * its own clients and store as 32 Lambda instances would be (the real batchConsumer, through the
 * local stack's poller, against DynamoDB Local): the lost races per 1,000 events (0 by
 * construction: the queue gives a group to one consumer at a time), and the records that failed.
 */
async function benchHotEntity(events = 1_000, consumers = 32) {
  const backend = await startDynamoDbLocal();
  const sqsServer = await startFauxqs(0);
  const sqs = localSqsClient(sqsServer.endpoint, 'us-east-1');
  try {
    const tables = await createProjectTables(backend.endpoint, 'bench');
    const queue = await sqs.send(
      new CreateQueueCommand({
        QueueName: 'bench-hot.fifo',
        Attributes: {
          FifoQueue: 'true',
          DeduplicationScope: 'messageGroup',
          FifoThroughputLimit: 'perMessageGroupId',
          VisibilityTimeout: '180',
        },
      }),
    );
    const queueUrl = queue.QueueUrl ?? '';
    const base = Date.parse('2026-02-01T00:00:00Z');
    const tenant = `hot-${randomBytes(4).toString('hex')}`;
    for (let i = 0; i < events; i += 10) {
      const entries = Array.from({ length: Math.min(10, events - i) }, (_, n) => {
        const payload = samplePayload('connections', {
          now: new Date(base + (i + n) * 1000),
          overrides: {
            tenant,
            event: (i + n) % 2 === 0 ? 'LINK' : 'UNLINK',
            event_id: `${tenant}-${i + n}`,
          },
        });
        const key = eventKey('connections', payload);
        const body = buildEnvelope({
          kind: 'connections',
          body: Buffer.from(JSON.stringify(payload)),
          receivedAt: new Date(),
          requestId: `bench-${i + n}`,
          eventKey: key,
        });
        const order = queueOrder('connections', payload, key);
        return {
          Id: String(n),
          MessageBody: body,
          MessageGroupId: order.groupId,
          MessageDeduplicationId: order.deduplicationId,
        };
      });
      await sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries }));
    }
    let stored = 0;
    let conflicts = 0;
    let failed = 0;
    const log = {
      info: (message: string, fields: Record<string, unknown> = {}) => {
        if (message !== 'event stored') return;
        stored += 1;
        conflicts += Number(fields.conflicts ?? 0);
      },
      warn: () => undefined,
      error: (message: string) => {
        if (message === 'record failed') failed += 1;
      },
    };
    const clients = Array.from({ length: consumers }, () => documentClient(backend.endpoint));
    const t0 = performance.now();
    const pollers = clients.map((db) =>
      startPoller({
        sqs,
        queueUrl,
        queueArn: 'arn:aws:sqs:us-east-1:000000000000:bench-hot.fifo',
        region: 'us-east-1',
        functionName: 'bench-consume-connections',
        timeoutSeconds: 30,
        batchSize: 10,
        reportBatchItemFailures: true,
        retryDelaySeconds: 1,
        handler: batchConsumer('connections', {
          store: dynamoDbEventStore(db, tables),
          notifier: { publish: async () => undefined },
          log,
          counters: { count: () => undefined },
        }),
        log: () => undefined,
      }),
    );
    while (stored < events) await new Promise((r) => setTimeout(r, 50));
    const seconds = (performance.now() - t0) / 1000;
    await Promise.all(pollers.map((p) => p.stop()));
    const record = await dynamoDbRecordQueries(clients[0] as DynamoDBDocumentClient, tables)
      .listConnections({ tenant })
      [Symbol.asyncIterator]()
      .next();
    for (const db of clients) db.destroy();
    return {
      events,
      consumers,
      conflicts,
      conflictsPer1000: (conflicts / events) * 1000,
      failed,
      eventCount: (record.value as { event_count?: number } | undefined)?.event_count ?? 0,
      eventsPerSecond: events / seconds,
    };
  } finally {
    sqs.destroy();
    await sqsServer.close();
    await backend.stop();
  }
}

/**
 * (h) hotglue's top of the hour, modelled: 2,000 new jobs of one flow in one second (one per
 * tenant), each written as the consumer writes it (its CURRENT item with the real layout and
 * index keys, and its history item), charged per partition key value of the table and of each
 * index as DynamoDB bills it (lib/local/partition-model.ts). The figure is the hottest key's
 * write units in that second over DynamoDB's 1,000 per key value.
 */
async function benchHotPartition(jobsPerSecond = 2_000) {
  const definition = extractDefinition(
    await printServiceConfig(ROOT, 'bench', join(tmpdir(), 'hotglue-webhooks-print-cache')),
  );
  const spec = definition.tables.find((t) => t.logicalId === LOGICAL_IDS.jobs.table);
  const props = spec?.properties as {
    KeySchema: { AttributeName: string; KeyType: string }[];
    GlobalSecondaryIndexes: {
      IndexName: string;
      KeySchema: { AttributeName: string; KeyType: string }[];
      Projection: { ProjectionType: string };
    }[];
  };
  const key = (schema: { AttributeName: string; KeyType: string }[], type: string) =>
    schema.find((k) => k.KeyType === type)?.AttributeName;
  const schema: TableSchema = {
    name: 'jobs',
    hashKey: key(props.KeySchema, 'HASH') ?? 'pk',
    rangeKey: key(props.KeySchema, 'RANGE') ?? 'sk',
    indexes: props.GlobalSecondaryIndexes.map((i) => ({
      name: i.IndexName,
      hashKey: key(i.KeySchema, 'HASH') ?? '',
      ...(key(i.KeySchema, 'RANGE') !== undefined && { rangeKey: key(i.KeySchema, 'RANGE') }),
      projection: i.Projection.ProjectionType,
    })),
  };
  const meter = new PartitionMeter(
    { writeUnits: Number.POSITIVE_INFINITY, readUnits: Number.POSITIVE_INFINITY },
    () => 0,
  );
  const flow = 'flow-top-of-the-hour';
  const hour = new Date('2026-11-30T07:00:00.000Z');
  for (let n = 0; n < jobsPerSecond; n += 1) {
    const payload = {
      ...samplePayload('jobs', { now: hour }),
      tenant: `tenant-${n}`,
      flow_id: flow,
      status: 'JOB_CREATED',
    };
    const event: StoredEvent = {
      hash: contentHash(payload),
      receivedAt: hour.toISOString(),
      payload,
    };
    const entity = ENTITIES.jobs;
    const pk = entity.key(payload);
    const { record, fold } = entity.fold(undefined, event, true);
    const current = marshall(
      toCurrentItem('jobs', pk, { version: 1, record, fold, pending: [], outbox: [] }),
      { removeUndefinedValues: true },
    );
    const history = marshall(
      {
        pk,
        sk: `${EVENT_PREFIX}${entity.historyId(event)}`,
        ...historyAttributes('jobs', event),
        payload_gz: encodePayload(payload),
      },
      { removeUndefinedValues: true },
    );
    meter.charge(writeCharges(schema, undefined, current), 'write');
    meter.charge(writeCharges(schema, undefined, history), 'write');
  }
  const hottest = meter.hottest('write', 5);
  const top = hottest[0] ?? { key: '', unitsPerSecond: 0 };
  return {
    jobsPerSecond,
    hottest,
    share: top.unitsPerSecond / DYNAMODB_LIMITS.writeUnits,
  };
}

/** (e) Modelled AWS cost per million job webhooks. */
export const MODEL = {
  memoryGb: 0.25,
  /** One SQS SendMessage round trip in the ingest function. */
  sqsSendMs: 15,
  /** Two strongly consistent reads (the record, the events' history items) and two conditional writes. */
  consumerMsPerEvent: 20,
  /** Events per consumer batch (SQS receive and delete, and consumer invocations, are per batch). */
  eventsPerBatch: 5,
  /** Share of invocations that start a new instance and pay its cold init. */
  coldShare: 0.01,
  /**
   * Read units per event: the CURRENT item and the event's history item (strongly consistent,
   * each under 4 KB); DynamoDB Local reports 2.0 (figure f).
   */
  readUnitsPerEvent: 2,
  /**
   * CloudWatch Logs GB per million events: three function log lines of about 200 bytes, and the
   * API's access log line of about 250.
   */
  logGbPerMillion: 0.85,
  /** Notifications per job webhook: one per job (its terminal change), hotglue's 7 events a job. */
  notificationsPerEvent: 1 / 7,
};

function costModel(
  ingestUs: number,
  wruPerJobEvent: number,
  coldInitMs: number,
  marking: { readUnitsPerNotification: number; writeUnitsPerNotification: number },
) {
  const m = MODEL;
  const ingestSeconds = ((ingestUs / 1000 + m.sqsSendMs + m.coldShare * coldInitMs) / 1000) * 1e6;
  const consumerSeconds =
    ((m.consumerMsPerEvent + (m.coldShare * coldInitMs) / m.eventsPerBatch) / 1000) * 1e6;
  const items = {
    apiGateway: PRICES.apiGatewayHttpPerMillion,
    lambdaRequests: (1 + 1 / m.eventsPerBatch) * PRICES.lambdaRequestsPerMillion,
    lambdaDuration: (ingestSeconds + consumerSeconds) * m.memoryGb * PRICES.lambdaArmPerGbSecond,
    sqs: (1 + 2 / m.eventsPerBatch) * PRICES.sqsPerMillionRequests,
    dynamoWrites: wruPerJobEvent * PRICES.dynamoWritePerMillionWru,
    dynamoReads: m.readUnitsPerEvent * PRICES.dynamoReadPerMillionRru,
    logs: m.logGbPerMillion * PRICES.logsIngestPerGb,
    // The record write that records a change is in the write units above; publishing it and
    // marking it sent come on top.
    notifications:
      m.notificationsPerEvent *
      (PRICES.eventBridgePerMillionEvents +
        marking.writeUnitsPerNotification * PRICES.dynamoWritePerMillionWru +
        marking.readUnitsPerNotification * PRICES.dynamoReadPerMillionRru),
  };
  const total = Object.values(items).reduce((a, b) => a + b, 0);
  return { items, total };
}

async function main(): Promise<void> {
  const only = new Set(process.argv.slice(2).filter((a) => !a.startsWith('-')));
  const want = (k: string) => only.size === 0 || only.has(k);
  const figures: Record<string, unknown> = {
    machine: {
      cpus: cpus().length,
      cpu: cpus()[0]?.model,
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      node: process.version,
      platform: process.platform,
    },
    date: new Date().toISOString(),
  };
  const rows: [string, string, string, string][] = [];
  const ingest = want('a') ? await benchIngest() : undefined;
  if (ingest) {
    figures.a = ingest;
    rows.push([
      '(a) ingest / floor',
      `${ingest.handlerUsPerEvent.toFixed(1)} µs vs ${ingest.floorUsPerEvent.toFixed(1)} µs`,
      ingest.ratio.toFixed(2),
      '≤ 2.0',
    ]);
  }
  if (want('b')) {
    const e2e = await benchEndToEnd(3_000, 16);
    figures.b = e2e;
    rows.push([
      '(b) end to end / dynalite',
      `${e2e.eventsPerSecond.toFixed(0)} ev/s vs ${e2e.dynaliteUpdatesPerSecond.toFixed(0)} upd/s`,
      e2e.ratio.toFixed(2),
      '≥ 0.8',
    ]);
  }
  let worstOverhead = 0;
  if (want('c')) {
    const cold = await benchColdInit();
    figures.c = cold;
    for (const c of cold) {
      worstOverhead = Math.max(worstOverhead, c.coldInitMs);
      rows.push([
        `(c) ${c.function} cold init`,
        `${(c.bundleBytes / 1024).toFixed(0)} KiB; ${c.coldInitMs.toFixed(1)} ms - ${c.bareClientsMs.toFixed(1)} ms clients`,
        `${c.overheadMs.toFixed(1)} ms`,
        '≤ 10 ms',
      ]);
    }
  }
  let wru = 0;
  let marking = { readUnitsPerNotification: 0, writeUnitsPerNotification: 0 };
  if (want('d')) {
    const units = await benchWriteUnits();
    figures.d = units;
    wru = units.jobs.writeUnitsPerEvent;
    marking = units.markSent;
    const label: Record<string, string> = {
      jobs: 'job event (all jobs)',
      jobsOfCompletedJobs: 'job event (completed jobs)',
      jobsOfFailedJobs: 'job event (failed jobs)',
      discover: 'discover event',
      connections: 'connection event',
    };
    const { markSent: marked, ...perKind } = units;
    rows.push([
      '(d) marking a notification sent',
      `${marked.notifications} notifications`,
      `${marked.writeUnitsPerNotification.toFixed(2)} WCU, ${marked.readUnitsPerNotification.toFixed(2)} RCU`,
      '-',
    ]);
    for (const [key, u] of Object.entries(perKind)) {
      rows.push([
        `(d) write units per ${label[key] ?? key}`,
        `${u.events} events`,
        u.writeUnitsPerEvent.toFixed(2),
        key === 'jobs' ? '≤ 3.5' : '-',
      ]);
    }
  }
  if (want('f')) {
    const growth = await benchHistoryGrowth();
    figures.f = growth;
    for (const r of growth.rows)
      rows.push([
        `(f) store 1 event, history of ${r.history}`,
        `${r.readUnitsPerEvent.toFixed(1)} RCU, ${r.writeUnitsPerEvent.toFixed(1)} WCU`,
        `${r.medianMs.toFixed(2)} ms`,
        '-',
      ]);
    rows.push(['(f) time at 10,000 / at 10', '', growth.ratio.toFixed(2), '≤ 1.2']);
    const local = await benchLocalGrowth();
    figures.fLocal = local;
    rows.push([
      '(f) local stack: 80 events after 400 / fresh',
      `${local.heldSeconds.toFixed(2)} s vs ${local.freshSeconds.toFixed(2)} s`,
      local.ratio.toFixed(2),
      '≤ 1.5',
    ]);
  }
  if (want('g')) {
    const hot = await benchHotEntity();
    figures.g = hot;
    rows.push([
      `(g) conflicts per 1,000 events, one entity, ${hot.consumers} consumers (FIFO)`,
      `${hot.conflicts} conflicts, ${hot.failed} records failed; ${hot.eventsPerSecond.toFixed(0)} ev/s`,
      hot.conflictsPer1000.toFixed(0),
      '0',
    ]);
    rows.push([
      '(g) events counted by the record',
      `of ${hot.events}`,
      String(hot.eventCount),
      String(hot.events),
    ]);
  }
  if (want('h')) {
    const hot = await benchHotPartition();
    figures.h = hot;
    rows.push([
      `(h) hottest key, ${hot.jobsPerSecond} new jobs/s of one flow, over 1,000 WCU/s`,
      `${hot.hottest[0]?.key ?? ''}: ${hot.hottest[0]?.unitsPerSecond ?? 0} WCU/s`,
      hot.share.toFixed(3),
      '≤ 0.25',
    ]);
  }
  if (want('i')) {
    const bursts = [
      await benchSsmBurst(200),
      await benchSsmBurst(400),
      await benchSsmBurst(1_600),
      await benchSsmBurst(1_600, 3_000),
    ];
    figures.i = bursts;
    for (const b of bursts) {
      rows.push([
        `(i) ingest cold starts with secrets, ${b.instances} in 1 s, SSM at ${b.rate} req/s`,
        `${b.verified} in 6 s; ${b.throttled} of ${b.calls} calls throttled; slowest ${b.slowestMs} ms`,
        b.share.toFixed(2),
        b.instances <= 200 || b.rate > 40 ? '1.00' : '-',
      ]);
    }
  }
  if (want('j')) {
    const summary = await benchSummary();
    figures.j = summary;
    rows.push([
      `(j) read units of one dashboard summary, ${summary.units.jobs} jobs of the last day, after / before`,
      `${summary.units.after} vs ${summary.units.before} RCU`,
      (summary.units.after / summary.units.before).toFixed(3),
      '≤ 0.05',
    ]);
    rows.push([
      '(j) median summary time, 1,500 jobs over 50 (dynalite)',
      `${summary.time.at1500.toFixed(1)} ms vs ${summary.time.at50.toFixed(1)} ms`,
      summary.time.ratio.toFixed(2),
      '≤ 3.5',
    ]);
  }
  if (want('e') && ingest && wru > 0) {
    const cost = costModel(ingest.handlerUsPerEvent, wru, worstOverhead, marking);
    figures.e = { ...cost, prices: PRICES, assumptions: MODEL };
    rows.push([
      '(e) modelled cost per million webhooks',
      `prices of ${PRICES.date}`,
      `$${cost.total.toFixed(2)}`,
      '≤ $4.80',
    ]);
  }
  const widths = [0, 1, 2, 3].map((i) =>
    Math.max(
      ...[['figure', 'measured', 'result', 'target'], ...rows].map((r) => String(r[i]).length),
    ),
  );
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ');
  process.stdout.write(
    `${line(['figure', 'measured', 'result', 'target'])}\n${rows.map(line).join('\n')}\n`,
  );
  const out = join(ROOT, 'bench-results.json');
  await writeFile(out, `${JSON.stringify(figures, null, 2)}\n`);
  process.stdout.write(`\nfigures written to ${out}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
