import '../lib/config/quiet-warnings';
import { spawn } from 'node:child_process';
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { build } from 'esbuild';
import { contentHash } from '../lib/webhook/content-hash';
import { handleIngest, type IngestRequest } from '../lib/ingest/handle-ingest';
import { logger } from '../lib/aws/logger';
import { emfCounters } from '../lib/aws/metrics';
import type { Kind } from '../lib/webhook/kinds';
import { samplePayload } from '../lib/webhook/samples';
import { fixedSecretSource } from '../lib/ports/secret-source';
import { dynamoDbStore } from '../lib/aws/dynamodb/dynamodb-store';
import { localDynamoDbClient } from '../lib/local/local-stack-facts';
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
  sqsPerMillionRequests: 0.4,
  dynamoWritePerMillionWru: 0.625,
  dynamoReadPerMillionRru: 0.125,
  logsIngestPerGb: 0.5,
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

/** (d) DynamoDB write units per event of each kind, as DynamoDB Local reports them. */
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
    // In lifecycle order, as hotglue sends them (the planned sends are shuffled).
    for (const event of plan.inOrder) {
      const payload = JSON.parse(event.body) as Record<string, unknown>;
      const result = await store.store(event.kind, {
        hash: contentHash(payload),
        receivedAt: new Date().toISOString(),
        payload,
      });
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
    };
  } finally {
    await backend.stop();
  }
}

/** (e) Modelled AWS cost per million job webhooks. */
export const MODEL = {
  memoryGb: 0.25,
  /** One SQS SendMessage round trip in the ingest function. */
  sqsSendMs: 15,
  /** One strongly consistent Query and two conditional writes in a consumer. */
  consumerMsPerEvent: 20,
  /** Events per consumer batch (SQS receive and delete, and consumer invocations, are per batch). */
  eventsPerBatch: 5,
  /** Share of invocations that start a new instance and pay its cold init. */
  coldShare: 0.01,
  /** Strongly consistent read units per event (the Query of the entity's partition). */
  readUnitsPerEvent: 3,
  /** CloudWatch Logs GB per million events (three log lines of about 200 bytes). */
  logGbPerMillion: 0.6,
};

function costModel(ingestUs: number, wruPerJobEvent: number, coldInitMs: number) {
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
  if (want('d')) {
    const units = await benchWriteUnits();
    figures.d = units;
    wru = units.jobs.writeUnitsPerEvent;
    const label: Record<string, string> = {
      jobs: 'job event (all jobs)',
      jobsOfCompletedJobs: 'job event (completed jobs)',
      jobsOfFailedJobs: 'job event (failed jobs)',
      discover: 'discover event',
      connections: 'connection event',
    };
    for (const [key, u] of Object.entries(units)) {
      rows.push([
        `(d) write units per ${label[key] ?? key}`,
        `${u.events} events`,
        u.writeUnitsPerEvent.toFixed(2),
        key === 'jobs' ? '≤ 4' : '-',
      ]);
    }
  }
  if (want('e') && ingest && wru > 0) {
    const cost = costModel(ingest.handlerUsPerEvent, wru, worstOverhead);
    figures.e = { ...cost, prices: PRICES, assumptions: MODEL };
    rows.push([
      '(e) modelled cost per million webhooks',
      `prices of ${PRICES.date}`,
      `$${cost.total.toFixed(2)}`,
      '≤ $3.00',
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
