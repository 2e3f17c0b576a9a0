import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { logger } from '../../lib/aws/logger';
import { answerApi, type DashboardDeps } from '../../lib/dashboard/api';
import { startDashboard } from '../../lib/dashboard/server';
import { latestNotifications } from '../../lib/local/notifications-file';
import { take } from '../../lib/records/views';
import { payloadOf } from '../support/events';
import { FAILURE, jobLifecycle, stored, SUCCESS } from '../support/lifecycle';
import { memoryStore } from '../support/memory-store';

const NOW = new Date('2026-11-01T12:00:00.000Z');

async function seeded() {
  const store = memoryStore();
  for (const p of jobLifecycle(FAILURE, { s3Root: 'a/failed', tenant: 'a' }))
    await store.store('jobs', stored(p));
  for (const p of jobLifecycle(SUCCESS, { s3Root: 'a/done', tenant: 'a' }))
    await store.store('jobs', stored(p));
  for (const p of jobLifecycle(['JOB_CREATED'], { s3Root: 'b/running', tenant: 'b' }))
    await store.store('jobs', stored(p));
  await store.store('connections', stored(payloadOf('connections', { tenant: 'a' })));
  await store.store(
    'discover',
    stored(payloadOf('discover', { tenant: 'a', status: 'DISCOVER_FAILED' })),
  );
  const deps: DashboardDeps = {
    records: store,
    queues: async () => [
      {
        kind: 'jobs',
        queue: { name: 'q', messages: 2 },
        deadLetter: { name: 'q-dlq', messages: 1 },
        redrive: 'npx hotglue-webhooks dlq redrive --kind jobs',
      },
    ],
    now: () => NOW,
  };
  return { store, deps };
}

/** A GET of `target` exactly as written (fetch would take `//host/` for another host). */
function rawGet(
  base: string,
  target: string,
): Promise<{ status: number; type: string; body: string }> {
  const { host, port } = new URL(base);
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path: target, headers: { host } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }),
      );
    })
      .on('error', reject)
      .end();
  });
}

const get = (deps: DashboardDeps, path: string) => {
  const url = new URL(path, 'http://x');
  return answerApi(deps, 'GET', url.pathname, url.searchParams);
};

describe('the dashboard API', () => {
  it('answers the same JSON as the CLI’s --json, filtered as asked', async () => {
    const { store, deps } = await seeded();
    const all = await get(deps, '/api/jobs');
    expect(all).toEqual({ status: 200, body: await take(store.listJobs({}), 50) });
    const failedOfA = await get(deps, '/api/jobs?tenant=a&status=failed');
    expect((failedOfA.body as { s3_root: string }[]).map((j) => j.s3_root)).toEqual(['a/failed']);
    // Empty values, as an empty form field sends them, are no filter.
    expect((await get(deps, '/api/jobs?tenant=&flow=')).body).toEqual(all.body);
    const job = await get(deps, `/api/jobs/${encodeURIComponent('a/failed')}`);
    expect(job).toEqual({ status: 200, body: await store.getJob('a/failed') });
    expect((await get(deps, '/api/discover?tenant=a&status=failed')).body).toEqual(
      await take(store.listDiscover({ tenant: 'a', status: 'failed' }), 100),
    );
    expect((await get(deps, '/api/connections?linked=true')).body).toEqual(
      await take(store.listConnections({ linked: true }), 100),
    );
    expect((await get(deps, '/api/queues')).body).toEqual(await deps.queues());
  });

  it('lists connections without their histories, and pages one connection’s on request', async () => {
    const { store, deps } = await seeded();
    const [row] = (await get(deps, '/api/connections?tenant=a')).body as Record<string, string>[];
    expect(row).toBeDefined();
    expect(row).not.toHaveProperty('history');
    const key = new URLSearchParams({
      env: String(row?.env_id),
      tenant: String(row?.tenant),
      flow: String(row?.flow_id),
      type: String(row?.connector_type),
      connector: String(row?.connector),
    });
    const history = await get(deps, `/api/connections/history?${key}&limit=5`);
    expect(history).toEqual({
      status: 200,
      body: await store.connectionHistory(
        {
          env_id: String(row?.env_id),
          tenant: 'a',
          flow_id: String(row?.flow_id),
          connector_type: String(row?.connector_type),
          connector: String(row?.connector),
        },
        { limit: 5 },
      ),
    });
    expect((history.body as { items: unknown[] }).items).toHaveLength(1);
    key.set('connector', 'no-such');
    expect((await get(deps, `/api/connections/history?${key}`)).status).toBe(404);
  });

  it('counts what each list’s filters select, with the list’s parameters but limit and cursor', async () => {
    const { store, deps } = await seeded();
    const counted = async (path: string) => (await get(deps, path)).body;
    expect(await counted('/api/count/jobs')).toEqual({ count: 3, exact: true });
    expect(await counted('/api/count/jobs?tenant=a')).toEqual({ count: 2, exact: true });
    expect(await counted('/api/count/jobs?tenant=a&status=failed')).toEqual({
      count: 1,
      exact: true,
    });
    // The list's own filters: a duration counts back from the clock, as the list does.
    expect(await counted('/api/count/jobs?since=1h')).toEqual({ count: 0, exact: true });
    expect(await counted('/api/count/discover?tenant=a&status=failed')).toEqual({
      count: (await take(store.listDiscover({ tenant: 'a', status: 'failed' }), 100)).length,
      exact: true,
    });
    expect(await counted('/api/count/connections?tenant=b')).toEqual({ count: 0, exact: true });
    expect(await counted('/api/count/connections?linked=true')).toEqual({
      count: (await take(store.listConnections({ linked: true }), 100)).length,
      exact: true,
    });
    for (const [path, status, reason] of [
      ['/api/count/jobs?limit=5', 400, /unknown parameter "limit"/],
      ['/api/count/jobs?cursor=x', 400, /unknown parameter "cursor"/],
      ['/api/count/jobs?since=2026-11-02T00:00:00Z&until=2026-11-01T00:00:00Z', 400, /since/],
      ['/api/count/connections?linked=maybe', 400, /linked must be true or false/],
      ['/api/count/queues', 404, /no API at/],
    ] as const) {
      const answer = await get(deps, path);
      expect({ path, status: answer.status }).toEqual({ path, status });
      expect((answer.body as { error: string }).error).toMatch(reason);
    }
  });

  it('sums the jobs of the last 24 hours per status class, and failures per tenant', async () => {
    const { deps } = await seeded();
    // The lifecycles' events are on 2026-11-01 from 10:00: within a day of NOW.
    const { body } = await get(deps, '/api/summary');
    expect(body).toMatchObject({
      jobs: 3,
      byClass: { failed: 1, completed: 1, running: 1, other: 0 },
      failuresByTenant: [{ tenant: 'a', failed: 1 }],
    });
    expect((await get(deps, '/api/summary?since=1h')).body).toMatchObject({ jobs: 0 });
  });

  it.each([
    ['/api/jobs?limit=0', 400, /limit must be a whole number/],
    ['/api/jobs?limit=5000', 400, /limit must be a whole number/],
    ['/api/jobs?since=yesterday', 400, /since must be an ISO time or a duration/],
    ['/api/jobs?colour=red', 400, /unknown parameter "colour"/],
    ['/api/connections?linked=maybe', 400, /linked must be true or false/],
    ['/api/jobs/%E0%A4%A', 400, /not a valid URL-encoded/],
    ['/api/jobs/no-such-job', 404, /no job no-such-job/],
    ['/api/nothing-here', 404, /no API at \/api\/nothing-here/],
    ['/api/connections/history?tenant=a', 400, /name the connection: env, flow, type, connector/],
    [
      '/api/connections/history?env=e&tenant=a&flow=f&type=t&connector=c&before=forged',
      400,
      /cursor/,
    ],
  ])('answers %s with %i and a reason', async (path, status, reason) => {
    const { deps } = await seeded();
    const answer = await get(deps, path);
    expect(answer.status).toBe(status);
    expect((answer.body as { error: string }).error).toMatch(reason);
  });

  it('shows the local stack’s notifications newest first, and says where a stage’s go', async () => {
    const { deps } = await seeded();
    const dir = await mkdtemp(join(tmpdir(), 'hgw-notes-'));
    try {
      const file = join(dir, 'notifications.ndjson');
      await writeFile(
        file,
        `${JSON.stringify({ id: 'a' })}\n${JSON.stringify({ id: 'b' })}\n{"id":`,
      );
      const local = { ...deps, notifications: (n: number) => latestNotifications(file, n) };
      expect((await get(local, '/api/notifications')).body).toEqual([{ id: 'b' }, { id: 'a' }]);
      expect((await get(local, '/api/notifications?limit=1')).body).toEqual([{ id: 'b' }]);
      expect(await latestNotifications(join(dir, 'none.ndjson'), 5)).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    const stage = await get({ ...deps, stage: 'prod' }, '/api/notifications');
    expect(stage.status).toBe(404);
    expect((stage.body as { error: string }).error).toMatch(/bus hotglue-webhooks-prod/);
  });

  it('answers a backend’s failure with a generic 500 naming a request id, and logs the reason with it', async () => {
    const { store, deps } = await seeded();
    const reason = 'Invalid KeyConditionExpression: The BETWEEN operator requires upper bound';
    const fail = () => {
      throw new Error(reason);
    };
    const failing: DashboardDeps = {
      ...deps,
      records: { ...store, listJobs: fail, pageJobs: async () => fail() },
    };
    const logged = jest.spyOn(logger, 'error').mockImplementation(() => undefined);
    const dashboard = await startDashboard(failing, 0);
    try {
      for (const path of ['v1/jobs', 'api/jobs']) {
        const response = await fetch(new URL(path, dashboard.url));
        const body = (await response.json()) as { error: string };
        expect(response.status).toBe(500);
        expect(body.error).not.toContain('KeyCondition');
        const id = /request ([0-9a-f-]{36})/.exec(body.error)?.[1];
        expect(logged).toHaveBeenLastCalledWith('dashboard request failed', {
          requestId: id,
          path: `/${path}`,
          error: `Error: ${reason}`,
        });
      }
    } finally {
      await dashboard.close();
      logged.mockRestore();
    }
  });

  it('serves no path that starts with // (a page there would link to another host)', async () => {
    const { deps } = await seeded();
    const dashboard = await startDashboard(deps, 0);
    try {
      // The pages themselves, as a control.
      for (const target of ['/', '/?from=2', '/discover'])
        expect(await rawGet(dashboard.url, target)).toMatchObject({ status: 200 });
      // Each would parse as this host's `/`, `/about` or `/jobs` (its own host `evil.com`, `api`,
      // `v1`), where the browser's path is `//evil.com/` and the like.
      for (const target of [
        '//evil.com/?from=2',
        '//evil.com/',
        '/\\evil.com/',
        '///evil.com/',
        '/.//evil.com/',
        '//api/about',
        '///v1/jobs',
        '//127.0.0.1/discover',
      ])
        expect([target, await rawGet(dashboard.url, target)]).toEqual([
          target,
          {
            status: 404,
            type: 'application/json; charset=utf-8',
            body: JSON.stringify({ error: 'not found' }),
          },
        ]);
    } finally {
      await dashboard.close();
    }
  });

  it('only reads: any other method is 405', async () => {
    const { deps } = await seeded();
    const answer = await answerApi(deps, 'POST', '/api/jobs', new URLSearchParams());
    expect(answer).toEqual({
      status: 405,
      body: { error: 'method not allowed: the dashboard only reads' },
    });
  });
});
