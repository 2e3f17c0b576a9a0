import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually as until } from '../support/eventually';
import { startFakeHotglueApi } from '../support/fake-hotglue-api';
import { jobLifecycle } from '../support/lifecycle';
import { cli, postSigned, startStack, type StackProcess } from '../support/local-stack';

/** `hotglue-webhooks reconcile` on the local stack, against a fake of hotglue's job-status API. */
const KEY = randomBytes(12).toString('hex');
const secret = randomBytes(16).toString('hex');
let dataDir: string;
let stack: StackProcess;
let fake: Awaited<ReturnType<typeof startFakeHotglueApi>>;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'hgw-reconcile-'));
  fake = await startFakeHotglueApi(KEY);
  stack = await startStack(dataDir, { WEBHOOK_SECRET: secret });
}, 120_000);

afterAll(async () => {
  if (stack?.child.exitCode === null) await stack.stop();
  await fake.close();
  await rm(dataDir, { recursive: true, force: true });
});

const env = () => ({ DATA_DIR: dataDir, HOTGLUE_API_URL: fake.url, HOTGLUE_API_KEY: KEY });

async function post(payload: Record<string, unknown>, to: StackProcess = stack): Promise<void> {
  expect(await postSigned(to, 'jobs', payload, secret)).toBe(202);
}

async function job(s3Root: string): Promise<
  | {
      status: string;
      history: { status: string; source: string }[];
      reconcile?: Record<string, unknown>;
    }
  | undefined
> {
  const result = await cli(['jobs', 'get', s3Root, '--json'], env());
  return result.code === 0 ? JSON.parse(result.stdout) : undefined;
}

interface Line {
  s3_root: string;
  job_id: string | null;
  tenant: string;
  before: string;
  after: string | null;
  outcome: string;
  detail: string;
}

const run = async (...args: string[]): Promise<Line[]> => {
  const result = await cli(['reconcile', '--older-than', '1h', '--json', ...args], env());
  expect(result).toMatchObject({ code: 0, stderr: '' });
  return JSON.parse(result.stdout) as Line[];
};

describe('hotglue-webhooks reconcile on the local stack', () => {
  it('polls exactly the stale running jobs and repairs one end to end', async () => {
    const tenant = `rec-${randomBytes(4).toString('hex')}`;
    const threeHoursAgo = new Date(Date.now() - 3 * 3_600_000);
    const stale = jobLifecycle(['JOB_CREATED', 'SYNC_STARTED'], {
      s3Root: `${tenant}/stale`,
      tenant,
      start: threeHoursAgo,
    });
    const missing = jobLifecycle(['JOB_CREATED'], {
      s3Root: `${tenant}/missing`,
      tenant,
      start: threeHoursAgo,
    });
    const fresh = jobLifecycle(['JOB_CREATED'], {
      s3Root: `${tenant}/fresh`,
      tenant,
      start: new Date(Date.now() - 10 * 60_000),
    });
    const done = jobLifecycle(['JOB_CREATED', 'JOB_COMPLETED'], {
      s3Root: `${tenant}/done`,
      tenant,
      start: threeHoursAgo,
    });
    for (const p of [...stale, ...missing, ...fresh, ...done]) await post(p);
    await until(
      async () => ((await job(`${tenant}/done`))?.status === 'JOB_COMPLETED' ? true : undefined),
      'the seed',
    );
    await until(
      async () => ((await job(`${tenant}/stale`))?.status === 'SYNC_STARTED' ? true : undefined),
      'the seed',
    );
    for (const root of [`${tenant}/missing`, `${tenant}/fresh`])
      await until(async () => await job(root), root);

    // hotglue's answer for the stale job names the flow `flow`, as its documented sample does.
    const { flow_id: flow, ...completed } =
      jobLifecycle(['JOB_CREATED', 'SYNC_STARTED', 'JOB_COMPLETED'], {
        s3Root: `${tenant}/stale`,
        tenant,
        start: threeHoursAgo,
      })[2] ?? {};
    fake.answer(`${tenant}/stale`, { status: 200, body: { ...completed, flow } });
    fake.answer(`${tenant}/missing`, { status: 404 });

    const before = fake.requests.length;
    const first = await run();
    expect(first.map((l) => [l.s3_root, l.before, l.after, l.outcome]).sort()).toEqual(
      [
        [`${tenant}/missing`, 'JOB_CREATED', null, 'not_found'],
        [`${tenant}/stale`, 'SYNC_STARTED', 'JOB_COMPLETED', 'updated'],
      ].sort(),
    );
    const polls = fake.requests.slice(before);
    expect(polls.map((p) => p.jobRoot).sort()).toEqual([`${tenant}/missing`, `${tenant}/stale`]);
    for (const p of polls) {
      expect(p.apiKey).toBe(KEY);
      expect(p.segments).toEqual([stale[0]?.env_id, stale[0]?.flow_id, tenant, 'jobs', 'status']);
    }

    const repaired = await until(async () => {
      const j = await job(`${tenant}/stale`);
      // The record is written before the event's history item: wait for both.
      return j?.status === 'JOB_COMPLETED' && j.history.some((h) => h.status === 'JOB_COMPLETED')
        ? j
        : undefined;
    }, 'the reconciled status');
    expect(repaired.history.at(-1)).toMatchObject({ status: 'JOB_COMPLETED', source: 'reconcile' });
    const unknown = await job(`${tenant}/missing`);
    expect(unknown?.status).toBe('JOB_CREATED');
    // hotglue did not know it: asked again in 15 minutes, and the job says so.
    expect(unknown?.reconcile).toMatchObject({ outcome: 'not_found', misses: 1 });

    // The next run leaves the now finished job alone, and the unknown one until its next poll.
    const again = fake.requests.length;
    const second = await run();
    expect(second).toEqual([]);
    expect(fake.requests.slice(again)).toEqual([]);
  }, 90_000);

  it('says when there is no key, and stops with exit code 1 when the key is refused', async () => {
    // A stale job of its own, so that there is something to poll.
    const root = `key-${randomBytes(4).toString('hex')}/stale`;
    await post(
      jobLifecycle(['JOB_CREATED'], {
        s3Root: root,
        start: new Date(Date.now() - 3 * 3_600_000),
      })[0] ?? {},
    );
    await until(async () => await job(root), root);
    const none = await cli(['reconcile'], { DATA_DIR: dataDir, HOTGLUE_API_URL: fake.url });
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/HOTGLUE_API_KEY/);
    const wrong = await cli(['reconcile', '--older-than', '1h'], {
      DATA_DIR: dataDir,
      HOTGLUE_API_URL: fake.url,
      HOTGLUE_API_KEY: 'not-the-key',
    });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/refused the API key \(HTTP 401\)/);
  }, 30_000);
});

describe('npm start with HOTGLUE_API_KEY set', () => {
  it('reconciles stale jobs by itself on its interval, and says so when it starts', async () => {
    const loopDir = await mkdtemp(join(tmpdir(), 'hgw-reconcile-loop-'));
    const looping = await startStack(loopDir, {
      WEBHOOK_SECRET: secret,
      HOTGLUE_API_URL: fake.url,
      HOTGLUE_API_KEY: KEY,
      RECONCILE_INTERVAL: '2s',
      RECONCILE_AFTER: '1h',
    });
    try {
      const reconcileLine = `  reconcile: every 2s, jobs running with no event for 1h, against ${fake.url}`;
      expect(
        await looping.output.line((l) => l.startsWith('  reconcile:'), 'the reconcile line'),
      ).toBe(reconcileLine);
      const root = `loop-${randomBytes(4).toString('hex')}/stale`;
      const start = new Date(Date.now() - 3 * 3_600_000);
      const [created, , completed] = jobLifecycle(['JOB_CREATED', 'SYNC_STARTED', 'JOB_FAILED'], {
        s3Root: root,
        start,
      });
      fake.answer(root, { status: 200, body: completed });
      await post(created ?? {}, looping);
      const repaired = await until(async () => {
        const result = await cli(['jobs', 'get', root, '--json'], { DATA_DIR: loopDir });
        const found =
          result.code === 0
            ? (JSON.parse(result.stdout) as { status: string; history: { source: string }[] })
            : undefined;
        // The record is written before the event's history item: wait for both.
        return found?.status === 'JOB_FAILED' && found.history.length === 2 ? found : undefined;
      }, 'the loop to reconcile the job');
      expect(repaired.history.at(-1)?.source).toBe('reconcile');
      await looping.output.line((l) => l.includes('"reconcile run"'), 'a reconcile run log line');
    } finally {
      await looping.stop();
      await rm(loopDir, { recursive: true, force: true });
    }
  }, 90_000);
});
