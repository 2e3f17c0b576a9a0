import { build } from 'esbuild';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { packageService } from '../../test/support/package-service';
import { unzip } from '../../test/support/unzip';
import { median, ROOT } from './common';

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
export async function benchColdInit() {
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
