import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { contentHash } from '../../lib/canonical';
import type { Kind } from '../../lib/kinds';
import { mergeJob } from '../../lib/records/jobs';
import { connectionEntity, discoverEntity, jobEntity } from '../../lib/store/entities';
import { recordOf, storeEvent } from '../../lib/store/event-store';
import { canonicalJson } from '../../lib/canonical';
import { CURRENT, jobPartition } from '../../lib/store/keys';
import {
  AmbiguousJobIdError,
  getJob,
  listConnections,
  listDiscover,
  listJobs,
  take,
} from '../../lib/store/queries';
import { payloadOf } from '../helpers/events';
import {
  createProjectTables,
  documentClient,
  startDynalite,
  startDynamoDbLocal,
  type Backend,
} from '../helpers/dynamo';
import {
  FAILURE,
  jobLifecycle,
  permutations,
  seeded,
  shuffle,
  stored,
  SUCCESS,
  withDuplicates,
} from '../helpers/lifecycle';

const backends: [string, () => Promise<Backend>][] = [
  ['dynalite', startDynalite],
  ['DynamoDB Local', startDynamoDbLocal],
];

describe.each(backends)('storage on %s', (_name, start) => {
  let backend: Backend;
  let db: DynamoDBDocumentClient;
  let tables: Record<Kind, string>;

  beforeAll(async () => {
    backend = await start();
    db = documentClient(backend.endpoint);
    tables = await createProjectTables(backend.endpoint);
  }, 90_000);

  afterAll(async () => {
    db?.destroy();
    await backend?.stop();
  });

  const currentItem = async (s3Root: string) =>
    (
      await db.send(
        new GetCommand({ TableName: tables.jobs, Key: { pk: jobPartition(s3Root), sk: CURRENT } }),
      )
    ).Item;

  const recordText = (item: Record<string, unknown> | undefined) =>
    item === undefined ? 'missing' : canonicalJson(recordOf(item));

  /** Stores `payloads` in order under a fresh s3_root; returns the stored CURRENT record text. */
  async function deliver(payloads: Record<string, unknown>[], s3Root: string): Promise<string> {
    for (const p of payloads)
      await storeEvent(db, tables.jobs, jobEntity, stored({ ...p, s3_root: s3Root }));
    // The s3_root differs per delivery run by construction; everything else must not.
    return recordText(await currentItem(s3Root)).replaceAll(s3Root, '<s3_root>');
  }

  it('stores the same job record for every order of a failed lifecycle, with duplicates', async () => {
    const lifecycle = jobLifecycle(FAILURE);
    const random = seeded(3);
    const records = new Set<string>();
    let n = 0;
    for (const order of permutations(lifecycle)) {
      records.add(await deliver(withDuplicates(order, random), `perm/failed/${(n += 1)}`));
    }
    expect(n).toBe(24);
    expect(records.size).toBe(1);
    const view = await getJob(db, tables.jobs, 'perm/failed/1');
    expect(view?.status).toBe('SYNC_FAILED');
    expect(view?.error).toBe('SYNC_FAILED: connection reset');
    expect(view?.history.map((h) => h.status)).toEqual(FAILURE);
  }, 120_000);

  it('stores the same job record for shuffled successful lifecycles, with duplicates', async () => {
    const lifecycle = jobLifecycle(SUCCESS);
    const random = seeded(5);
    const records = new Set<string>();
    for (let i = 0; i < 15; i += 1) {
      records.add(
        await deliver(withDuplicates(shuffle(lifecycle, random), random, 3), `perm/ok/${i}`),
      );
    }
    expect(records.size).toBe(1);
    // The stored record is the merge of the set of events, computed independently here.
    const expected = mergeJob(lifecycle.map((p) => stored({ ...p, s3_root: 'perm/ok/0' })));
    const view = await getJob(db, tables.jobs, 'perm/ok/0');
    expect(view).toMatchObject({
      s3_root: 'perm/ok/0',
      status: 'JOB_COMPLETED',
      metrics: expected.fields.metrics,
    });
    expect(view?.history).toHaveLength(SUCCESS.length);
    expect(view?.history.map((h) => h.status)).toEqual(SUCCESS);
  }, 120_000);

  it('converges when two consumers store interleaved events of one job at once', async () => {
    const lifecycle = jobLifecycle(SUCCESS);
    const other = documentClient(backend.endpoint);
    const random = seeded(9);
    const order = withDuplicates(shuffle(lifecycle, random), random, 4);
    const first = order.filter((_, i) => i % 2 === 0);
    const second = order.filter((_, i) => i % 2 === 1);
    const run = async (client: DynamoDBDocumentClient, events: Record<string, unknown>[]) => {
      for (const p of events)
        await storeEvent(client, tables.jobs, jobEntity, stored({ ...p, s3_root: 'race/1' }));
    };
    await Promise.all([
      run(db, first),
      run(other, second),
      run(db, [...second].reverse()),
      run(other, [...first].reverse()),
    ]);
    other.destroy();
    const sequential = await deliver(lifecycle, 'race/reference');
    expect(recordText(await currentItem('race/1')).replaceAll('race/1', '<s3_root>')).toBe(
      sequential,
    );
  }, 60_000);

  it('detects a lost race with the version check and retries with both events', async () => {
    const [created, started] = jobLifecycle(SUCCESS);
    await storeEvent(db, tables.jobs, jobEntity, stored({ ...created, s3_root: 'race/2' }));
    // Consumer A reads the job, then stalls before its CURRENT write until B has finished.
    let release: () => void = () => undefined;
    const bDone = new Promise<void>((resolve) => (release = resolve));
    const slow = documentClient(backend.endpoint);
    const send = slow.send.bind(slow) as (command: unknown) => Promise<unknown>;
    let stalled = false;
    (slow as unknown as { send: unknown }).send = async (command: unknown) => {
      const input = (command as { input?: { Item?: { sk?: string } } }).input;
      if (!stalled && command instanceof PutCommand && input?.Item?.sk === CURRENT) {
        stalled = true;
        await bDone;
      }
      return send(command);
    };
    const a = storeEvent(
      slow,
      tables.jobs,
      jobEntity,
      stored({ ...started, s3_root: 'race/2', message: 'from A' }),
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    const b = await storeEvent(
      db,
      tables.jobs,
      jobEntity,
      stored({ ...started, s3_root: 'race/2', status: 'SYNC_SUCCESS' }),
    );
    release();
    const resultA = await a;
    slow.destroy();
    expect(b.conflicts).toBe(0);
    expect(resultA.conflicts).toBe(1);
    const view = await getJob(db, tables.jobs, 'race/2');
    expect(view?.status).toBe('SYNC_SUCCESS');
    expect(view?.history.map((h) => h.status)).toEqual([
      'JOB_CREATED',
      'SYNC_STARTED',
      'SYNC_SUCCESS',
    ]);
  });

  it('converges after a consumer died between the history write and the current write', async () => {
    const [created, started] = jobLifecycle(SUCCESS);
    await storeEvent(db, tables.jobs, jobEntity, stored({ ...created, s3_root: 'crash/1' }));
    // The history item of the second event lands, then the consumer dies: no CURRENT update.
    const event = stored({ ...started, s3_root: 'crash/1' });
    await db.send(
      new PutCommand({
        TableName: tables.jobs,
        Item: {
          pk: jobPartition('crash/1'),
          sk: `EVENT#${event.hash}`,
          hash: event.hash,
          dedupe_key: 'k',
          received_at: event.receivedAt,
          status: 'SYNC_STARTED',
          payload_gz: gzipSync(Buffer.from(JSON.stringify(event.payload))),
        },
      }),
    );
    expect((await getJob(db, tables.jobs, 'crash/1'))?.status).toBe('JOB_CREATED');
    const retry = await storeEvent(db, tables.jobs, jobEntity, event);
    expect(retry.duplicate).toBe(true);
    expect(retry.changed).toBe(true);
    expect((await getJob(db, tables.jobs, 'crash/1'))?.status).toBe('SYNC_STARTED');
  });

  it('reports the write units each job event consumes', async () => {
    const units: number[] = [];
    const lifecycle = jobLifecycle(SUCCESS);
    for (const p of lifecycle) {
      units.push(
        (await storeEvent(db, tables.jobs, jobEntity, stored({ ...p, s3_root: 'wcu/1' })))
          .writeUnits,
      );
    }
    const again = await storeEvent(
      db,
      tables.jobs,
      jobEntity,
      stored({ ...lifecycle[2], s3_root: 'wcu/1' }),
    );
    expect(again).toMatchObject({ duplicate: true, changed: false });
    // DynamoDB Local reports capacity like DynamoDB (dynalite reports none): a history item and
    // a CURRENT item at least per event; `npm run bench` reports the figures.
    if (backend.name === 'DynamoDB Local') expect(units.every((u) => u >= 2)).toBe(true);
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
      await storeEvent(db, tables.jobs, jobEntity, p);
    const view = await getJob(db, tables.jobs, 'big/1');
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
    expect(await storeEvent(db, tables.jobs, jobEntity, big)).toMatchObject({
      duplicate: true,
      changed: false,
    });
  }, 60_000);

  it('finds jobs by job_id, and refuses an ambiguous job_id', async () => {
    const [a] = jobLifecycle(['JOB_CREATED'], { s3Root: 'ids/a' });
    await storeEvent(db, tables.jobs, jobEntity, stored({ ...a, job_id: 'UNIQ1' }));
    expect((await getJob(db, tables.jobs, 'UNIQ1'))?.s3_root).toBe('ids/a');
    await storeEvent(db, tables.jobs, jobEntity, stored({ ...a, s3_root: 'ids/b', job_id: 'DUP' }));
    await storeEvent(db, tables.jobs, jobEntity, stored({ ...a, s3_root: 'ids/c', job_id: 'DUP' }));
    await expect(getJob(db, tables.jobs, 'DUP')).rejects.toThrow(AmbiguousJobIdError);
    expect(await getJob(db, tables.jobs, 'nothing/here')).toBeUndefined();
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
        await storeEvent(db, tables.jobs, jobEntity, stored({ ...p, env_id: env }));
      }
    };
    await make(1, FAILURE, 'tenant-a', 'flow-1');
    await make(2, SUCCESS.slice(0, 3), 'tenant-a', 'flow-2');
    await make(3, ['JOB_CREATED', 'JOB_COMPLETED'], 'tenant-a', 'flow-1', 'prod.hotglue.com');
    await make(4, ['JOB_CREATED', 'SYNC_STARTED', 'SYNC_FAILED'], 'tenant-b', 'flow-1');
    const roots = async (filter: Parameters<typeof listJobs>[2]) =>
      (await take(listJobs(db, tables.jobs, filter), 50)).map((j) => j.s3_root);
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
    const failed = await take(
      listJobs(db, tables.jobs, { tenant: 'tenant-a', status: 'failed' }),
      5,
    );
    expect(failed[0]).toMatchObject({
      status: 'SYNC_FAILED',
      status_class: 'failed',
      error: 'SYNC_FAILED: connection reset',
    });
    expect(await take(listJobs(db, tables.jobs, { tenant: 'tenant-a' }), 2)).toHaveLength(2);
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
      await storeEvent(db, tables.discover, discoverEntity, e);
    const states = await take(listDiscover(db, tables.discover, { tenant: 'tenant-d' }), 10);
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
      (await take(listDiscover(db, tables.discover, { status: 'success' }), 10)).map(
        (s) => s.connector,
      ),
    ).toEqual(['salesforce']);

    const conn = (event: string, timestamp: string, id: string) =>
      stored(payloadOf('connections', { event, timestamp, event_id: id, tenant: 'tenant-c' }));
    const link = conn('LINK', '2026-11-01T10:00:00+00:00', 'e1');
    const unlink = conn('UNLINK', '2026-11-01T11:00:00+00:00', 'e2');
    for (const e of [unlink, link, unlink])
      await storeEvent(db, tables.connections, connectionEntity, e);
    const [connection] = await take(
      listConnections(db, tables.connections, { tenant: 'tenant-c' }),
      10,
    );
    expect(connection).toMatchObject({
      tenant: 'tenant-c',
      connector: 'tap',
      connector_type: 'connector',
      event: 'UNLINK',
      linked: false,
    });
    expect(connection?.history.map((h) => h.event_id)).toEqual(['e1', 'e2']);
    expect(
      await take(listConnections(db, tables.connections, { tenant: 'tenant-c', linked: true }), 10),
    ).toEqual([]);
    expect(contentHash(link.payload)).not.toBe(contentHash(unlink.payload));
  });
});
