import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { dynamoDbEventStore, dynamoDbStore } from '../../lib/aws/dynamodb/dynamodb-store';
import { CONFLICT_ATTEMPTS } from '../../lib/aws/dynamodb/conflict-retry';
import { CURRENT } from '../../lib/aws/dynamodb/table-layout';
import {
  AmbiguousJobIdError,
  WriteConflictError,
  type EventStore,
  type RecordQueries,
} from '../../lib/ports/event-store';
import { staleJobNotification } from '../../lib/records/changes';
import { ENTITIES } from '../../lib/records/entities';
import { jobKey } from '../../lib/records/entity-keys';
import { mergeConnection, mergeJob } from '../support/merges';
import { keyProblem } from '../../lib/records/key-limits';
import type { StoredEvent } from '../../lib/records/stored-event';
import {
  InvalidCursorError,
  take,
  type ConnectionView,
  type JobFilter,
} from '../../lib/records/views';
import { validationProblem } from '../../lib/webhook/schemas';
import { canonicalJson, contentHash } from '../../lib/webhook/content-hash';
import type { Kind } from '../../lib/webhook/kinds';
import {
  createProjectTables,
  documentClient,
  startDynalite,
  startDynamoDbLocal,
  type Backend,
} from '../support/dynamo-servers';
import { payloadOf } from '../support/events';
import {
  FAILURE,
  jobLifecycle,
  permutations,
  seeded,
  shuffle,
  stored,
  SUCCESS,
  withDuplicates,
} from '../support/lifecycle';
import { memoryStore } from '../support/memory-store';

/**
 * The storage port's contract, run against the in-memory store (its executable specification),
 * dynalite and AWS's DynamoDB Local: every implementation must store and answer exactly alike.
 */
type Store = EventStore & RecordQueries;

interface Server {
  backend: Backend;
  tables: Record<Kind, string>;
  db: DynamoDBDocumentClient;
}

const servers = new Map<string, Server>();

async function startServer(name: string, start: () => Promise<Backend>): Promise<void> {
  const backend = await start();
  const tables = await createProjectTables(backend.endpoint);
  servers.set(name, { backend, tables, db: documentClient(backend.endpoint) });
}

beforeAll(async () => {
  await Promise.all([
    startServer('dynalite', startDynalite),
    startServer('DynamoDB Local', () => startDynamoDbLocal({ lean: true })),
  ]);
}, 90_000);

afterAll(async () => {
  for (const server of servers.values()) {
    server.db.destroy();
    await server.backend.stop();
  }
});

const server = (name: string): Server => {
  const found = servers.get(name);
  if (found === undefined) throw new Error(`${name} did not start`);
  return found;
};

const onServer = (name: string) => () => dynamoDbStore(server(name).db, server(name).tables);

/**
 * Each store, and how to get another writer to it: a second instance over the same tables, as a
 * second Lambda instance would be (an instance serialises its own writes to one entity).
 */
const STORES: [string, () => Store, (store: Store) => Store][] = [
  ['the in-memory store', memoryStore, (store) => store],
  ['DynamoDB on dynalite', onServer('dynalite'), onServer('dynalite')],
  ['DynamoDB on DynamoDB Local', onServer('DynamoDB Local'), onServer('DynamoDB Local')],
];

describe.each(STORES)('the event store contract: %s', (name, open, another) => {
  /**
   * Whether to run the order properties on every case. The merge is the same code on every store
   * (lib/records); what a DynamoDB store adds is how it writes and reads, which a sample of the
   * orders shows as well as all of them, in a fraction of `npm test`'s time.
   */
  const everyCase = name === 'the in-memory store';
  let store: Store;
  beforeAll(() => {
    store = open();
  });

  /**
   * The job as `jobs get` shows it, minus what differs between two runs by construction: the
   * s3_root, and so the content hashes of its events.
   */
  async function shown(s3Root: string): Promise<string> {
    const view = await store.getJob(s3Root);
    if (view === undefined) return 'missing';
    const history = view.history.map(({ hash: _hash, ...entry }) => entry);
    return canonicalJson({ ...view, history }).replaceAll(s3Root, '<s3_root>');
  }

  /** Stores `payloads` in order under `s3Root`; returns the job as shown. */
  async function deliver(payloads: Record<string, unknown>[], s3Root: string): Promise<string> {
    for (const p of payloads) await store.store('jobs', stored({ ...p, s3_root: s3Root }));
    return shown(s3Root);
  }

  it('stores the same job record for every order of a failed lifecycle, with duplicates', async () => {
    const lifecycle = jobLifecycle(FAILURE);
    const random = seeded(3);
    const records = new Set<string>();
    let n = 0;
    for (const order of permutations(lifecycle)) {
      const duplicated = withDuplicates(order, random);
      n += 1;
      if (everyCase || n % 6 === 1) records.add(await deliver(duplicated, `perm/failed/${n}`));
    }
    expect(n).toBe(24);
    expect(records.size).toBe(1);
    const view = await store.getJob('perm/failed/1');
    expect(view?.status).toBe('SYNC_FAILED');
    expect(view?.error).toBe('SYNC_FAILED: connection reset');
    expect(view?.history.map((h) => h.status)).toEqual(FAILURE);
  }, 120_000);

  it('stores the same job record for shuffled successful lifecycles, with duplicates', async () => {
    const lifecycle = jobLifecycle(SUCCESS);
    const random = seeded(5);
    const records = new Set<string>();
    for (let i = 0; i < (everyCase ? 15 : 4); i += 1) {
      records.add(
        await deliver(withDuplicates(shuffle(lifecycle, random), random, 3), `perm/ok/${i}`),
      );
    }
    expect(records.size).toBe(1);
    // The stored record is the merge of the set of events, computed independently here.
    const expected = mergeJob(lifecycle.map((p) => stored({ ...p, s3_root: 'perm/ok/0' })));
    const view = await store.getJob('perm/ok/0');
    expect(view).toMatchObject({
      s3_root: 'perm/ok/0',
      status: 'JOB_COMPLETED',
      metrics: expected.fields.metrics,
    });
    expect(view?.history).toHaveLength(SUCCESS.length);
    expect(view?.history.map((h) => h.status)).toEqual(SUCCESS);
  }, 120_000);

  it('converges when several writers store interleaved events of one job at once', async () => {
    // FIFO groups make one writer per entity; several at once remain possible (a reconcile
    // notice, a redelivery after a visibility timeout). A write that gives up goes back to SQS,
    // which delivers it again: here, the writer stores it again.
    const lifecycle = jobLifecycle(SUCCESS);
    const random = seeded(9);
    const order = withDuplicates(shuffle(lifecycle, random), random, 4);
    const first = order.filter((_, i) => i % 2 === 0);
    const second = order.filter((_, i) => i % 2 === 1);
    const run = async (events: Record<string, unknown>[]) => {
      const writer = another(store);
      for (const p of events) {
        for (;;) {
          try {
            await writer.store('jobs', stored({ ...p, s3_root: 'race/1' }));
            break;
          } catch (error) {
            if (!(error instanceof WriteConflictError)) throw error;
          }
        }
      }
    };
    await Promise.all([
      run(first),
      run(second),
      run([...second].reverse()),
      run([...first].reverse()),
    ]);
    const sequential = await deliver(lifecycle, 'race/reference');
    expect(await shown('race/1')).toBe(sequential);
  }, 60_000);

  it('stores a batch of one entity’s events as storing them one by one', async () => {
    const lifecycle = jobLifecycle(SUCCESS);
    const random = seeded(11);
    for (let i = 0; i < 6; i += 1) {
      const order = withDuplicates(shuffle(lifecycle, random), random, 3);
      const s3Root = `batch/${i}`;
      const events = order.map((p) => stored({ ...p, s3_root: s3Root }));
      // Split into batches of random sizes (1 to 5), as SQS batches would come.
      const outcomes = [];
      for (let at = 0; at < events.length;) {
        const size = 1 + Math.floor(random() * 5);
        outcomes.push(...(await store.storeAll('jobs', events.slice(at, at + size))));
        at += size;
      }
      expect(await shown(s3Root)).toBe(await deliver(lifecycle, `batch/reference/${i}`));
      // Each content counts once: the first delivery is new, every later one a duplicate.
      const seen = new Set<string>();
      expect(outcomes.map((o) => o.duplicate)).toEqual(
        events.map((e) => seen.size === seen.add(e.hash).size),
      );
    }
    // A connection's event_id sent twice with two contents: both count in the record, as the
    // merge of the set says, and the history keeps the larger hash, in any order of arrival.
    const orders: [string, (e: StoredEvent[]) => Promise<unknown>][] = [
      ['one batch', (e) => store.storeAll('connections', e)],
      [
        'one by one',
        async (e) => {
          for (const x of e) await store.store('connections', x);
        },
      ],
    ];
    for (const [how, deliver] of orders) {
      for (const reversed of [false, true]) {
        const tenant = `tenant-batch-${how.replace(/ /g, '-')}-${reversed}`;
        const contents = [
          ['LINK', '2026-11-01T10:00:00+00:00'],
          ['UNLINK', '2026-11-01T11:00:00+00:00'],
        ].map(([event, timestamp]) =>
          stored(payloadOf('connections', { event, timestamp, event_id: 'same-id', tenant })),
        );
        await deliver(reversed ? [...contents].reverse() : contents);
        const [connection] = await take(store.listConnections({ tenant }), 10);
        const larger = [...contents].sort((x, y) => (x.hash < y.hash ? 1 : -1))[0];
        expect({ how, reversed, ...connection }).toMatchObject({
          how,
          reversed,
          event_count: 1,
          event: mergeConnection(contents).event,
        });
        const history = await store.connectionHistory(connection as ConnectionView, { limit: 10 });
        expect(history?.items.map((h) => h.event)).toEqual([larger?.payload.event]);
      }
    }
  });

  it('keeps where each event came from: webhook, or reconcile for a polled status', async () => {
    const [created, completed] = jobLifecycle(['JOB_CREATED', 'JOB_COMPLETED'], {
      s3Root: 'source/1',
    });
    await store.store('jobs', stored(created ?? {}));
    await store.store('jobs', { ...stored(completed ?? {}), source: 'reconcile' });
    const job = await store.getJob('source/1');
    expect(job?.history.map((h) => [h.status, h.source])).toEqual([
      ['JOB_CREATED', 'webhook'],
      ['JOB_COMPLETED', 'reconcile'],
    ]);
  });

  it('stores an event as large as ingest accepts without blocking its job', async () => {
    const [created, started, completed] = jobLifecycle(
      ['JOB_CREATED', 'SYNC_STARTED', 'JOB_COMPLETED'],
      { s3Root: 'big/1' },
    );
    // Incompressible, so that even gzipped it needs several parts.
    const noise = randomBytes(540_000).toString('base64');
    const big = stored({ ...started, attachment: { blob: noise } });
    for (const p of [stored(created ?? {}), big, stored(completed ?? {})])
      await store.store('jobs', p);
    const view = await store.getJob('big/1');
    expect(view?.status).toBe('JOB_COMPLETED');
    expect(view?.history.map((h) => h.status)).toEqual([
      'JOB_CREATED',
      'SYNC_STARTED',
      'JOB_COMPLETED',
    ]);
    expect(view?.attachment).toEqual({
      omitted: true,
      bytes: JSON.stringify({ blob: noise }).length,
    });
    expect(view?.tap).toBe('salesforce');
    // Storing it again changes nothing.
    expect(await store.store('jobs', big)).toMatchObject({
      duplicate: true,
      changed: false,
    });
  }, 60_000);

  it('keeps any payload: values DynamoDB cannot hold as they are, and names the table uses', async () => {
    let deep: unknown = 'bottom';
    for (let i = 0; i < 40; i += 1) deep = { level: deep };
    const [created] = jobLifecycle(['JOB_CREATED'], { s3Root: 'odd/1' });
    const odd = {
      ...created,
      job_id: 12345,
      huge: 1e200,
      tiny: 1e-200,
      big_int: 2 ** 60,
      empty_key: { '': 'x', ok: 1 },
      deep,
      pk: 'not the key',
      version: 'v9',
      started_key: 'nope',
      unicode: 'Zoë ☃ 🚀',
    };
    expect((await store.store('jobs', stored(odd))).changed).toBe(true);
    const view = await store.getJob('odd/1');
    for (const name of ['huge', 'tiny', 'big_int', 'empty_key', 'deep', 'pk', 'version', 'unicode'])
      expect([name, view?.[name]]).toEqual([name, odd[name as keyof typeof odd]]);
    expect(view?.started_key).toBe('nope');
    expect(view?.job_id).toBe(12345);
    expect(view?.status).toBe('JOB_CREATED');
    // Storing it again is a duplicate that changes nothing.
    expect(await store.store('jobs', stored(odd))).toMatchObject({
      duplicate: true,
      changed: false,
    });
    const [listed] = await take(
      store.listJobs({ tenant: String(created?.tenant), since: new Date(0) }),
      50,
    ).then((jobs) => jobs.filter((j) => j.s3_root === 'odd/1'));
    expect(listed).toMatchObject({ s3_root: 'odd/1', status: 'JOB_CREATED' });
    expect(listed?.job_id).toBeUndefined();
  });

  it('shows a failed discover state with its error and message', async () => {
    await store.store(
      'discover',
      stored(
        payloadOf('discover', {
          tenant: 'tenant-e',
          status: 'DISCOVER_FAILED',
          error: 'Invalid credentials',
          message: 'hotglue guesses: token expired',
        }),
      ),
    );
    const [state] = await take(store.listDiscover({ tenant: 'tenant-e' }), 5);
    expect(state).toMatchObject({
      status: 'DISCOVER_FAILED',
      error: 'Invalid credentials',
      message: 'hotglue guesses: token expired',
    });
  });

  it('finds jobs by job_id, and refuses an ambiguous job_id', async () => {
    const [a] = jobLifecycle(['JOB_CREATED'], { s3Root: 'ids/a' });
    await store.store('jobs', stored({ ...a, job_id: 'UNIQ1' }));
    expect((await store.getJob('UNIQ1'))?.s3_root).toBe('ids/a');
    await store.store('jobs', stored({ ...a, s3_root: 'ids/b', job_id: 'DUP' }));
    await store.store('jobs', stored({ ...a, s3_root: 'ids/c', job_id: 'DUP' }));
    await expect(store.getJob('DUP')).rejects.toThrow(AmbiguousJobIdError);
    expect(await store.getJob('nothing/here')).toBeUndefined();
  });

  it('lists jobs newest first by tenant, flow, status, env and time, through paged index queries', async () => {
    const day = (d: number) => new Date(Date.UTC(2027, 0, d, 8));
    const make = async (
      n: number,
      statuses: string[],
      tenant: string,
      flow: string,
      env = 'dev.hotglue.com',
    ) => {
      for (const p of jobLifecycle(statuses, {
        s3Root: `list/${tenant}/${n}`,
        start: day(n),
        tenant,
        flow,
      })) {
        await store.store('jobs', stored({ ...p, env_id: env }));
      }
    };
    await make(1, FAILURE, 'tenant-a', 'flow-1');
    await make(2, SUCCESS.slice(0, 3), 'tenant-a', 'flow-2');
    await make(3, ['JOB_CREATED', 'JOB_COMPLETED'], 'tenant-a', 'flow-1', 'prod.hotglue.com');
    await make(4, ['JOB_CREATED', 'SYNC_STARTED', 'SYNC_FAILED'], 'tenant-b', 'flow-1');
    const roots = async (filter: JobFilter) =>
      (await take(store.listJobs(filter), 50)).map((j) => j.s3_root);
    expect(await roots({ tenant: 'tenant-a' })).toEqual([
      'list/tenant-a/3',
      'list/tenant-a/2',
      'list/tenant-a/1',
    ]);
    expect(await roots({ tenant: 'tenant-a', flow: 'flow-1' })).toEqual([
      'list/tenant-a/3',
      'list/tenant-a/1',
    ]);
    expect(await roots({ tenant: 'tenant-a', status: 'failed' })).toEqual(['list/tenant-a/1']);
    expect(await roots({ tenant: 'tenant-a', status: 'running' })).toEqual(['list/tenant-a/2']);
    expect(await roots({ tenant: 'tenant-a', env: 'prod.hotglue.com' })).toEqual([
      'list/tenant-a/3',
    ]);
    expect(await roots({ tenant: 'tenant-a', since: day(2) })).toEqual([
      'list/tenant-a/3',
      'list/tenant-a/2',
    ]);
    expect(await roots({ flow: 'flow-1', pageSize: 1 })).toEqual([
      'list/tenant-b/4',
      'list/tenant-a/3',
      'list/tenant-a/1',
    ]);
    expect(await roots({ status: 'SYNC_FAILED', since: day(1) })).toEqual([
      'list/tenant-b/4',
      'list/tenant-a/1',
    ]);
    const all = await roots({ since: day(1), pageSize: 2 });
    expect(all.slice(0, 4)).toEqual([
      'list/tenant-b/4',
      'list/tenant-a/3',
      'list/tenant-a/2',
      'list/tenant-a/1',
    ]);
    const failed = await take(store.listJobs({ tenant: 'tenant-a', status: 'failed' }), 5);
    expect(failed[0]).toMatchObject({
      status: 'SYNC_FAILED',
      status_class: 'failed',
      error: 'SYNC_FAILED: connection reset',
    });
    expect(await take(store.listJobs({ tenant: 'tenant-a' }), 2)).toHaveLength(2);
    // By the latest event: newest update first, exact at the boundary.
    expect(await roots({ updatedSince: day(3) })).toEqual(['list/tenant-b/4', 'list/tenant-a/3']);
    expect(await roots({ updatedSince: day(2), tenant: 'tenant-a' })).toEqual([
      'list/tenant-a/3',
      'list/tenant-a/2',
    ]);
    expect(await roots({ updatedSince: day(1), status: 'failed', pageSize: 1 })).toEqual([
      'list/tenant-b/4',
      'list/tenant-a/1',
    ]);
    const third = await store.getJob('list/tenant-a/3');
    const lastEvent = new Date(Date.parse(String(third?.updated_at)));
    expect((await roots({ updatedSince: lastEvent })).slice(0, 2)).toEqual([
      'list/tenant-b/4',
      'list/tenant-a/3',
    ]);
    expect(await roots({ updatedSince: new Date(lastEvent.getTime() + 1) })).toEqual([
      'list/tenant-b/4',
    ]);
  });

  it('pages every list by keyset: the walk gives the list in its index order, whatever the page size and read budget', async () => {
    const hour = (h: number) => new Date(Date.UTC(2028, 2, 1, h));
    for (let n = 0; n < 9; n += 1)
      for (const p of jobLifecycle(n % 3 === 0 ? FAILURE : SUCCESS.slice(0, 2 + (n % 4)), {
        s3Root: `keyset/${n}`,
        start: hour(n * 5),
        tenant: 'keyset-tenant',
        flow: `keyset-flow-${n % 2}`,
      }))
        await store.store('jobs', stored(p));
    const walk = async (filter: JobFilter, limit: number, budget?: number) => {
      const roots: string[] = [];
      let after: string | undefined;
      for (let page = 0; page < 50; page += 1) {
        const got = await store.pageJobs(filter, {
          limit,
          ...(after !== undefined && { after }),
          ...(budget !== undefined && { budget }),
        });
        expect(got.items.length).toBeLessThanOrEqual(limit);
        roots.push(...got.items.map((j) => j.s3_root));
        if (got.after === null) return roots;
        after = got.after;
      }
      throw new Error('the walk did not end');
    };
    const listed = async (filter: JobFilter) =>
      (await take(store.listJobs(filter), 100)).map((j) => j.s3_root);
    const window = { since: hour(0), until: hour(45) };
    for (const filter of [
      { tenant: 'keyset-tenant' },
      { tenant: 'keyset-tenant', status: 'failed' },
      { flow: 'keyset-flow-1' },
      window,
      { ...window, status: 'running' },
      { tenant: 'keyset-tenant', since: hour(10), until: hour(30) },
    ] satisfies JobFilter[]) {
      const all = await listed(filter);
      expect(all.length).toBeGreaterThan(0);
      const sizes: [number, number?][] = everyCase ? [[1], [2, 1], [4, 3], [100]] : [[2, 1], [4]];
      for (const [limit, budget] of sizes)
        expect({ filter, limit, budget, walked: await walk(filter, limit, budget) }).toEqual({
          filter,
          limit,
          budget,
          walked: all,
        });
    }
    // By the hour of the latest event, then s3_root, both descending: the index's order.
    const updated = { updatedSince: hour(0), flow: 'keyset-flow-0' };
    expect(await walk(updated, 2)).toEqual(
      (await take(store.listJobs(updated), 100))
        .map((j) => [`${(j.updated_at ?? '').slice(0, 13)}#${j.s3_root}`, j.s3_root])
        .sort(([a], [b]) => (a === b ? 0 : (a as string) < (b as string) ? 1 : -1))
        .map(([, root]) => root),
    );
    // An empty window (since at until) or a reversed one reads nothing, and is no error.
    expect(await walk({ since: hour(10), until: hour(10) }, 5)).toEqual([]);
    expect(await walk({ since: hour(20), until: hour(10) }, 5)).toEqual([]);
  });

  it('stores discover state and connection records order-safely and lists them', async () => {
    const discover = (status: string, timestamp: string, connector = 'salesforce') =>
      stored(payloadOf('discover', { status, timestamp, connector, tenant: 'tenant-d' }));
    const events = [
      discover('DISCOVER_SUCCESS', '2026-11-01T10:05:00+00:00'),
      discover('DISCOVER_STARTED', '2026-11-01T10:00:00+00:00'),
      discover('DISCOVER_STARTED', '2026-11-01T09:00:00+00:00', 'hubspot'),
    ];
    for (const e of [...events, events[0] as (typeof events)[number]])
      await store.store('discover', e);
    const states = await take(store.listDiscover({ tenant: 'tenant-d' }), 10);
    expect(states.map((s) => [s.connector, s.status])).toEqual([
      ['hubspot', 'DISCOVER_STARTED'],
      ['salesforce', 'DISCOVER_SUCCESS'],
    ]);
    expect(states[1]).toMatchObject({
      tenant: 'tenant-d',
      flow_id: 'JClkCC05S',
      env_id: 'dev.hotglue.com',
      last_started_at: '2026-11-01T10:00:00.000000Z',
    });
    expect(
      (await take(store.listDiscover({ status: 'success' }), 10)).map((s) => s.connector),
    ).toEqual(['salesforce']);

    const conn = (event: string, timestamp: string, id: string) =>
      stored(payloadOf('connections', { event, timestamp, event_id: id, tenant: 'tenant-c' }));
    const link = conn('LINK', '2026-11-01T10:00:00+00:00', 'e1');
    const unlink = conn('UNLINK', '2026-11-01T11:00:00+00:00', 'e2');
    for (const e of [unlink, link, unlink]) await store.store('connections', e);
    const [connection] = await take(store.listConnections({ tenant: 'tenant-c' }), 10);
    expect(connection).toMatchObject({
      tenant: 'tenant-c',
      connector: 'tap',
      connector_type: 'connector',
      event: 'UNLINK',
      linked: false,
    });
    // A list row carries no history; the history is read on request, newest first.
    expect(connection).not.toHaveProperty('history');
    const history = await store.connectionHistory(connection as ConnectionView, { limit: 10 });
    expect(history).toEqual({
      items: [
        expect.objectContaining({ event_id: 'e2' }),
        expect.objectContaining({ event_id: 'e1' }),
      ],
      next: null,
    });
    expect(await take(store.listConnections({ tenant: 'tenant-c', linked: true }), 10)).toEqual([]);
    expect(contentHash(link.payload)).not.toBe(contentHash(unlink.payload));
  });

  it('summarises the jobs started since a time, per status class, and failures per tenant', async () => {
    // Far from every other test's jobs, so the unfiltered summary counts only these.
    const since = new Date('2031-01-01T00:00:00.000Z');
    const at = (hours: number) => new Date(since.getTime() + hours * 3_600_000);
    const jobs: [string, string[], string, Date][] = [
      ['sum/running', ['JOB_CREATED', 'SYNC_STARTED'], 'sum-a', at(1)],
      ['sum/failed-1', FAILURE, 'sum-a', at(2)],
      ['sum/failed-2', FAILURE, 'sum-a', at(3)],
      ['sum/failed-3', FAILURE, 'sum-b', at(4)],
      ['sum/done', SUCCESS, 'sum-b', at(5)],
      // Started before `since`: not counted, although its last event is after it.
      ['sum/old-failed', FAILURE, 'sum-b', at(-30)],
    ];
    for (const [s3Root, statuses, tenant, start] of jobs)
      await store.storeAll(
        'jobs',
        jobLifecycle(statuses, { s3Root, tenant, start }).map((p) => stored(p)),
      );
    // Finished jobs per hour of their start, from since's hour to now's: the running job is not one.
    const hour = (h: number, completed: number, failed: number) => ({
      hour: at(h).toISOString(),
      completed,
      failed,
    });
    expect(await store.summarizeJobs({ since, now: at(6.5) })).toEqual({
      since: since.toISOString(),
      basis: 'started',
      jobs: 5,
      truncated: false,
      byClass: { running: 1, failed: 3, completed: 1, other: 0 },
      failuresByTenant: [
        { tenant: 'sum-a', failed: 2 },
        { tenant: 'sum-b', failed: 1 },
      ],
      byHour: [
        hour(0, 0, 0),
        hour(1, 0, 0),
        hour(2, 0, 1),
        hour(3, 0, 1),
        hour(4, 0, 1),
        hour(5, 1, 0),
        hour(6, 0, 0),
      ],
    });
    // An hour of the chart: jobs started in [since, until), newest first.
    const inWindow = await take(store.listJobs({ since: at(1), until: at(3) }), 10);
    expect(inWindow.map((j) => j.s3_root)).toEqual(['sum/failed-1', 'sum/running']);
    expect(await store.summarizeJobs({ since, tenant: 'sum-b' })).toMatchObject({
      jobs: 2,
      byClass: { running: 0, failed: 1, completed: 1, other: 0 },
      failuresByTenant: [{ tenant: 'sum-b', failed: 1 }],
    });
  });

  it('keeps a running job’s reconcile state until its next event, and only for its episode', async () => {
    const [created, started, done] = jobLifecycle(
      ['JOB_CREATED', 'SYNC_STARTED', 'JOB_COMPLETED'],
      {
        s3Root: 'poll/1',
        tenant: 'poll-tenant',
      },
    ).map((p) => stored(p));
    await store.store('jobs', created as StoredEvent);
    const key = jobKey('poll/1');
    const updatedAt = (await store.getJob('poll/1'))?.updated_at;
    const lost = {
      outcome: 'not_found' as const,
      misses: 9,
      first_miss_at: '2026-11-01T10:00:00.000Z',
      lost_at: '2026-11-08T10:00:00.000Z',
    };
    expect(await store.recordPoll(key, '1999-01-01T00:00:00.000000Z', lost)).toBe(false);
    expect(await store.recordPoll(key, updatedAt, lost)).toBe(true);
    expect((await store.getJob('poll/1'))?.reconcile).toEqual(lost);
    const listed = await take(store.listJobs({ tenant: 'poll-tenant', status: 'lost' }), 10);
    expect(listed.map((j) => [j.s3_root, j.reconcile])).toEqual([['poll/1', lost]]);
    // The next event starts a new episode: the state is gone, and the old one cannot come back.
    await store.store('jobs', started as StoredEvent);
    expect((await store.getJob('poll/1'))?.reconcile).toBeUndefined();
    expect(await store.recordPoll(key, updatedAt, lost)).toBe(false);
    // A finished job takes none.
    await store.store('jobs', done as StoredEvent);
    const finished = await store.getJob('poll/1');
    expect(await store.recordPoll(key, finished?.updated_at, lost)).toBe(false);
  });

  it('pages a connection’s history newest first, with a cursor that survives new events', async () => {
    const tenant = 'tenant-paged';
    const at = (i: number) => new Date(Date.UTC(2026, 10, 1, 10, i)).toISOString();
    const conn = (i: number) =>
      stored(
        payloadOf('connections', {
          event: i % 2 === 0 ? 'LINK' : 'UNLINK',
          timestamp: at(i),
          event_id: `p${String(i).padStart(2, '0')}`,
          tenant,
        }),
      );
    for (let i = 0; i < 7; i += 1) await store.store('connections', conn(i));
    const [row] = await take(store.listConnections({ tenant }), 10);
    const key = row as ConnectionView;
    const first = await store.connectionHistory(key, { limit: 3 });
    expect(first?.items.map((h) => h.event_id)).toEqual(['p06', 'p05', 'p04']);
    // An event newer than the first page arrives: the next page neither repeats nor skips one.
    await store.store('connections', conn(7));
    const second = await store.connectionHistory(key, { limit: 3, before: first?.next ?? '' });
    expect(second?.items.map((h) => h.event_id)).toEqual(['p03', 'p02', 'p01']);
    const last = await store.connectionHistory(key, { limit: 3, before: second?.next ?? '' });
    expect(last).toEqual({ items: [expect.objectContaining({ event_id: 'p00' })], next: null });
    await expect(store.connectionHistory(key, { limit: 3, before: 'forged' })).rejects.toThrow(
      InvalidCursorError,
    );
    expect(await store.connectionHistory({ ...key, connector: 'no-such' }, { limit: 3 })).toBe(
      undefined,
    );
  });

  describe('notifications (the outbox)', () => {
    const typesOf = async (kind: Kind, key: string) =>
      (await store.unsent(kind, key)).map((u) => u.notification['detail-type']);

    it('records one Job Failed per job for every order of its lifecycle with duplicates, and none for duplicates', async () => {
      const random = seeded(11);
      const ids = new Set<string>();
      let n = 0;
      // Every third of the 24 orders (the record's own contract above covers all 24).
      const orders = [...permutations(jobLifecycle(FAILURE))].filter((_, i) => i % 3 === 0);
      for (const order of orders) {
        const root = `notify/failed/${(n += 1)}`;
        const recorded: string[] = [];
        for (const p of withDuplicates(order, random)) {
          const outcome = await store.store('jobs', stored({ ...p, s3_root: root }));
          recorded.push(...outcome.recorded);
          // Whatever was recorded is reported unsent until it is marked sent.
          for (const id of recorded)
            expect(outcome.unsent.map((u) => u.notification.id)).toContain(id);
        }
        const unsent = await store.unsent('jobs', jobKey(root));
        expect(unsent.map((u) => u.notification['detail-type'])).toEqual(['Job Failed']);
        expect(recorded).toEqual([unsent[0]?.notification.id]);
        expect(unsent[0]?.notification.detail).toMatchObject({
          s3_root: root,
          status: 'SYNC_FAILED',
          error: 'SYNC_FAILED: connection reset',
        });
        ids.add(String(unsent[0]?.notification.id));
      }
      expect(ids.size).toBe(orders.length);
    }, 120_000);

    it('records nothing for a job that is still running, however its events arrive', async () => {
      const root = `notify/running/${randomBytes(4).toString('hex')}`;
      const events = jobLifecycle(['JOB_CREATED', 'DISCOVER_STARTED', 'SYNC_STARTED'], {
        s3Root: root,
      });
      const recorded: string[] = [];
      for (const p of withDuplicates(shuffle(events, seeded(5)), seeded(6)))
        recorded.push(...(await store.store('jobs', stored(p))).recorded);
      expect(recorded).toEqual([]);
      expect(await store.unsent('jobs', jobKey(root))).toEqual([]);
    });

    it('keeps a notification unsent until it is marked sent, so a writer that died before publishing loses none', async () => {
      const root = `notify/crash/${randomBytes(4).toString('hex')}`;
      const [completed] = jobLifecycle(['JOB_COMPLETED'], { s3Root: root });
      const first = await store.store('jobs', stored(completed ?? {}));
      expect(first.recorded).toHaveLength(1);
      // The writer died here. SQS delivers the event again, to another writer:
      const again = await another(store).store('jobs', stored(completed ?? {}));
      expect(again.duplicate).toBe(true);
      expect(again.recorded).toEqual([]);
      expect(again.unsent.map((u) => u.notification.id)).toEqual(first.recorded);
      await another(store).markSent('jobs', jobKey(root), first.recorded);
      expect(await store.unsent('jobs', jobKey(root))).toEqual([]);
      const third = await store.store('jobs', stored(completed ?? {}));
      expect([third.recorded, third.unsent]).toEqual([[], []]);
    });

    it('records Linked then Unlinked for a connection linked and unlinked in order, only Unlinked when the LINK arrives late', async () => {
      const conn = (tenant: string, event: string, timestamp: string, id: string) =>
        stored(payloadOf('connections', { event, timestamp, event_id: id, tenant }));
      const inOrder = `notify-c-${randomBytes(3).toString('hex')}`;
      const link = conn(inOrder, 'LINK', '2026-11-01T10:00:00+00:00', 'l1');
      const unlink = conn(inOrder, 'UNLINK', '2026-11-01T11:00:00+00:00', 'u1');
      const a = await store.store('connections', link);
      const b = await store.store('connections', unlink);
      const pk = ENTITIES.connections.key(link.payload);
      expect(await typesOf('connections', pk)).toEqual([
        'Connection Linked',
        'Connection Unlinked',
      ]);
      expect(a.recorded).toHaveLength(1);
      expect(b.recorded).toHaveLength(1);
      expect(a.recorded).not.toEqual(b.recorded);

      const late = `notify-c-${randomBytes(3).toString('hex')}`;
      await store.store('connections', conn(late, 'UNLINK', '2026-11-01T11:00:00+00:00', 'u2'));
      await store.store('connections', conn(late, 'LINK', '2026-11-01T10:00:00+00:00', 'l2'));
      const latePk = ENTITIES.connections.key(conn(late, 'LINK', 'x', 'y').payload);
      expect(await typesOf('connections', latePk)).toEqual(['Connection Unlinked']);
      // Marking one sent leaves the other.
      const [linked] = await store.unsent('connections', pk);
      await store.markSent('connections', pk, [String(linked?.notification.id)]);
      expect(await typesOf('connections', pk)).toEqual(['Connection Unlinked']);
    });

    it('records Job Stale once per episode, and only for a running job still at that update', async () => {
      const root = `notify/stale/${randomBytes(4).toString('hex')}`;
      const [created, started] = jobLifecycle(['JOB_CREATED', 'SYNC_STARTED'], { s3Root: root });
      const key = jobKey(root);
      await store.store('jobs', stored(created ?? {}));
      const notice = async () => {
        const [job] = await take(
          store.listJobs({ status: 'running', tenant: String(created?.tenant) }),
          1000,
        ).then((jobs) => jobs.filter((j) => j.s3_root === root));
        if (job === undefined) throw new Error('no running job');
        return { job, notice: staleJobNotification(key, job, '2h', '2026-11-01T13:00:00.000Z') };
      };
      const one = await notice();
      expect(await store.recordStale(key, one.job.updated_at, one.notice)).toBe(true);
      expect(await another(store).recordStale(key, one.job.updated_at, one.notice)).toBe(false);
      expect(await typesOf('jobs', key)).toEqual(['Job Stale']);
      // A newer event ends the episode: the old one no longer applies, a new one may start.
      await store.store('jobs', stored(started ?? {}));
      expect(await store.recordStale(key, one.job.updated_at, one.notice)).toBe(false);
      const two = await notice();
      expect(two.notice.id).not.toBe(one.notice.id);
      expect(await store.recordStale(key, two.job.updated_at, two.notice)).toBe(true);
      expect(await typesOf('jobs', key)).toEqual(['Job Stale', 'Job Stale']);
      // A finished job is never stale.
      const [done] = jobLifecycle(['JOB_COMPLETED'], { s3Root: `${root}-done` });
      await store.store('jobs', stored(done ?? {}));
      expect(
        await store.recordStale(jobKey(`${root}-done`), String(done?.last_updated), two.notice),
      ).toBe(false);
    });
  });
});

describe.each(['dynalite', 'DynamoDB Local'])('the DynamoDB store on %s', (name) => {
  let db: DynamoDBDocumentClient;
  let tables: Record<Kind, string>;
  let store: Store;
  beforeAll(() => {
    ({ db, tables } = server(name));
    store = dynamoDbStore(db, tables);
  });

  it('keeps a job readable with plain DynamoDB reads: every field an attribute, nothing binary', async () => {
    const random = seeded(11);
    const lifecycle = jobLifecycle(FAILURE, { s3Root: 'readable/1' });
    for (const p of withDuplicates(shuffle(lifecycle, random), random, 3))
      await store.store('jobs', stored(p));
    const { Item: item } = await db.send(
      new GetCommand({ TableName: tables.jobs, Key: { pk: jobKey('readable/1'), sk: CURRENT } }),
    );
    const failure = lifecycle[lifecycle.length - 1] ?? {};
    expect(item).toMatchObject({
      s3_root: 'readable/1',
      status: 'SYNC_FAILED',
      status_class: 'failed',
      error: failure.error,
      message: failure.message,
      env_id: failure.env_id,
      tap: failure.tap,
      started_at: '2026-11-01T10:00:00.000000Z',
      updated_at: '2026-11-01T10:03:00.123000Z',
      event_count: FAILURE.length,
    });
    const binary = (value: unknown): boolean =>
      value instanceof Uint8Array ||
      (typeof value === 'object' && value !== null && Object.values(value).some(binary));
    expect(Object.keys(item ?? {}).filter((name) => binary(item?.[name]))).toEqual([]);
    // Nothing of hotglue's clashed with the record's own attributes, and the fold remembers only
    // payload fields.
    expect(item?.shadowed).toBeUndefined();
    const older = Object.keys((item?.fold as { fields: { older: object } }).fields.older);
    expect(older.filter((name) => name in (failure as object) === false)).toEqual([]);
  });

  it('keeps a readable history that a plain Query returns in lifecycle order', async () => {
    const random = seeded(13);
    const lifecycle = jobLifecycle(FAILURE, { s3Root: 'timeline/1' });
    for (const p of withDuplicates(shuffle(lifecycle, random), random, 3))
      await store.store('jobs', stored(p));
    const { Items: items = [] } = await db.send(
      new QueryCommand({
        TableName: tables.jobs,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :event)',
        ExpressionAttributeValues: { ':pk': jobKey('timeline/1'), ':event': 'EVENT#' },
      }),
    );
    expect(items.map((i) => i.status)).toEqual(FAILURE);
    const failed = items[items.length - 1];
    expect(failed).toMatchObject({
      status: 'SYNC_FAILED',
      time: '2026-11-01T10:03:00.123000Z',
      received_at: '2026-11-01T00:00:00.000Z',
      error: lifecycle[lifecycle.length - 1]?.error,
      message: lifecycle[lifecycle.length - 1]?.message,
      source: 'webhook',
    });
    expect(items[0]).not.toHaveProperty('error');
  });

  it.each([
    [400, true],
    [0, false],
  ])(
    'with %i days of retention: expires_at on history items only when set',
    async (days, expires) => {
      const s3Root = `retention/${days}`;
      const kept = dynamoDbEventStore(db, tables, { historyRetentionDays: days });
      const [created] = jobLifecycle(['JOB_CREATED'], { s3Root });
      const event = stored(created ?? {}, '2026-11-01T00:00:00.000Z');
      await kept.store('jobs', event);
      const { Items: items = [] } = await db.send(
        new QueryCommand({
          TableName: tables.jobs,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': jobKey(s3Root) },
        }),
      );
      const history = items.find((i) => String(i.sk).startsWith('EVENT#'));
      const current = items.find((i) => i.sk === CURRENT);
      expect(current).toBeDefined();
      expect(current?.expires_at).toBeUndefined();
      const receivedSeconds = Date.parse('2026-11-01T00:00:00.000Z') / 1000;
      expect(history?.expires_at).toBe(expires ? receivedSeconds + days * 86_400 : undefined);
    },
  );

  it('agrees with a plain index Query at the exact --since boundary', async () => {
    const start = new Date('2027-03-01T08:00:00.000Z');
    const [created] = jobLifecycle(['JOB_CREATED'], {
      s3Root: 'since/1',
      tenant: 'tenant-s',
      start,
    });
    await store.store('jobs', stored(created ?? {}));
    const started = String((await store.getJob('since/1'))?.started_at);
    const plain = async (since: string) =>
      (
        await db.send(
          new QueryCommand({
            TableName: tables.jobs,
            IndexName: 'by-tenant',
            KeyConditionExpression: 'tenant = :t AND started_key >= :since',
            ExpressionAttributeValues: { ':t': 'tenant-s', ':since': since },
          }),
        )
      ).Items?.map((i) => String(i.pk)) ?? [];
    const listed = async (since: Date) =>
      (await take(store.listJobs({ tenant: 'tenant-s', since }), 10)).map((j) => jobKey(j.s3_root));
    const exact = new Date(Date.parse(started));
    const later = new Date(exact.getTime() + 1);
    expect(await plain(started)).toEqual([jobKey('since/1')]);
    expect(await listed(exact)).toEqual([jobKey('since/1')]);
    expect(await plain(later.toISOString().replace('Z', '000Z'))).toEqual([]);
    expect(await listed(later)).toEqual([]);
  });

  it('changes no record when history items expire', async () => {
    const lifecycle = jobLifecycle(SUCCESS.slice(0, 4), { s3Root: 'expired/1' });
    for (const p of lifecycle.slice(0, 3)) await store.store('jobs', stored(p));
    // Time to live deletes the history items (dynalite has no time to live: delete them here).
    const { Items: items = [] } = await db.send(
      new QueryCommand({
        TableName: tables.jobs,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :e)',
        ExpressionAttributeValues: { ':pk': jobKey('expired/1'), ':e': 'EVENT#' },
      }),
    );
    for (const item of items)
      await db.send(
        new DeleteCommand({ TableName: tables.jobs, Key: { pk: item.pk, sk: item.sk } }),
      );
    await store.store('jobs', stored(lifecycle[3] ?? {}));
    const job = await store.getJob('expired/1');
    expect(job).toMatchObject({
      status: SUCCESS[3],
      event_count: 4,
      metrics: lifecycle[3]?.metrics,
    });
    expect(job?.history.map((h) => h.status)).toEqual([SUCCESS[3]]);
  });

  it('stores every event ingest would accept, whatever the length of its keys', async () => {
    const length = fc.oneof(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 300, max: 1024 }));
    const field = fc
      .tuple(length, fc.constantFrom('a', '€', '%', '#', '𝄞'))
      .map(([n, c]) => c.repeat(n).slice(0, 1024));
    const seen = { accepted: 0, refused: 0 };
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom<Kind>('jobs', 'discover', 'connections'),
        fc.record({ a: field, b: field, c: field, d: field, e: field }),
        async (kind, f) => {
          const payload = payloadOf(kind, {
            tenant: f.a,
            flow_id: f.b,
            ...(kind === 'jobs' ? { s3_root: f.c, job_id: f.d } : { connector: f.c, env_id: f.d }),
            ...(kind === 'connections' && { event_id: f.e, connector_type: f.a }),
          });
          if ((validationProblem(kind, payload) ?? keyProblem(kind, payload)) !== undefined) {
            seen.refused += 1;
            return;
          }
          seen.accepted += 1;
          await store.store(kind, stored(payload));
        },
      ),
      { numRuns: 60, seed: 7 },
    );
    expect(seen.accepted).toBeGreaterThan(5);
    expect(seen.refused).toBeGreaterThan(5);
  }, 60_000);

  it('detects a lost race with the version check and retries with both events', async () => {
    const [created, started] = jobLifecycle(SUCCESS);
    await store.store('jobs', stored({ ...created, s3_root: 'race/2' }));
    // Writer A reads the job, then stalls at its CURRENT write until B has finished.
    let release: () => void = () => undefined;
    const bDone = new Promise<void>((resolve) => (release = resolve));
    let reached: () => void = () => undefined;
    const aAtWrite = new Promise<void>((resolve) => (reached = resolve));
    const slow = documentClient(server(name).backend.endpoint);
    const send = slow.send.bind(slow) as (command: unknown) => Promise<unknown>;
    let stalled = false;
    (slow as unknown as { send: unknown }).send = async (command: unknown) => {
      const input = (command as { input?: { Item?: { sk?: string } } }).input;
      if (!stalled && command instanceof PutCommand && input?.Item?.sk === CURRENT) {
        stalled = true;
        reached();
        await bDone;
      }
      return send(command);
    };
    const a = dynamoDbStore(slow, tables).store(
      'jobs',
      stored({ ...started, s3_root: 'race/2', message: 'from A' }),
    );
    await Promise.race([
      aAtWrite,
      a.then(() => Promise.reject(new Error('A finished without writing CURRENT'))),
    ]);
    const b = await store.store(
      'jobs',
      stored({ ...started, s3_root: 'race/2', status: 'SYNC_SUCCESS' }),
    );
    release();
    const resultA = await a;
    slow.destroy();
    expect(b.conflicts).toBe(0);
    expect(resultA.conflicts).toBe(1);
    const view = await store.getJob('race/2');
    expect(view?.status).toBe('SYNC_SUCCESS');
    expect(view?.history.map((h) => h.status)).toEqual([
      'JOB_CREATED',
      'SYNC_STARTED',
      'SYNC_SUCCESS',
    ]);
  });

  it('takes one write at a time per entity within one store instance: it never races itself', async () => {
    const own = dynamoDbStore(db, tables);
    const events = jobLifecycle(SUCCESS, { s3Root: 'serial/1' }).map((p) => stored(p));
    const outcomes = await Promise.all(events.map((e) => own.store('jobs', e)));
    expect(outcomes.map((o) => o.conflicts)).toEqual(events.map(() => 0));
    expect((await own.getJob('serial/1'))?.event_count).toBe(events.length);
  });

  it.each([
    ['a few lost races', () => Date.now() + 60_000, CONFLICT_ATTEMPTS],
    ['its deadline', () => Date.now(), 1],
  ])(
    'gives the event back to SQS after %s, and stores it when delivered again',
    async (_what, until, attempts) => {
      const s3Root = `race/lost-${attempts}`;
      const events = jobLifecycle(SUCCESS, { s3Root });
      await store.store('jobs', stored(events[0] ?? {}));
      // Before each of A's CURRENT writes, another writer moves the record on.
      const others = events.slice(2).map((p) => stored(p));
      const losing = documentClient(server(name).backend.endpoint);
      const send = losing.send.bind(losing) as (command: unknown) => Promise<unknown>;
      let tries = 0;
      (losing as unknown as { send: unknown }).send = async (command: unknown) => {
        const input = (command as { input?: { Item?: { sk?: string } } }).input;
        if (command instanceof PutCommand && input?.Item?.sk === CURRENT) {
          const other = others[tries];
          tries += 1;
          if (other !== undefined) await store.store('jobs', other);
          else
            await store.store(
              'jobs',
              stored({ ...events[1], s3_root: s3Root, message: `x${tries}` }),
            );
        }
        return send(command);
      };
      const started = stored(events[1] ?? {});
      await expect(
        dynamoDbStore(losing, tables).storeAll('jobs', [started], until()),
      ).rejects.toThrow(WriteConflictError);
      losing.destroy();
      expect(tries).toBe(attempts);
      // SQS delivers it again, and it counts once.
      expect(await store.store('jobs', started)).toMatchObject({ duplicate: false, changed: true });
      const job = await store.getJob(s3Root);
      expect(job?.history.map((h) => h.status)).toContain('SYNC_STARTED');
      expect(job?.event_count).toBe(1 + 1 + tries);
    },
  );

  it.each([
    ['its CURRENT write', (sk: string) => sk === CURRENT],
    ['its history write, after the CURRENT write', (sk: string) => sk.startsWith('EVENT#')],
  ])('converges when a consumer dies at %s, counting the event once', async (_at, dies) => {
    const s3Root = `crash/${dies(CURRENT) ? 'current' : 'history'}`;
    const [created, started] = jobLifecycle(SUCCESS, { s3Root });
    await store.store('jobs', stored(created ?? {}));
    const dying = documentClient(server(name).backend.endpoint);
    const send = dying.send.bind(dying) as (command: unknown) => Promise<unknown>;
    (dying as unknown as { send: unknown }).send = async (command: unknown) => {
      const sk = (command as { input?: { Item?: { sk?: string } } }).input?.Item?.sk;
      if (command instanceof PutCommand && sk !== undefined && dies(sk)) throw new Error('killed');
      return send(command);
    };
    const event = stored(started ?? {});
    await expect(dynamoDbStore(dying, tables).store('jobs', event)).rejects.toThrow('killed');
    dying.destroy();
    // SQS delivers the message again, maybe more than once.
    await store.store('jobs', event);
    await store.store('jobs', event);
    const job = await store.getJob(s3Root);
    expect(job?.status).toBe('SYNC_STARTED');
    expect(job?.event_count).toBe(2);
    expect(job?.history.map((h) => h.status)).toEqual(['JOB_CREATED', 'SYNC_STARTED']);
    // The next event clears what the crash left pending.
    await store.store('jobs', stored(jobLifecycle(SUCCESS, { s3Root })[2] ?? {}));
    const { Item: item } = await db.send(
      new GetCommand({ TableName: tables.jobs, Key: { pk: jobKey(s3Root), sk: CURRENT } }),
    );
    expect(item?.event_count).toBe(3);
    expect(item?.pending).toHaveLength(1);
  });

  it('reports the write units each job event consumes', async () => {
    const units: number[] = [];
    const lifecycle = jobLifecycle(SUCCESS);
    for (const p of lifecycle) {
      units.push((await store.store('jobs', stored({ ...p, s3_root: 'wcu/1' }))).writeUnits);
    }
    const again = await store.store('jobs', stored({ ...lifecycle[2], s3_root: 'wcu/1' }));
    expect(again).toMatchObject({ duplicate: true, changed: false });
    // DynamoDB Local reports capacity like DynamoDB (dynalite reports none): a history item and
    // a CURRENT item at least per event; `npm run bench` reports the figures.
    if (name === 'DynamoDB Local') expect(units.every((u) => u >= 2)).toBe(true);
  });
});
