import Ajv2020 from 'ajv/dist/2020';
import { answerReadApi } from '../../lib/read-api/answer';
import type { ReadApiDeps } from '../../lib/read-api/routes';
import { take } from '../../lib/records/views';
import { payloadOf } from '../support/events';
import { FAILURE, jobLifecycle, stored, SUCCESS } from '../support/lifecycle';
import { memoryStore } from '../support/memory-store';

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

  it('answers every route as its OpenAPI 3.1 document says', async () => {
    const deps = await seeded();
    const doc = (await call(deps, '/v1/openapi.json')).body as {
      openapi: string;
      paths: Record<
        string,
        {
          get: {
            responses: Record<string, { content: { 'application/json': { schema: object } } }>;
          };
        }
      >;
    };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/v1/jobs', '/v1/jobs/{s3_root}', '/v1/discover', '/v1/connections']),
    );
    const ajv = new Ajv2020({ strict: false });
    const schemaOf = (path: string, status: string) =>
      ajv.compile(doc.paths[path]?.get.responses[status]?.content['application/json'].schema ?? {});
    const calls: [string, string, string][] = [
      ['/v1/jobs', '/v1/jobs?tenant=p', '200'],
      ['/v1/jobs/{s3_root}', `/v1/jobs/${encodeURIComponent('p/0')}`, '200'],
      ['/v1/jobs/{s3_root}', '/v1/jobs/none', '404'],
      ['/v1/discover', '/v1/discover', '200'],
      ['/v1/connections', '/v1/connections?linked=true', '200'],
      [
        '/v1/connections/history',
        '/v1/connections/history?env=x&tenant=c&flow=f&type=t&connector=n',
        '404',
      ],
      ['/v1/summary', '/v1/summary?since=7d', '200'],
      ['/v1/jobs', '/v1/jobs?bad=1', '400'],
    ];
    for (const [path, url, status] of calls) {
      const answer = await call(deps, url);
      expect(String(answer.status)).toBe(status);
      const validate = schemaOf(path, status);
      expect({
        url,
        valid: validate(JSON.parse(JSON.stringify(answer.body))),
        errors: validate.errors,
      }).toEqual({
        url,
        valid: true,
        errors: null,
      });
    }
  });
});
