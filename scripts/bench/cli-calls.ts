import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dynamoDbRecordQueries } from '../../lib/aws/dynamodb/dynamodb-store';
import {
  localDocumentClient,
  localTables,
  type LocalStackInfo,
} from '../../lib/local/local-stack-facts';
import { take } from '../../lib/records/views';
import { startStackChild } from '../../test/support/stack-process';
import { median, ROOT } from './common';

const BIN = join(ROOT, 'bin', 'hotglue-webhooks.js');

interface Call {
  seconds: number;
  code: number | null;
  stdout: string;
  stderr: string;
}

/** One `node bin/hotglue-webhooks.js …` as the README runs it, timed from spawn to exit. */
function call(args: string[], env: Record<string, string>): Promise<Call> {
  const started = performance.now();
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    env: { ...process.env, HOTGLUE_WEBHOOKS_CLI_DEBUG: '1', ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) =>
    child.on('close', (code) =>
      resolve({ seconds: (performance.now() - started) / 1000, code, stdout, stderr }),
    ),
  );
}

/** The median seconds of `calls` calls; each must succeed and run the way asked. */
async function medianOf(
  calls: number,
  args: string[],
  env: Record<string, string>,
  runs: string,
): Promise<number> {
  const seconds: number[] = [];
  for (let i = 0; i < calls; i++) {
    const result = await call(args, env);
    if (result.code !== 0 || !result.stderr.includes(`hotglue-webhooks: ${runs}`))
      throw new Error(`${args.join(' ')} (${runs}): ${result.code}\n${result.stderr}`);
    seconds.push(result.seconds);
  }
  return median(seconds);
}

/**
 * The stack's own part of a call: the query `jobs list` makes (its first 50 jobs), from this
 * process with a client already connected; the median of `calls`, after one to warm up.
 */
async function querySeconds(info: LocalStackInfo, calls: number): Promise<number> {
  const db = localDocumentClient(info.dynamodbEndpoint, info.region, info.accessKeyId);
  try {
    const records = dynamoDbRecordQueries(db, localTables(info));
    const seconds: number[] = [];
    for (let i = 0; i <= calls; i++) {
      const started = performance.now();
      await take(records.listJobs({}), 50);
      if (i > 0) seconds.push((performance.now() - started) / 1000);
    }
    return median(seconds);
  } finally {
    db.destroy();
  }
}

/**
 * (k) How long the CLI takes to answer, as the README runs it: `--help`, and `jobs list --json`
 * against a local stack of its own holding a few jobs; the median of `calls` calls each, with
 * the bundle that `npm ci` builds (built first, as the install does) and with tsx (the fallback,
 * and how every call ran before the bundle); and the query alone, in process (the stack's part).
 */
export async function benchCliCalls(calls = 7) {
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'build-cli.cjs')], { stdio: 'pipe' });
  const dataDir = await mkdtemp(join(tmpdir(), 'hotglue-bench-cli-'));
  const secret = randomBytes(16).toString('hex');
  const stack = await startStackChild(dataDir, { WEBHOOK_SECRET: secret });
  try {
    const env = { DATA_DIR: dataDir, WEBHOOK_SECRET: secret };
    const jobs = 5;
    for (let i = 0; i < jobs; i++) await call(['send', 'jobs'], env);
    const deadline = Date.now() + 30_000;
    for (;;) {
      const listed = await call(['jobs', 'list', '--json'], env);
      if (listed.code === 0 && (JSON.parse(listed.stdout) as unknown[]).length >= jobs) break;
      if (Date.now() > deadline) throw new Error(`the ${jobs} jobs were not stored in 30 s`);
    }
    const tsx = { ...env, HOTGLUE_WEBHOOKS_CLI: 'tsx' };
    return {
      calls,
      jobs,
      helpSeconds: await medianOf(calls, ['--help'], env, 'dist/cli.cjs'),
      listSeconds: await medianOf(calls, ['jobs', 'list', '--json'], env, 'dist/cli.cjs'),
      tsxHelpSeconds: await medianOf(calls, ['--help'], tsx, 'tsx'),
      tsxListSeconds: await medianOf(calls, ['jobs', 'list', '--json'], tsx, 'tsx'),
      querySeconds: await querySeconds(stack.info, calls),
      targetSeconds: 0.4,
    };
  } finally {
    await stack.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}
