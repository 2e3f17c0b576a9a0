import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually as until } from '../support/eventually';
import { startFakeHotglueApi, startKeyRecorder } from '../support/fake-hotglue-api';
import { jobLifecycle } from '../support/lifecycle';
import { cli, postSigned, startStack, type StackProcess } from '../support/local-stack';
import { spawnTs, waitForExit } from '../support/processes';

/** `hotglue-webhooks reconcile` on the local stack, against a fake of hotglue's job-status API. */
const KEY = randomBytes(12).toString('hex');
const secret = randomBytes(16).toString('hex');
let dataDir: string;
let stack: StackProcess;
let fake: Awaited<ReturnType<typeof startFakeHotglueApi>>;
let elsewhere: Awaited<ReturnType<typeof startKeyRecorder>>;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'hgw-reconcile-'));
  fake = await startFakeHotglueApi(KEY);
  elsewhere = await startKeyRecorder();
  stack = await startStack(dataDir, { WEBHOOK_SECRET: secret });
}, 120_000);

afterAll(async () => {
  if (stack?.child.exitCode === null) await stack.stop();
  await fake.close();
  await elsewhere.close();
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
  it('polls exactly the stale running jobs and repairs one end to end, past a refused and a redirected job', async () => {
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
    // hotglue refuses the key for one (another environment's job), redirects another elsewhere,
    // and a third has an env_id that cannot be a URL segment.
    const [foreign, moved, dotted] = ['foreign', 'moved', 'dotted'].map(
      (name) =>
        jobLifecycle(['JOB_CREATED'], {
          s3Root: `${tenant}/${name}`,
          tenant,
          start: threeHoursAgo,
        })[0] ?? {},
    );
    for (const p of [...stale, ...missing, ...fresh, ...done, foreign, moved]) await post(p ?? {});
    await post({ ...dotted, env_id: '..' });
    await until(
      async () => ((await job(`${tenant}/done`))?.status === 'JOB_COMPLETED' ? true : undefined),
      'the seed',
    );
    await until(
      async () => ((await job(`${tenant}/stale`))?.status === 'SYNC_STARTED' ? true : undefined),
      'the seed',
    );
    await until(async () => {
      const listed = await cli(['jobs', 'list', '--tenant', tenant, '--json'], env());
      return listed.code === 0 && (JSON.parse(listed.stdout) as unknown[]).length === 7
        ? true
        : undefined;
    }, 'the seed');

    // hotglue's answer for the stale job names the flow `flow`, as its documented sample does.
    const { flow_id: flow, ...completed } =
      jobLifecycle(['JOB_CREATED', 'SYNC_STARTED', 'JOB_COMPLETED'], {
        s3Root: `${tenant}/stale`,
        tenant,
        start: threeHoursAgo,
      })[2] ?? {};
    fake.answer(`${tenant}/stale`, { status: 200, body: { ...completed, flow } });
    fake.answer(`${tenant}/missing`, { status: 404 });
    fake.answer(`${tenant}/foreign`, { status: 403 });
    fake.answer(`${tenant}/moved`, { status: 302, headers: { location: `${elsewhere.url}/x` } });

    const before = fake.requests.length;
    const first = await run();
    expect(first.map((l) => [l.s3_root, l.before, l.after, l.outcome]).sort()).toEqual(
      [
        [`${tenant}/missing`, 'JOB_CREATED', null, 'not_found'],
        [`${tenant}/stale`, 'SYNC_STARTED', 'JOB_COMPLETED', 'updated'],
        [`${tenant}/foreign`, 'JOB_CREATED', null, 'refused'],
        [`${tenant}/moved`, 'JOB_CREATED', null, 'error'],
        [`${tenant}/dotted`, 'JOB_CREATED', null, 'skipped'],
      ].sort(),
    );
    expect(first.find((l) => l.outcome === 'error')?.detail).toMatch(/redirect/);
    // Every poll kept the documented shape; the dotted job was not polled, and the key stayed home.
    const polls = fake.requests.slice(before);
    expect(polls.map((p) => p.jobRoot).sort()).toEqual(
      ['foreign', 'missing', 'moved', 'stale'].map((name) => `${tenant}/${name}`),
    );
    expect(elsewhere.requests).toEqual([]);
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
    expect((await job(`${tenant}/foreign`))?.reconcile).toMatchObject({
      outcome: 'refused',
      misses: 1,
      http_status: 403,
    });

    // The next run leaves the now finished job alone, the unknown and the refused ones until their
    // next poll and the dotted one until its next event; only the redirected one is asked again.
    const again = fake.requests.length;
    const second = await run();
    expect(second.map((l) => [l.s3_root, l.outcome])).toEqual([[`${tenant}/moved`, 'error']]);
    expect(fake.requests.slice(again).map((p) => p.jobRoot)).toEqual([`${tenant}/moved`]);
    expect(elsewhere.requests).toEqual([]);
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

/** A C0 control but the newline, DEL, or a C1 control: what the CLI must never print raw. */
const isControl = (c: string): boolean => {
  const code = c.codePointAt(0) ?? 0;
  return (code < 0x20 && code !== 0x0a) || (code >= 0x7f && code <= 0x9f);
};

describe('jobs get with terminal escapes in a payload', () => {
  it('prints no ESC, BEL or C1 byte, as text or as JSON', async () => {
    const root = `esc-${randomBytes(4).toString('hex')}/job`;
    const hostile =
      '\u001b[2J\u001b]0;pwned\u0007\u001b]8;;https://evil.example\u001b\\click\u001b]8;;\u001b\\ \u009b31m\rfine\nnext';
    const [created, failed] = jobLifecycle(['JOB_CREATED', 'SYNC_FAILED'], { s3Root: root });
    await post(created ?? {});
    await post({ ...failed, error: hostile, message: hostile });
    const text = await until(async () => {
      const got = await cli(['jobs', 'get', root], env());
      return got.code === 0 && got.stdout.includes('SYNC_FAILED') ? got : undefined;
    }, root);
    expect(text.stdout).toContain('\\u001b[2J\\u001b]0;pwned\\u0007');
    const asJson = await cli(['jobs', 'get', root, '--json'], env());
    expect((JSON.parse(asJson.stdout) as { error: string }).error).toBe(hostile);
    for (const out of [text.stdout, asJson.stdout]) expect([...out].filter(isControl)).toEqual([]);
  }, 30_000);
});

describe('npm start and a short webhook secret', () => {
  it('refuses to start, in one line that names the length rule and not the secret', async () => {
    const child = spawnTs('lib/local/main.ts', {
      env: { DATA_DIR: join(dataDir, 'refused'), PORT: '0', WEBHOOK_SECRET: 'Xk9#p,Q' },
    });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    expect(await waitForExit(child, 30_000)).toBe(1);
    expect(stderr.trim().split('\n')).toEqual([
      'local stack failed to start: invalid configuration: WEBHOOK_SECRET breaks the rule: each comma-separated webhook secret must be at least 16 bytes (WEBHOOK_ALLOW_WEAK_SECRET=true starts anyway, with a warning)',
    ]);
  }, 30_000);
});

describe('npm start with HOTGLUE_API_KEY set', () => {
  it('reconciles stale jobs by itself on its interval, and says so when it starts', async () => {
    const loopDir = await mkdtemp(join(tmpdir(), 'hgw-reconcile-loop-'));
    // A short second secret, allowed: the stack warns at start, and its ingest once.
    const looping = await startStack(loopDir, {
      WEBHOOK_SECRET: `${secret},short`,
      WEBHOOK_ALLOW_WEAK_SECRET: 'true',
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
      expect(looping.output.lines.filter((l) => l.includes('must be at least 16 bytes'))).toEqual([
        '  warning: WEBHOOK_SECRET breaks the rule: each comma-separated webhook secret must be at least 16 bytes; started anyway (WEBHOOK_ALLOW_WEAK_SECRET=true)',
        expect.stringContaining('"weak webhook secret: each comma-separated webhook secret'),
      ]);
      expect(looping.output.lines.join('\n')).not.toContain(secret);
      await looping.output.line((l) => l.includes('"reconcile run"'), 'a reconcile run log line');
    } finally {
      await looping.stop();
      await rm(loopDir, { recursive: true, force: true });
    }
  }, 90_000);
});
