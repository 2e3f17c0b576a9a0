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
import { eventually } from '../support/eventually';
import { hmacHex, payloadOf } from '../support/events';
import { cli, startStack, type StackProcess } from '../support/local-stack';
import { waitForExit } from '../support/processes';

/**
 * `npm start` killed with SIGKILL keeps every event it answered 202, through its queue journal.
 * Each test owns its data folder, so that one test's leftovers never count in another's figures.
 */
let dataDir: string;
let stack: StackProcess | undefined;
const secret = randomBytes(16).toString('hex');
const dataDirs: string[] = [];

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'hgw-crash-'));
  dataDirs.push(dataDir);
});

afterEach(async () => {
  if (stack?.child.exitCode === null && stack.child.signalCode === null) await stack.stop();
  stack = undefined;
});

afterAll(async () => {
  await Promise.all(dataDirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

const start = (env: Record<string, string> = {}) =>
  startStack(dataDir, { WEBHOOK_SECRET: secret, ...env });

const jobEvent = (tenant: string, n: number) =>
  JSON.stringify(payloadOf('jobs', { tenant, s3_root: `${tenant}/job-${n}`, job_id: `${n}` }));

/**
 * Posts every body at once and SIGKILLs the stack as soon as `killAfter` of them got 202.
 * Returns the s3_roots that got 202 (a request cut by the kill got no answer, so it is not one).
 */
async function postAndKill(
  running: StackProcess,
  tenant: string,
  count: number,
  killAfter: number,
): Promise<Set<string>> {
  const accepted = new Set<string>();
  await Promise.all(
    Array.from({ length: count }, async (_, n) => {
      const body = jobEvent(tenant, n);
      try {
        const response = await fetch(running.info.webhookUrls.jobs, {
          method: 'POST',
          body,
          headers: { 'content-type': 'application/json', 'x-hub-signature': hmacHex(secret, body) },
        });
        if (response.status !== 202) return;
        accepted.add(`${tenant}/job-${n}`);
        if (accepted.size === killAfter) running.child.kill('SIGKILL');
      } catch {
        // the connection was cut by the kill: no answer, no promise made
      }
    }),
  );
  await waitForExit(running.child, 10_000);
  return accepted;
}

async function storedRoots(info: LocalStackInfo, tenant: string): Promise<Set<string>> {
  const queries = dynamoDbRecordQueries(
    localDocumentClient(info.dynamodbEndpoint, info.region, info.accessKeyId),
    localTables(info),
  );
  const roots = new Set<string>();
  for await (const job of queries.listJobs({ tenant })) roots.add(job.s3_root);
  return roots;
}

async function untilAllStored(info: LocalStackInfo, tenant: string, wanted: Set<string>) {
  let missing: string[] = [];
  return eventually(
    async () => {
      const stored = await storedRoots(info, tenant);
      missing = [...wanted].filter((root) => !stored.has(root));
      return missing.length === 0 ? stored : undefined;
    },
    () => `${missing.length} accepted events to be stored, e.g. ${missing[0]}`,
    { timeoutMs: 90_000, intervalMs: 500 },
  );
}

/** The start's `recovered:` line, waited for: it is printed after the `ready:` line. */
const recoveredLine = (running: StackProcess): Promise<string> =>
  running.output.line((l) => l.trim().startsWith('recovered:'), 'the recovered line');

/** The stop's `still queued` line, if any: `stop()` resolves once all its output has been read. */
const stillQueuedLine = (running: StackProcess): string | undefined =>
  running.output.lines.find((l) => l.includes('still queued'));

describe('the local stack killed with SIGKILL', () => {
  it('stores every event that got 202 once restarted on the same data, after a kill at 100 of 200', async () => {
    const tenant = `crash-${randomBytes(4).toString('hex')}`;
    const first = await start();
    stack = first;
    const accepted = await postAndKill(first, tenant, 200, 100);
    expect(accepted.size).toBeGreaterThanOrEqual(100);
    // Killed, it left its local-stack.json behind: the CLI says that nothing runs here.
    const dead = await cli(['jobs', 'list'], { DATA_DIR: dataDir });
    expect(dead.code).toBe(2);
    expect(dead.stderr).toContain('no local stack is running here');
    expect(dead.stderr).not.toContain('ECONNREFUSED');

    stack = await start();
    expect(await recoveredLine(stack)).toMatch(/^ {2}recovered: /);
    await untilAllStored(stack.info, tenant, accepted);
    const dlq = await cli(['dlq', 'list', '--kind', 'jobs', '--json'], { DATA_DIR: dataDir });
    expect(JSON.parse(dlq.stdout)).toEqual([]);
  }, 150_000);

  it('puts the whole unconsumed backlog back on its queue and says how much it recovered', async () => {
    // DynamoDB cut and retries held back: every accepted event is still queued at the kill.
    const tenant = `backlog-${randomBytes(4).toString('hex')}`;
    const first = await start({ LOCAL_RETRY_DELAY_SECONDS: '600' });
    stack = first;
    await first.setFault('dynamodb', true);
    const accepted = await postAndKill(first, tenant, 40, 40);
    expect(accepted.size).toBe(40);

    stack = await start();
    const line = await recoveredLine(stack);
    const jobsQueue = stack.info.queues.JobsFifoQueue?.name ?? 'missing';
    expect(line).toContain(`recovered: 40 queued events from the last run`);
    expect(line).toContain(`${jobsQueue}=40`);
    await untilAllStored(stack.info, tenant, accepted);
    expect(await stack.stop()).toBe(0);
    expect(stillQueuedLine(stack)).toBeUndefined();
  }, 150_000);
  it('keeps the backlog across Ctrl-C too, says so on stopping, and delivers it at the next start', async () => {
    const tenant = `ctrl-c-${randomBytes(4).toString('hex')}`;
    const first = await start({ LOCAL_RETRY_DELAY_SECONDS: '600' });
    stack = first;
    await first.setFault('dynamodb', true);
    const bodies = Array.from({ length: 10 }, (_, n) => jobEvent(tenant, n));
    for (const body of bodies) {
      const response = await fetch(first.info.webhookUrls.jobs, {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/json', 'x-hub-signature': hmacHex(secret, body) },
      });
      expect(response.status).toBe(202);
    }
    expect(await first.stop()).toBe(0);
    const jobsQueue = first.info.queues.JobsFifoQueue?.name ?? 'missing';
    expect(stillQueuedLine(first)).toContain(`${jobsQueue}=10`);

    stack = await start();
    expect(await recoveredLine(stack)).toContain(`recovered: 10 queued events from the last run`);
    await untilAllStored(stack.info, tenant, new Set(bodies.map((_, n) => `${tenant}/job-${n}`)));
  }, 150_000);
});
