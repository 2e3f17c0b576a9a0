import { answerApi } from '../../lib/dashboard/api';
import { answerReadApi } from '../../lib/read-api/answer';
import type { ReadApiDeps } from '../../lib/read-api/routes';
import { take } from '../../lib/records/views';
import { payloadOf } from '../support/events';
import { FAILURE, jobLifecycle, stored, SUCCESS } from '../support/lifecycle';
import { memoryStore } from '../support/memory-store';
import { openApiChecker } from '../support/openapi-answers';

/** The /v1 read API over the in-memory store: its answers, its errors, and its OpenAPI document. */

const NOW = new Date('2026-11-01T12:00:00.000Z');

async function seeded(): Promise<ReadApiDeps & { store: ReturnType<typeof memoryStore> }> {
  const store = memoryStore();
  for (const [i, statuses] of [FAILURE, SUCCESS, ['JOB_CREATED']].entries())
    for (const p of jobLifecycle(statuses, { s3Root: `p/${i}`, tenant: 'p' }))
      await store.store('jobs', stored(p));
  for (const p of jobLifecycle(SUCCESS, { s3Root: 'q/0', tenant: 'q' }))
    await store.store('jobs', stored(p));
  for (let i = 0; i < 3; i += 1)
    await store.store(
      'connections',
      stored(payloadOf('connections', { tenant: 'c', event_id: `e-${i}`, event: 'LINK' })),
    );
  await store.store('discover', stored(payloadOf('discover', { tenant: 'p' })));
  return { records: store, now: () => NOW, store };
}

const call = (deps: ReadApiDeps, path: string, method = 'GET') => {
  const url = new URL(path, 'http://x');
  return answerReadApi(deps, method, url.pathname, url.searchParams);
};

type List = { items: Record<string, unknown>[]; next: string | null };

describe('the /v1 read API', () => {
  it('pages a tenant’s jobs: limit=2 gives two and a cursor, the cursor the third, then null', async () => {
    const deps = await seeded();
    const first = await call(deps, '/v1/jobs?tenant=p&limit=2');
    const page1 = first.body as List;
    expect(first.status).toBe(200);
    expect(page1.items).toHaveLength(2);
    expect(page1.next).toEqual(expect.any(String));
    const page2 = (await call(deps, `/v1/jobs?tenant=p&limit=2&cursor=${page1.next}`)).body as List;
    expect(page2.items).toHaveLength(1);
    expect(page2.next).toBeNull();
    const all = await take(deps.store.listJobs({ tenant: 'p' }), 50);
    expect([...page1.items, ...page2.items].map((j) => j.s3_root)).toEqual(
      all.map((j) => j.s3_root),
    );
  });

  it('refuses a cursor it did not give, or one given for other filters', async () => {
    const deps = await seeded();
    const { next } = (await call(deps, '/v1/jobs?tenant=p&limit=1')).body as List;
    const forged = Buffer.from(JSON.stringify({ o: 1, f: 'x' })).toString('base64url');
    for (const cursor of ['not-a-cursor', forged, Buffer.from('[]').toString('base64url')]) {
      const answer = await call(deps, `/v1/jobs?tenant=p&cursor=${cursor}`);
      expect(answer).toEqual({ status: 400, body: { error: expect.stringMatching(/^cursor:/) } });
    }
    // p's cursor with q's filter: refused, so it cannot page through another tenant's jobs.
    const other = await call(deps, `/v1/jobs?tenant=q&cursor=${next}`);
    expect(other.status).toBe(400);
    expect(
      (
        await call(
          deps,
          '/v1/connections/history?env=x&tenant=c&flow=f&type=t&connector=n&cursor=zz',
        )
      ).status,
    ).toBe(400);
  });

  it('refuses a forged, truncated, altered, foreign-route or other-filters cursor with one message', async () => {
    const deps = await seeded();
    const { next } = (await call(deps, '/v1/jobs?tenant=p&limit=1')).body as List;
    const cursor = String(next);
    const decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString()) as Record<
      string,
      unknown
    >;
    const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const bad = [
      `/v1/jobs?tenant=p&cursor=${encode({ o: 1, f: 'x' })}`, // 0.4's offset cursor
      `/v1/jobs?tenant=p&cursor=not-a-cursor`,
      `/v1/jobs?tenant=p&cursor=${cursor.slice(0, -4)}`, // truncated
      `/v1/jobs?tenant=p&cursor=${cursor}AAAA`, // lengthened
      `/v1/jobs?tenant=p&cursor=${encode({ ...decoded, p: 'zzz#p/9' })}`, // another position
      `/v1/jobs?tenant=p&cursor=${encode({ ...decoded, t: { since: 0 } })}`, // other times
      `/v1/jobs?tenant=p&cursor=${encode({ ...decoded, r: 'discover' })}`,
      `/v1/jobs?tenant=q&cursor=${cursor}`, // other filters
      `/v1/jobs?tenant=p&status=failed&cursor=${cursor}`,
      `/v1/discover?tenant=p&cursor=${cursor}`, // another route
      `/v1/connections?cursor=${cursor}`,
      `/v1/connections/history?env=x&tenant=c&flow=f&type=t&connector=n&cursor=${cursor}`,
    ];
    const answers = await Promise.all(bad.map((path) => call(deps, path)));
    const refused = {
      status: 400,
      body: {
        error: 'cursor: not a "next" this list gave for these filters; start again without it',
      },
    };
    expect(answers.map((a, i) => [bad[i], a])).toEqual(bad.map((path) => [path, refused]));
    // The same cursor, with its own filters and another limit, goes on.
    expect((await call(deps, `/v1/jobs?tenant=p&limit=5&cursor=${cursor}`)).status).toBe(200);
  });

  it('walks a duration window as its first page read it, however long the walk takes', async () => {
    const deps = await seeded();
    let now = NOW;
    const walking = { ...deps, now: () => now };
    // The seeded jobs started 2026-11-01 from 10:00, two hours before NOW.
    const first = (await call(walking, '/v1/jobs?since=3h&limit=1')).body as List;
    expect(first.items).toHaveLength(1);
    now = new Date(NOW.getTime() + 2 * 3_600_000); // since=3h now starts after the jobs
    const walked = [...first.items];
    for (let next = first.next; next !== null;) {
      const page = (await call(walking, `/v1/jobs?since=3h&limit=1&cursor=${next}`)).body as List;
      walked.push(...page.items);
      next = page.next;
    }
    expect(walked.map((j) => j.s3_root)).toEqual(
      (await take(deps.store.listJobs({ since: new Date(NOW.getTime() - 3 * 3_600_000) }), 50)).map(
        (j) => j.s3_root,
      ),
    );
    expect(((await call(walking, '/v1/jobs?since=3h')).body as List).items).toEqual([]);
  });

  it.each([
    [
      'since after until',
      'since=2026-11-02T00:00:00Z&until=2026-11-01T00:00:00Z',
      /^since \(2026-11-02T00:00:00\.000Z\) is after until/,
    ],
    [
      'a duration beyond 10 years',
      'since=99999999999h',
      /^since must be a duration of at most 10 years \(3650d\)/,
    ],
    [
      'a duration beyond 10 years',
      'updated_since=3651d',
      /^updated_since must be a duration of at most 10 years/,
    ],
    [
      'a day that does not exist',
      'since=2026-02-30T00:00:00Z',
      /^since must be a time that exists/,
    ],
    [
      'an hour that does not exist',
      'until=2026-11-01T24:00:00Z',
      /^until must be a time that exists/,
    ],
    ['an unknown parameter', 'colour=red', /^unknown parameter "colour" \(allowed: tenant, /],
    ['__proto__', '__proto__=x', /^unknown parameter "__proto__" \(allowed: /],
    ['a repeated parameter', 'tenant=a&tenant=b', /^parameter "tenant" is given more than once$/],
    [
      'a fractional limit',
      'limit=1.5',
      /^limit must be a whole number from 1 to 1000, got "1\.5"$/,
    ],
    ['a limit in exponent form', 'limit=1e3', /^limit must be a whole number from 1 to 1000/],
    ['a limit of 0', 'limit=0', /^limit must be a whole number from 1 to 1000/],
    ['a limit over 1,000', 'limit=1001', /^limit must be a whole number from 1 to 1000/],
  ])('refuses %s (%s) with 400, as the dashboard’s /api does', async (_what, query, reason) => {
    const deps = await seeded();
    const v1 = await call(deps, `/v1/jobs?${query}`);
    expect(v1).toEqual({ status: 400, body: { error: expect.stringMatching(reason) } });
    const url = new URL(`/api/jobs?${query}`, 'http://x');
    const api = await answerApi(
      { ...deps, queues: async () => [] },
      'GET',
      url.pathname,
      url.searchParams,
    );
    // One message for each mistake (the routes differ only in the names they allow).
    const same = (e: unknown) =>
      String((e as { error: string }).error).replace(/\(allowed: .*\)/, '');
    expect([api.status, same(api.body)]).toEqual([400, same(v1.body)]);
  });

  it('refuses a summary since a duration beyond 10 years, and a switch that is not true or false', async () => {
    const deps = await seeded();
    const linked = new URLSearchParams('linked=maybe');
    expect(await answerReadApi(deps, 'GET', '/v1/connections', linked)).toEqual(
      await answerApi({ ...deps, queues: async () => [] }, 'GET', '/api/connections', linked),
    );
    expect((await call(deps, '/v1/connections?linked=maybe')).body).toEqual({
      error: 'linked must be true or false, got "maybe"',
    });
    expect((await call(deps, '/v1/summary?since=99999999999h')).status).toBe(400);
    expect((await call(deps, '/v1/openapi.json?__proto__=1')).status).toBe(400);
  });

  it('answers errors as JSON: 400 unknown or repeated parameter, 404 unknown job, 405 for POST', async () => {
    const deps = await seeded();
    expect(await call(deps, '/v1/jobs?tenant=p&color=red')).toEqual({
      status: 400,
      body: { error: expect.stringContaining('unknown parameter "color"') },
    });
    expect((await call(deps, '/v1/jobs?tenant=p&tenant=q')).status).toBe(400);
    expect((await call(deps, '/v1/jobs?limit=0')).status).toBe(400);
    expect(await call(deps, '/v1/jobs/no%2Fsuch%2Fjob')).toEqual({
      status: 404,
      body: { error: 'no job no/such/job' },
    });
    expect(await call(deps, '/v1/jobs', 'POST')).toEqual({
      status: 405,
      body: { error: expect.stringContaining('POST') },
      headers: { allow: 'GET, HEAD' },
    });
    expect((await call(deps, '/v1/nothing')).status).toBe(404);
  });

  it('gives a job with its status and history, as the store holds it', async () => {
    const deps = await seeded();
    const answer = await call(deps, `/v1/jobs/${encodeURIComponent('p/0')}`);
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual(await deps.store.getJob('p/0'));
    expect((answer.body as { history: unknown[] }).history).toHaveLength(FAILURE.length);
  });

  it('answers every route as its OpenAPI 3.1 document says, by status, headers and body', async () => {
    const deps = await seeded();
    for (const s3_root of ['twin/1', 'twin/2'])
      await deps.store.store(
        'jobs',
        stored(payloadOf('jobs', { s3_root, job_id: 'TWIN', tenant: 'twin' })),
      );
    const doc = (await call(deps, '/v1/openapi.json')).body as {
      openapi: string;
      paths: Record<string, unknown>;
    };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/v1/jobs', '/v1/jobs/{s3_root}', '/v1/discover', '/v1/connections']),
    );
    const check = openApiChecker(doc);
    const calls: [method: string, url: string, status: number][] = [
      ['GET', '/v1/jobs?tenant=p&limit=2', 200],
      ['GET', `/v1/jobs/${encodeURIComponent('p/0')}`, 200],
      ['GET', '/v1/jobs/none', 404],
      ['GET', '/v1/jobs/TWIN', 409],
      ['GET', '/v1/jobs/%E0%A4%A', 400],
      ['GET', '/v1/discover', 200],
      ['GET', '/v1/connections?linked=true', 200],
      ['GET', '/v1/connections/history?env=x&tenant=c&flow=f&type=t&connector=n', 404],
      ['GET', '/v1/summary?since=7d', 200],
      ['GET', '/v1/jobs?bad=1', 400],
      ['GET', '/v1/jobs?cursor=nope', 400],
      ['GET', '/v1/openapi.json', 200],
      ['GET', '/v1/openapi.json?x=1', 400],
      ['POST', '/v1/jobs', 405],
      ['DELETE', `/v1/jobs/${encodeURIComponent('p/0')}`, 405],
      ['PUT', '/v1/openapi.json', 405],
    ];
    for (const [method, url, status] of calls) {
      const answer = await call(deps, url, method);
      expect({ url, status: answer.status }).toEqual({ url, status });
      check({
        method,
        url,
        status: answer.status,
        headers: answer.headers ?? {},
        body: JSON.parse(JSON.stringify(answer.body)),
      });
    }
    // A status the document does not list for a route fails the check.
    expect(() =>
      check({ method: 'GET', url: '/v1/jobs', status: 409, headers: {}, body: { error: 'x' } }),
    ).toThrow(/lists 200, 400, 403, 405, 500, 503 for GET \/v1\/jobs, not 409/);
    expect(() =>
      check({ method: 'POST', url: '/v1/jobs', status: 405, headers: {}, body: { error: 'x' } }),
    ).toThrow(/header Allow is missing/);
  });

  it('answers any method but GET and HEAD with 405 and Allow: GET, HEAD', async () => {
    const deps = await seeded();
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'])
      expect(await call(deps, '/v1/jobs', method)).toEqual({
        status: 405,
        body: { error: expect.stringContaining(method) },
        headers: { allow: 'GET, HEAD' },
      });
  });
});
