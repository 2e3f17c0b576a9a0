import { batchConsumer } from '../../lib/consumer/consume-batch';
import { hotglueJobStatusApi, keySafeApiUrl, retryAfterSeconds } from '../../lib/aws/hotglue-api';
import type { EventQueue } from '../../lib/ports/event-queue';
import { ApiKeyRejectedError } from '../../lib/ports/job-status';
import { reconcile, type ReconcileOptions } from '../../lib/reconcile/reconcile';
import { scheduledReconcile } from '../../lib/reconcile/scheduled';
import { jobKey } from '../../lib/records/entity-keys';
import { recordingCounters, recordingLog, recordingNotifier } from '../support/doubles';
import { sqsRecord } from '../support/events';
import { startFakeHotglueApi, startKeyRecorder } from '../support/fake-hotglue-api';
import { jobLifecycle, stored } from '../support/lifecycle';
import { memoryStore } from '../support/memory-store';
import { take } from '../../lib/records/views';

/** The reconcile pass with its real HTTP client, against a fake of hotglue's documented endpoint. */
const KEY = 'test-api-key';
const NOW = new Date('2026-11-01T15:00:00.000Z');
const HOUR = 3_600_000;
let fake: Awaited<ReturnType<typeof startFakeHotglueApi>>;

beforeAll(async () => {
  fake = await startFakeHotglueApi(KEY);
});
afterAll(() => fake.close());

/** A store, a queue that keeps what it is given, and a way to consume that into the store. */
function pipeline() {
  const store = memoryStore();
  const queued: string[] = [];
  const queue: EventQueue = {
    send: async (_kind, { body }) => {
      queued.push(body);
      return { messageId: `m${queued.length}` };
    },
  };
  const consume = batchConsumer('jobs', {
    notifier: recordingNotifier(),
    store,
    log: recordingLog(),
    counters: recordingCounters(),
  });
  const drain = async () => {
    const records = queued.splice(0).map((body, i) => sqsRecord(body, { messageId: `d${i}` }));
    if (records.length > 0)
      expect((await consume({ Records: records })).batchItemFailures).toEqual([]);
  };
  return { store, queue, queued, drain };
}

/**
 * What reconcile runs with here: the pipeline's store (for the polls' state too, unless
 * `withPolls` is false) and queue, the fake hotglue API with the key, and a clock.
 */
const depsOf = (
  { store, queue }: Pick<ReturnType<typeof pipeline>, 'store' | 'queue'>,
  now: () => Date = () => NOW,
  withPolls = true,
) => ({
  jobs: store,
  ...(withPolls && { polls: store }),
  api: hotglueJobStatusApi({ baseUrl: fake.url, apiKey: KEY }),
  queue,
  now,
});

const options = (over: Partial<ReconcileOptions> = {}): ReconcileOptions => ({
  olderThanMs: 2 * HOUR,
  limit: 500,
  concurrency: 4,
  dryRun: false,
  ...over,
});

/** A job whose latest event is at `start` plus a minute per status. */
const job = (s3Root: string, statuses: string[], start = new Date('2026-11-01T10:00:00Z')) =>
  jobLifecycle(statuses, { s3Root, start });

/** hotglue's job-details answer for a job in `status`: its sample names the flow `flow`. */
function answerFor(s3Root: string, status: string): Record<string, unknown> {
  const last = job(s3Root, ['JOB_CREATED', 'SYNC_STARTED', status]).at(-1) ?? {};
  const { flow_id: flow, ...rest } = last;
  return { ...rest, flow };
}

describe('reconcile, against a fake of hotglue’s job-status API', () => {
  it('repairs stale jobs, leaves fresh and finished ones alone, and reports every outcome', async () => {
    const { store, queue, queued, drain } = pipeline();
    const seed = [
      ...job('rec/stale', ['JOB_CREATED', 'SYNC_STARTED']),
      ...job('rec/fresh', ['JOB_CREATED'], new Date('2026-11-01T14:30:00Z')),
      ...job('rec/done', ['JOB_CREATED', 'JOB_COMPLETED']),
      ...job('rec/missing', ['JOB_CREATED']),
      ...job('rec/broken', ['JOB_CREATED']),
      ...job('rec/slow', ['JOB_CREATED', 'SYNC_STARTED']),
      ...job('rec/garbled', ['JOB_CREATED']),
    ];
    for (const p of seed) await store.store('jobs', stored(p));
    fake.answer('rec/stale', { status: 200, body: answerFor('rec/stale', 'JOB_COMPLETED') });
    fake.answer('rec/missing', { status: 404 });
    fake.answer('rec/broken', { status: 500 });
    fake.answer(
      'rec/slow',
      { status: 429, headers: { 'retry-after': '3' } },
      {
        status: 200,
        body: answerFor('rec/slow', 'SYNC_STARTED'),
      },
    );
    fake.answer('rec/garbled', { status: 200, raw: 'not json' });
    fake.answer('rec/done', { status: 200, body: answerFor('rec/done', 'JOB_COMPLETED') });
    const waits: number[] = [];
    const before = fake.requests.length;
    const deps = {
      jobs: store,
      api: hotglueJobStatusApi({ baseUrl: fake.url, apiKey: KEY }),
      queue,
      now: () => NOW,
      sleep: async (ms: number) => {
        waits.push(ms);
      },
    };
    const report = await reconcile(deps, options());

    const byRoot = Object.fromEntries(report.results.map((r) => [r.s3_root, r]));
    expect(report.stale).toBe(5);
    expect(Object.keys(byRoot).sort()).toEqual(
      ['rec/broken', 'rec/garbled', 'rec/missing', 'rec/slow', 'rec/stale'].sort(),
    );
    expect(byRoot['rec/stale']).toMatchObject({
      before: 'SYNC_STARTED',
      after: 'JOB_COMPLETED',
      outcome: 'updated',
    });
    expect(byRoot['rec/missing']).toMatchObject({ outcome: 'not_found', after: null });
    expect(byRoot['rec/broken']).toMatchObject({ outcome: 'error', detail: 'HTTP 500' });
    expect(byRoot['rec/garbled']).toMatchObject({ outcome: 'error' });
    expect(byRoot['rec/slow']).toMatchObject({ outcome: 'unchanged', after: 'SYNC_STARTED' });
    expect(waits).toEqual([3000]);
    // Only the one answer that changes a status is queued.
    expect(queued).toHaveLength(1);

    // Every poll used the documented path and the key.
    const polls = fake.requests.slice(before);
    for (const request of polls) {
      const record = seed.find((p) => p.s3_root === request.jobRoot) ?? {};
      expect(request).toEqual({
        method: 'GET',
        segments: [record.env_id, record.flow_id, record.tenant, 'jobs', 'status'],
        jobRoot: record.s3_root,
        apiKey: KEY,
      });
    }

    await drain();
    const repaired = await store.getJob('rec/stale');
    expect(repaired?.status).toBe('JOB_COMPLETED');
    expect(repaired?.flow_id).toBe(seed[0]?.flow_id);
    expect(repaired?.history.at(-1)).toMatchObject({
      status: 'JOB_COMPLETED',
      source: 'reconcile',
    });
    expect(repaired?.history.slice(0, -1).map((h) => h.source)).toEqual(['webhook', 'webhook']);
    for (const root of ['rec/missing', 'rec/broken', 'rec/garbled'])
      expect((await store.getJob(root))?.status).toBe('JOB_CREATED');

    // A late, older webhook does not move the reconciled job back.
    await store.store(
      'jobs',
      stored(job('rec/stale', ['JOB_CREATED', 'SYNC_STARTED', 'SYNC_SUCCESS'])[2] ?? {}),
    );
    expect((await store.getJob('rec/stale'))?.status).toBe('JOB_COMPLETED');

    // The next run does not ask about the now finished job again.
    const second = await reconcile(deps, options());
    expect(second.results.map((r) => r.s3_root)).not.toContain('rec/stale');
    expect(second.stale).toBe(4);
  });

  it('backs off from jobs hotglue does not know, retries failed polls at once, and gives up after a week', async () => {
    const { store, queue } = pipeline();
    const unknown = Array.from({ length: 30 }, (_, i) => `gone/${String(i).padStart(2, '0')}`);
    for (const root of [...unknown, 'gone/flaky']) {
      await store.store('jobs', stored(job(root, ['JOB_CREATED'])[0] ?? {}));
      fake.answer(root, { status: root === 'gone/flaky' ? 500 : 404 });
    }
    let now = NOW;
    const deps = depsOf({ store, queue }, () => now);
    const polled = async () => {
      const before = fake.requests.length;
      const report = await reconcile(deps, options());
      return {
        report,
        roots: fake.requests
          .slice(before)
          .map((r) => r.jobRoot)
          .sort(),
      };
    };
    const first = await polled();
    expect(first.roots).toEqual([...unknown, 'gone/flaky'].sort());
    // A minute later: only the job whose poll failed is asked again.
    now = new Date(NOW.getTime() + 60_000);
    const second = await polled();
    expect(second.roots).toEqual(['gone/flaky']);
    expect(second.report).toMatchObject({ stale: 31, due: 1 });
    // Each unknown job says why it waits, and until when.
    expect((await store.getJob('gone/00'))?.reconcile).toEqual({
      outcome: 'not_found',
      misses: 1,
      first_miss_at: NOW.toISOString(),
      next_at: new Date(NOW.getTime() + 15 * 60_000).toISOString(),
    });
    // Fifteen minutes after the first 404 they are due again.
    now = new Date(NOW.getTime() + 15 * 60_000);
    expect((await polled()).roots).toEqual([...unknown, 'gone/flaky'].sort());
    // A week of 404s: lost, listed as lost, and polled no more.
    now = new Date(NOW.getTime() + 8 * 24 * HOUR);
    const gaveUp = await polled();
    expect(gaveUp.report.results.filter((r) => r.outcome === 'lost')).toHaveLength(30);
    const lost = (await take(store.listJobs({ status: 'lost' }), 100)).map((j) => j.s3_root);
    expect(lost.sort()).toEqual(unknown);
    now = new Date(NOW.getTime() + 30 * 24 * HOUR);
    expect((await polled()).roots).toEqual(['gone/flaky']);
    // A new event for a lost job starts a new episode: it is running and pollable again.
    await store.store('jobs', stored(job('gone/00', ['JOB_CREATED', 'SYNC_STARTED'])[1] ?? {}));
    expect((await store.getJob('gone/00'))?.reconcile).toBeUndefined();
    expect((await polled()).roots).toEqual(['gone/00', 'gone/flaky']);
  });

  it('looks at a job with no env_id again only when a new event arrives for it', async () => {
    const { store, queue } = pipeline();
    const [created, started] = job('noenv/1', ['JOB_CREATED', 'SYNC_STARTED']).map((p) => {
      const { env_id: _env, ...rest } = p;
      return rest;
    });
    await store.store('jobs', stored(created ?? {}));
    const deps = depsOf({ store, queue });
    expect((await reconcile(deps, options())).results.map((r) => r.outcome)).toEqual(['skipped']);
    expect((await reconcile(deps, options())).results).toEqual([]);
    await store.store('jobs', stored(started ?? {}));
    expect((await reconcile(deps, options())).results.map((r) => r.outcome)).toEqual(['skipped']);
  });

  it('polls but queues nothing on a dry run, and takes the oldest first up to the limit', async () => {
    const { store, queue, queued } = pipeline();
    for (const [root, hour] of [
      ['dry/a', 9],
      ['dry/b', 7],
      ['dry/c', 8],
    ] as const) {
      const start = new Date(`2026-11-01T0${hour}:00:00Z`);
      await store.store('jobs', stored(job(root, ['JOB_CREATED'], start)[0] ?? {}));
      fake.answer(root, { status: 200, body: answerFor(root, 'JOB_FAILED') });
    }
    const report = await reconcile(
      depsOf({ store, queue }, undefined, false),
      options({ dryRun: true, limit: 2 }),
    );
    expect(report.stale).toBe(3);
    expect(report.results.map((r) => [r.s3_root, r.outcome, r.after])).toEqual([
      ['dry/b', 'updated', 'JOB_FAILED'],
      ['dry/c', 'updated', 'JOB_FAILED'],
    ]);
    expect(report.results[0]?.detail).toMatch(/dry run/);
    expect(queued).toEqual([]);
  });

  it('names an answer about another job by its text, cut, or its type, never its whole value', async () => {
    const { store, queue } = pipeline();
    for (const root of ['other/long', 'other/array'])
      await store.store('jobs', stored(job(root, ['JOB_CREATED'])[0] ?? {}));
    const answer = (root: string, s3Root: unknown) => ({
      status: 200 as const,
      body: { ...answerFor(root, 'JOB_COMPLETED'), s3_root: s3Root },
    });
    fake.answer('other/long', answer('other/long', 'x'.repeat(5_000)));
    fake.answer('other/array', answer('other/array', [[1], [2]]));
    const report = await reconcile(depsOf({ store, queue }, undefined, false), options());
    const detail = Object.fromEntries(report.results.map((r) => [r.s3_root, r.detail]));
    expect(detail).toEqual({
      'other/long': `the answer is about another job ("${'x'.repeat(200)}…" (5000 characters))`,
      'other/array': 'the answer is about another job (an array)',
    });
  });

  it('stops the run with a clear error when the key is refused for every job polled', async () => {
    const { store, queue, queued } = pipeline();
    const roots = ['key/a', 'key/b', 'key/c'];
    for (const root of roots)
      await store.store('jobs', stored(job(root, ['JOB_CREATED'])[0] ?? {}));
    const before = fake.requests.length;
    const run = reconcile(
      {
        jobs: store,
        polls: store,
        api: hotglueJobStatusApi({ baseUrl: fake.url, apiKey: 'wrong' }),
        queue,
        now: () => NOW,
      },
      options({ concurrency: 1 }),
    );
    await expect(run).rejects.toThrow(ApiKeyRejectedError);
    await expect(run).rejects.toThrow(/HTTP 401\) for every job polled \(3\).*HOTGLUE_API_KEY/);
    expect(fake.requests.slice(before).map((r) => r.jobRoot)).toEqual(roots);
    expect(queued).toEqual([]);
    // Each is backed off all the same: a lone job of another environment fails a run now and
    // then, not every run.
    for (const root of roots)
      expect((await store.getJob(root))?.reconcile).toMatchObject({
        outcome: 'refused',
        http_status: 401,
      });
  });

  it('backs off a job answered 403 and goes on: the other stale jobs are polled, and the known one completed', async () => {
    const { store, queue, drain } = pipeline();
    for (const root of ['one/foreign', 'one/known', 'one/missing'])
      await store.store('jobs', stored(job(root, ['JOB_CREATED', 'SYNC_STARTED'])[1] ?? {}));
    fake.answer('one/foreign', { status: 403 });
    fake.answer('one/known', { status: 200, body: answerFor('one/known', 'JOB_COMPLETED') });
    fake.answer('one/missing', { status: 404 });
    let now = NOW;
    const deps = depsOf({ store, queue }, () => now);
    const report = await reconcile(deps, options({ concurrency: 1 }));
    expect(report.results.map((r) => [r.s3_root, r.outcome])).toEqual([
      ['one/foreign', 'refused'],
      ['one/known', 'updated'],
      ['one/missing', 'not_found'],
    ]);
    expect(report.results[0]?.detail).toMatch(/HTTP 403/);
    await drain();
    expect((await store.getJob('one/known'))?.status).toBe('JOB_COMPLETED');
    // The refusal is kept on the job, with its back-off.
    expect((await store.getJob('one/foreign'))?.reconcile).toEqual({
      outcome: 'refused',
      misses: 1,
      first_miss_at: NOW.toISOString(),
      next_at: new Date(NOW.getTime() + 15 * 60_000).toISOString(),
      http_status: 403,
    });
    // A minute later it is not asked again; fifteen minutes later it is, with the rest.
    const before = fake.requests.length;
    now = new Date(NOW.getTime() + 60_000);
    expect((await reconcile(deps, options())).results).toEqual([]);
    now = new Date(NOW.getTime() + 15 * 60_000);
    expect((await reconcile(deps, options())).results.map((r) => r.outcome).sort()).toEqual([
      'not_found',
      'refused',
    ]);
    expect(
      fake.requests
        .slice(before)
        .map((r) => r.jobRoot)
        .sort(),
    ).toEqual(['one/foreign', 'one/missing']);
    expect((await store.getJob('one/foreign'))?.reconcile).toMatchObject({
      misses: 2,
      first_miss_at: NOW.toISOString(),
    });
  });

  it('marks a job refused for a week lost: a lone job of another environment stops failing runs', async () => {
    const { store, queue } = pipeline();
    await store.store('jobs', stored(job('alone/foreign', ['JOB_CREATED'])[0] ?? {}));
    fake.answer('alone/foreign', { status: 403 });
    let now = NOW;
    const deps = depsOf({ store, queue }, () => now);
    // The only job due, refused: each run at its back-off fails, refused by all.
    await expect(reconcile(deps, options())).rejects.toThrow(/for every job polled \(1\)/);
    now = new Date(NOW.getTime() + 8 * 24 * HOUR);
    await expect(reconcile(deps, options())).rejects.toThrow(/for every job polled \(1\)/);
    expect((await store.getJob('alone/foreign'))?.reconcile).toMatchObject({
      outcome: 'refused',
      http_status: 403,
      first_miss_at: NOW.toISOString(),
      lost_at: now.toISOString(),
    });
    const lost = await take(store.listJobs({ status: 'lost' }), 100);
    expect(lost.map((j) => j.s3_root)).toContain('alone/foreign');
    // Lost, it is polled no more, and fails no run.
    now = new Date(NOW.getTime() + 30 * 24 * HOUR);
    const before = fake.requests.length;
    expect(await reconcile(deps, options())).toMatchObject({ stale: 0, due: 0, results: [] });
    expect(fake.requests.length).toBe(before);
  });

  it('stops at the first refusal for a job hotglue answered before: the key changed', async () => {
    const { store, queue } = pipeline();
    for (const root of ['once/a', 'once/b'])
      await store.store('jobs', stored(job(root, ['JOB_CREATED', 'SYNC_STARTED'])[1] ?? {}));
    for (const root of ['once/a', 'once/b'])
      fake.answer(root, { status: 200, body: answerFor(root, 'SYNC_STARTED') });
    let key = KEY;
    const deps = () => ({
      jobs: store,
      polls: store,
      api: hotglueJobStatusApi({ baseUrl: fake.url, apiKey: key }),
      queue,
      now: () => NOW,
    });
    expect((await reconcile(deps(), options())).results.map((r) => r.outcome)).toEqual([
      'unchanged',
      'unchanged',
    ]);
    expect((await store.getJob('once/a'))?.reconcile).toEqual({
      outcome: 'answered',
      misses: 0,
      answered_at: NOW.toISOString(),
    });
    key = 'revoked';
    const before = fake.requests.length;
    const run = reconcile(deps(), options({ concurrency: 1 }));
    await expect(run).rejects.toThrow(
      /HTTP 401\) for a job it answered on 2026-11-01T15:00:00.000Z/,
    );
    expect(fake.requests.slice(before)).toHaveLength(1);
    // The job that stopped the run is backed off, and the other is left as it was.
    expect((await store.getJob('once/a'))?.reconcile).toEqual({
      outcome: 'refused',
      misses: 1,
      first_miss_at: NOW.toISOString(),
      next_at: new Date(NOW.getTime() + 15 * 60_000).toISOString(),
      http_status: 401,
    });
    expect((await store.getJob('once/b'))?.reconcile?.outcome).toBe('answered');
    // The key is really bad: the next run stops at the next job answered before.
    await expect(reconcile(deps(), options({ concurrency: 1 }))).rejects.toThrow(
      /HTTP 401\) for a job it answered on/,
    );
    expect(fake.requests.slice(before).map((r) => r.jobRoot)).toEqual(['once/a', 'once/b']);
    expect((await store.getJob('once/b'))?.reconcile?.outcome).toBe('refused');
  });

  it('backs off the answered job whose refusal stops a run: the next run polls and completes the others', async () => {
    const { store, queue, drain } = pipeline();
    // The oldest job goes first: A is polled before the healthy ones on every run.
    const start = new Date('2026-11-01T09:00:00Z');
    for (const event of job('lostenv/a', ['JOB_CREATED', 'SYNC_STARTED'], start))
      await store.store('jobs', stored(event));
    for (const root of ['lostenv/b', 'lostenv/c'])
      for (const event of job(root, ['JOB_CREATED', 'SYNC_STARTED']))
        await store.store('jobs', stored(event));
    // hotglue answers A once, then refuses the key for it (the key lost A's environment).
    fake.answer(
      'lostenv/a',
      { status: 200, body: answerFor('lostenv/a', 'SYNC_STARTED') },
      { status: 403 },
    );
    for (const root of ['lostenv/b', 'lostenv/c'])
      fake.answer(root, { status: 200, body: answerFor(root, 'SYNC_STARTED') });
    let now = NOW;
    const deps = depsOf({ store, queue }, () => now);
    await reconcile(deps, options({ concurrency: 1 }));
    expect((await store.getJob('lostenv/a'))?.reconcile?.outcome).toBe('answered');
    for (const root of ['lostenv/b', 'lostenv/c'])
      fake.answer(root, { status: 200, body: answerFor(root, 'JOB_COMPLETED') });

    // Run 1 stops at A, as before, and keeps A's refusal with its back-off.
    now = new Date(NOW.getTime() + 60_000);
    await expect(reconcile(deps, options({ concurrency: 1 }))).rejects.toThrow(
      /HTTP 403\) for a job it answered on/,
    );
    expect((await store.getJob('lostenv/a'))?.reconcile).toMatchObject({
      outcome: 'refused',
      http_status: 403,
      next_at: new Date(now.getTime() + 15 * 60_000).toISOString(),
    });

    // Run 2 leaves A alone, and completes the others.
    now = new Date(NOW.getTime() + 2 * 60_000);
    const before = fake.requests.length;
    const report = await reconcile(deps, options({ concurrency: 1 }));
    expect(report.results.map((r) => [r.s3_root, r.outcome])).toEqual([
      ['lostenv/b', 'updated'],
      ['lostenv/c', 'updated'],
    ]);
    expect(fake.requests.slice(before).map((r) => r.jobRoot)).toEqual(['lostenv/b', 'lostenv/c']);
    await drain();
    for (const root of ['lostenv/b', 'lostenv/c'])
      expect((await store.getJob(root))?.status).toBe('JOB_COMPLETED');

    // Past its back-off, A is a refused job like another environment's: the only job due, it is
    // refused by all, and backed off further.
    now = new Date(NOW.getTime() + 20 * 60_000);
    await expect(reconcile(deps, options({ concurrency: 1 }))).rejects.toThrow(
      /for every job polled \(1\)/,
    );
    expect((await store.getJob('lostenv/a'))?.reconcile).toMatchObject({
      outcome: 'refused',
      misses: 2,
      next_at: new Date(now.getTime() + 60 * 60_000).toISOString(),
    });
  });

  it('never polls a job whose env_id, flow_id or tenant is empty, "." or "..", and says why', async () => {
    const { store, queue } = pipeline();
    const odd = [
      ['dots/env', { env_id: '..' }],
      ['dots/flow', { flow_id: '.' }],
      ['dots/tenant', { tenant: '..' }],
    ] as const;
    for (const [root, over] of odd)
      await store.store('jobs', stored({ ...job(root, ['JOB_CREATED'])[0], ...over }));
    await store.store('jobs', stored(job('dots/plain', ['JOB_CREATED'])[0] ?? {}));
    fake.answer('dots/plain', { status: 404 });
    const before = fake.requests.length;
    const report = await reconcile(depsOf({ store, queue }), options());
    const byRoot = Object.fromEntries(report.results.map((r) => [r.s3_root, r]));
    expect(byRoot['dots/env']).toMatchObject({
      outcome: 'skipped',
      detail: 'the job\'s env_id is "..", which cannot be a segment of the job-status URL',
    });
    expect(byRoot['dots/flow']?.detail).toMatch(/flow_id is "\."/);
    expect(byRoot['dots/tenant']?.detail).toMatch(/tenant is "\.\."/);
    expect((await store.getJob('dots/env'))?.reconcile?.outcome).toBe('skipped');
    // Only the plain job was asked about, at the documented shape.
    const polls = fake.requests.slice(before);
    expect(polls.map((r) => r.jobRoot)).toEqual(['dots/plain']);
    expect(polls[0]?.segments.slice(3)).toEqual(['jobs', 'status']);
    expect(polls[0]?.segments).toHaveLength(5);
    // The client refuses such a job too, should a caller skip the check.
    const api = hotglueJobStatusApi({ baseUrl: fake.url, apiKey: KEY });
    const ref = { env_id: '..', flow_id: 'f', tenant: 't', s3_root: 'dots/env' };
    expect(await api.status(ref)).toMatchObject({ kind: 'error', detail: /env_id is "\.\."/ });
    expect(fake.requests.slice(before)).toHaveLength(1);
  });

  it('polls a job answered with a redirect as a failure of that job, and the key never reaches its target', async () => {
    const target = await startKeyRecorder();
    try {
      const { store, queue } = pipeline();
      for (const root of ['moved/a', 'moved/b'])
        await store.store('jobs', stored(job(root, ['JOB_CREATED'])[0] ?? {}));
      for (const status of [301, 302, 307, 308]) {
        fake.answer('moved/a', { status, headers: { location: `${target.url}/steal` } });
        fake.answer('moved/b', { status: 200, body: answerFor('moved/b', 'JOB_CREATED') });
        const before = fake.requests.length;
        const report = await reconcile(depsOf({ store, queue }, undefined, false), options());
        expect(report.results.map((r) => [r.s3_root, r.outcome]).sort()).toEqual([
          ['moved/a', 'error'],
          ['moved/b', 'unchanged'],
        ]);
        expect(report.results.find((r) => r.s3_root === 'moved/a')?.detail).toMatch(/redirect/);
        expect(
          fake.requests
            .slice(before)
            .map((r) => r.jobRoot)
            .sort(),
        ).toEqual(['moved/a', 'moved/b']);
      }
      expect(target.requests).toEqual([]);
      // The recorder does record what reaches it.
      await fetch(`${target.url}/probe`, { headers: { 'x-api-key': 'probe' } });
      expect(target.requests).toEqual([{ path: '/probe', apiKey: 'probe' }]);
    } finally {
      await target.close();
    }
  });

  it('does not wait out a Retry-After that ends past the run’s deadline', async () => {
    const { store, queue } = pipeline();
    await store.store('jobs', stored(job('late/a', ['JOB_CREATED'])[0] ?? {}));
    fake.answer('late/a', { status: 429, headers: { 'retry-after': '30' } });
    const waits: number[] = [];
    const report = await reconcile(
      {
        jobs: store,
        api: hotglueJobStatusApi({ baseUrl: fake.url, apiKey: KEY }),
        queue,
        now: () => NOW,
        sleep: async (ms) => void waits.push(ms),
      },
      options({ deadline: NOW.getTime() + 10_000 }),
    );
    expect(waits).toEqual([]);
    expect(report.results).toMatchObject([{ s3_root: 'late/a', outcome: 'error' }]);
  });

  it('reads at most the answer’s size cap, declared or streamed', async () => {
    const ref = { env_id: 'e', flow_id: 'f', tenant: 't', s3_root: 'cap/a' };
    const body = JSON.stringify({
      s3_root: 'cap/a',
      status: 'JOB_COMPLETED',
      pad: 'x'.repeat(200),
    });
    const declared = hotglueJobStatusApi({ baseUrl: fake.url, apiKey: KEY, maxAnswerBytes: 100 });
    fake.answer('cap/a', { status: 200, raw: body });
    expect(await declared.status(ref)).toEqual({
      kind: 'error',
      detail: 'the answer is larger than 100 bytes',
    });
    // No Content-Length: the stream is read up to the cap, and no further.
    let pulled = 0;
    const endless = () =>
      new Response(
        new ReadableStream({
          pull(controller) {
            pulled += 1;
            controller.enqueue(new TextEncoder().encode(`"${'y'.repeat(62)}",`));
          },
        }),
        { status: 200 },
      );
    const streamed = hotglueJobStatusApi({
      baseUrl: 'https://api.example.com',
      apiKey: KEY,
      maxAnswerBytes: 1000,
      fetch: async () => endless(),
    });
    expect(await streamed.status(ref)).toMatchObject({ kind: 'error', detail: /larger than 1000/ });
    expect(pulled).toBeLessThan(20);
    // Under the cap, the answer is read whole.
    const small = hotglueJobStatusApi({ baseUrl: fake.url, apiKey: KEY, maxAnswerBytes: 1000 });
    expect(await small.status(ref)).toMatchObject({ kind: 'found', payload: { s3_root: 'cap/a' } });
  });

  it('sends the key only over https, or plain http to a loopback host', async () => {
    for (const url of [
      'https://api.hotglue.com',
      'https://api.hotglue.com/v2/',
      'http://127.0.0.1:4000',
      'http://127.1.2.3',
      'http://localhost:9',
      'http://[::1]:9',
    ])
      expect([url, keySafeApiUrl(url)]).toEqual([url, true]);
    for (const url of [
      'http://api.hotglue.com',
      'http://10.0.0.1',
      'http://127.0.0.1.example.com',
      'http://localhost.example.com',
      'ftp://127.0.0.1',
      'not a url',
    ])
      expect([url, keySafeApiUrl(url)]).toEqual([url, false]);
    let called = false;
    expect(() =>
      hotglueJobStatusApi({
        baseUrl: 'http://api.hotglue.com',
        apiKey: KEY,
        fetch: async () => {
          called = true;
          return new Response('{}');
        },
      }),
    ).toThrow(/HOTGLUE_API_URL must be an https URL/);
    expect(called).toBe(false);
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = Date.parse('2026-11-01T15:00:00Z');
    expect(retryAfterSeconds('7', now)).toBe(7);
    expect(retryAfterSeconds('Sun, 01 Nov 2026 15:00:30 GMT', now)).toBe(30);
    expect(retryAfterSeconds(null, now)).toBe(5);
  });
});

describe('a scheduled run (the deployed function and the npm start loop)', () => {
  /** Two stale jobs, one fresh; hotglue knows the first stale one as finished. */
  async function seeded(prefix: string) {
    const p = pipeline();
    for (const p2 of [
      ...job(`${prefix}/a`, ['JOB_CREATED', 'SYNC_STARTED']),
      ...job(`${prefix}/b`, ['JOB_CREATED']),
      ...job(`${prefix}/fresh`, ['JOB_CREATED'], new Date('2026-11-01T14:30:00Z')),
    ])
      await p.store.store('jobs', stored(p2));
    fake.answer(`${prefix}/a`, { status: 200, body: answerFor(`${prefix}/a`, 'JOB_COMPLETED') });
    fake.answer(`${prefix}/b`, { status: 404 });
    return p;
  }
  const depsOf = (p: ReturnType<typeof pipeline>, key: string | undefined) => {
    const log = recordingLog();
    const counters = recordingCounters();
    const notifier = recordingNotifier();
    return {
      log,
      counters,
      notifier,
      deps: {
        jobs: p.store,
        store: p.store,
        notifier,
        apiKey: async () => key,
        api: (apiKey: string) => hotglueJobStatusApi({ baseUrl: fake.url, apiKey }),
        queue: p.queue,
        log,
        counters,
        now: () => NOW,
      },
    };
  };
  const polled = (prefix: string) =>
    fake.requests.filter((r) => r.jobRoot?.startsWith(`${prefix}/`)).length;

  it('with no API key, publishes StaleJobs, says once that it is not configured, and polls nothing', async () => {
    const p = await seeded('nokey');
    const { deps, log, counters } = depsOf(p, undefined);
    const summary = await scheduledReconcile(deps, { afterMs: 2 * HOUR });
    expect(summary).toMatchObject({ staleJobs: 2, configured: false, polled: 0 });
    expect(counters.counted.filter((c) => c.name === 'StaleJobs')).toEqual([
      { name: 'StaleJobs', dimensions: {}, value: 2 },
    ]);
    expect(log.lines.map((l) => l.message).filter((m) => m !== 'notification sent')).toEqual([
      expect.stringMatching(/reconciliation is not configured/),
    ]);
    expect(polled('nokey')).toBe(0);
    expect(p.queued).toEqual([]);
  });

  it('with a key, polls the stale jobs and counts each outcome', async () => {
    const p = await seeded('keyed');
    const { deps, log, counters } = depsOf(p, KEY);
    const summary = await scheduledReconcile(deps, { afterMs: 2 * HOUR });
    expect(summary).toMatchObject({
      staleJobs: 2,
      configured: true,
      polled: 2,
      deferred: 0,
      outcomes: { updated: 1, not_found: 1 },
    });
    expect(counters.counted).toEqual(
      expect.arrayContaining([
        { name: 'StaleJobs', dimensions: {}, value: 2 },
        { name: 'reconciled', dimensions: { outcome: 'updated' }, value: 1 },
        { name: 'reconciled', dimensions: { outcome: 'not_found' }, value: 1 },
      ]),
    );
    expect(log.lines.filter((l) => l.message === 'reconciled job')).toHaveLength(2);
    expect(p.queued).toHaveLength(1);
    await p.drain();
    expect((await p.store.getJob('keyed/a'))?.status).toBe('JOB_COMPLETED');
    // The next run counts only the job hotglue did not know.
    const next = depsOf(p, KEY);
    expect(await scheduledReconcile(next.deps, { afterMs: 2 * HOUR })).toMatchObject({
      staleJobs: 1,
    });
  });

  it('with a refused key, still publishes StaleJobs, logs the error and fails the run', async () => {
    const p = await seeded('refused');
    const { deps, log, counters } = depsOf(p, 'wrong');
    await expect(scheduledReconcile(deps, { afterMs: 2 * HOUR })).rejects.toThrow(
      ApiKeyRejectedError,
    );
    expect(counters.counted.filter((c) => c.name === 'StaleJobs')).toEqual([
      { name: 'StaleJobs', dimensions: {}, value: 2 },
    ]);
    expect(log.lines.filter((l) => l.level === 'error')).toMatchObject([
      { message: 'reconcile run stopped' },
    ]);
    expect(p.queued).toEqual([]);
  });

  it('sends Job Stale once per stale job and episode, with no key too, and a failed publish stops nothing', async () => {
    const p = await seeded('stale');
    const first = depsOf(p, undefined);
    expect(await scheduledReconcile(first.deps, { afterMs: 2 * HOUR })).toMatchObject({
      staleJobs: 2,
      staleNotices: 2,
    });
    expect(
      first.notifier.published.map((n) => [n['detail-type'], n.detail.s3_root]).sort(),
    ).toEqual([
      ['Job Stale', 'stale/a'],
      ['Job Stale', 'stale/b'],
    ]);
    expect(first.notifier.published[0]?.detail).toMatchObject({
      stale_after: '2h',
      change: 'job.stale',
    });
    // The next run finds the same episodes: nothing new.
    const second = depsOf(p, undefined);
    expect(await scheduledReconcile(second.deps, { afterMs: 2 * HOUR })).toMatchObject({
      staleJobs: 2,
      staleNotices: 0,
    });
    expect(second.notifier.published).toEqual([]);

    // A receiver that is down: the run goes on, and the notice stays recorded for a later run.
    const q = await seeded('stale-down');
    const down = depsOf(q, KEY);
    down.notifier.failing = true;
    const summary = await scheduledReconcile(down.deps, { afterMs: 2 * HOUR });
    expect(summary).toMatchObject({ staleNotices: 0, polled: 2 });
    expect(down.log.lines.filter((l) => l.message === 'stale job notice not sent')).toHaveLength(2);
    expect(
      (await q.store.unsent('jobs', jobKey('stale-down/b'))).map(
        (u) => u.notification['detail-type'],
      ),
    ).toEqual(['Job Stale']);
  });

  it('skips a job whose answer has a shape ingest refuses, logs and counts it, and completes the others', async () => {
    const p = pipeline();
    for (const root of ['shape/wide', 'shape/proto', 'shape/deep', 'shape/ok'])
      for (const event of job(root, ['JOB_CREATED', 'SYNC_STARTED']))
        await p.store.store('jobs', stored(event));
    const done = (root: string) => answerFor(root, 'JOB_COMPLETED');
    const extra = Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`extra_${i}`, i]));
    fake.answer('shape/wide', { status: 200, body: { ...done('shape/wide'), ...extra } });
    const proto = JSON.stringify(done('shape/proto')).replace(/^\{/, '{"__proto__":{"x":1},');
    fake.answer('shape/proto', { status: 200, raw: proto });
    const deep = `${'{"a":'.repeat(5_000)}1${'}'.repeat(5_000)}`;
    const nested = JSON.stringify(done('shape/deep')).replace(/^\{/, `{"detail":${deep},`);
    fake.answer('shape/deep', { status: 200, raw: nested });
    fake.answer('shape/ok', { status: 200, body: done('shape/ok') });
    const { deps, log, counters } = depsOf(p, KEY);

    const summary = await scheduledReconcile(deps, { afterMs: 2 * HOUR });

    expect(summary.outcomes).toEqual({ skipped: 3, updated: 1 });
    expect(counters.counted).toEqual(
      expect.arrayContaining([
        { name: 'reconciled', dimensions: { outcome: 'skipped' }, value: 3 },
        { name: 'reconciled', dimensions: { outcome: 'updated' }, value: 1 },
      ]),
    );
    const why = Object.fromEntries(
      log.lines
        .filter((l) => l.fields.outcome === 'skipped')
        .map((l) => [l.fields.s3_root, l.fields.detail]),
    );
    const refused = "hotglue's answer has a shape ingest refuses: body";
    expect(why).toEqual({
      'shape/wide': `${refused} has more than 256 top-level fields`,
      'shape/proto': `${refused} has a key named __proto__`,
      'shape/deep': `${refused} nested deeper than 100 levels`,
    });
    expect(p.queued).toHaveLength(1);
    await p.drain();
    expect((await p.store.getJob('shape/ok'))?.status).toBe('JOB_COMPLETED');
    for (const root of ['shape/wide', 'shape/proto', 'shape/deep'])
      expect([root, (await p.store.getJob(root))?.reconcile?.outcome]).toEqual([root, 'skipped']);
  });

  it('counts a job skipped for its answer as polled: a 403 for the only other job stops no run', async () => {
    const p = pipeline();
    for (const root of ['answered/wide', 'answered/foreign'])
      await p.store.store('jobs', stored(job(root, ['JOB_CREATED'])[0] ?? {}));
    const extra = Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`extra_${i}`, i]));
    const wide = { ...answerFor('answered/wide', 'JOB_COMPLETED'), ...extra };
    fake.answer('answered/wide', { status: 200, body: wide });
    fake.answer('answered/foreign', { status: 403 });
    const { deps } = depsOf(p, KEY);
    const summary = await scheduledReconcile(deps, { afterMs: 2 * HOUR });
    expect(summary.outcomes).toEqual({ skipped: 1, refused: 1 });
  });

  it('fails no run for one job: an answer nested 5,000 deep, or a poll that throws, is that job’s outcome', async () => {
    const p = pipeline();
    for (const root of ['odd/deep-root', 'odd/throws', 'odd/ok'])
      for (const event of job(root, ['JOB_CREATED', 'SYNC_STARTED']))
        await p.store.store('jobs', stored(event));
    // s3_root itself an array 5,000 deep: String() of it overflows the stack.
    const deep = `{"s3_root":${'['.repeat(5_000)}${']'.repeat(5_000)}}`;
    fake.answer('odd/deep-root', { status: 200, raw: deep });
    fake.answer('odd/ok', { status: 200, body: answerFor('odd/ok', 'JOB_COMPLETED') });
    const { deps, log, counters } = depsOf(p, KEY);
    const api = (apiKey: string) => {
      const real = hotglueJobStatusApi({ baseUrl: fake.url, apiKey });
      return {
        status: (ref: Parameters<typeof real.status>[0], until?: number) => {
          if (ref.s3_root === 'odd/throws') throw new TypeError('boom');
          return real.status(ref, until);
        },
      };
    };

    const summary = await scheduledReconcile({ ...deps, api }, { afterMs: 2 * HOUR });

    expect(summary.outcomes).toEqual({ skipped: 1, error: 1, updated: 1 });
    expect(counters.counted).toEqual(
      expect.arrayContaining([
        { name: 'reconciled', dimensions: { outcome: 'error' }, value: 1 },
        { name: 'reconciled', dimensions: { outcome: 'skipped' }, value: 1 },
      ]),
    );
    const why = Object.fromEntries(
      log.lines
        .filter((l) => l.message === 'reconciled job')
        .map((l) => [l.fields.s3_root, l.fields.detail]),
    );
    expect(why['odd/deep-root']).toBe(
      "hotglue's answer has a shape ingest refuses: body nested deeper than 100 levels",
    );
    expect(why['odd/throws']).toBe('the poll failed: TypeError: boom');
    await p.drain();
    expect((await p.store.getJob('odd/ok'))?.status).toBe('JOB_COMPLETED');
  });

  it('starts no poll after its deadline and reports the jobs left for the next run', async () => {
    const p = await seeded('deadline');
    const { deps } = depsOf(p, KEY);
    const summary = await scheduledReconcile(deps, {
      afterMs: 2 * HOUR,
      deadline: NOW.getTime() - 1,
    });
    expect(summary).toMatchObject({ staleJobs: 2, polled: 0, deferred: 2 });
    expect(polled('deadline')).toBe(0);
  });
});
