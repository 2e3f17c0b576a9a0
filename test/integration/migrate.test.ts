import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  GetCommand,
  PutCommand,
  ScanCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { dynamoDbStore } from '../../lib/aws/dynamodb/dynamodb-store';
import { indexStepOf, migrateIndexKeys } from '../../lib/aws/dynamodb/migrate';
import { CURRENT, toCurrentItem } from '../../lib/aws/dynamodb/table-layout';
import { LOGICAL_IDS, localDynamoDbClient } from '../../lib/local/local-stack-facts';
import { createTables } from '../../lib/local/resources';
import { extractDefinition, printServiceConfig } from '../../lib/local/service-definition';
import { ENTITIES } from '../../lib/records/entities';
import { take } from '../../lib/records/views';
import { KINDS, type Kind } from '../../lib/webhook/kinds';
import { documentClient, startDynalite, type Backend } from '../support/dynamo-servers';
import { ROOT } from '../support/processes';
import { FAILURE, jobLifecycle, stored } from '../support/lifecycle';

/**
 * Upgrading a 0.2.0 stage's tables: 0.3.0's code reading 0.2.0's indexes, the migrate command
 * giving old records the sharded keys, and the local stack rebuilding a 0.2.0 data folder.
 */
let backend: Backend;
let db: DynamoDBDocumentClient;

beforeAll(async () => {
  backend = await startDynalite();
  db = documentClient(backend.endpoint);
});
afterAll(async () => {
  db.destroy();
  await backend.stop();
});

/** Creates the tables of `stage` at an index layout step, as a deploy with indexStep=step would. */
async function tablesAt(step: number, stage: string): Promise<Record<Kind, string>> {
  const printed = await printServiceConfig(
    ROOT,
    stage,
    join(tmpdir(), 'hotglue-webhooks-print-cache'),
  );
  const resources = printed.resources as { Parameters: { IndexStep: { Default: string } } };
  const at = {
    ...printed,
    resources: {
      ...resources,
      Parameters: {
        ...resources.Parameters,
        IndexStep: { ...resources.Parameters.IndexStep, Default: String(step) },
      },
    },
  };
  const client = localDynamoDbClient(backend.endpoint, 'us-east-1');
  const refs = await createTables(client, extractDefinition(at).tables);
  client.destroy();
  return Object.fromEntries(
    KINDS.map((k) => [k, refs.get(LOGICAL_IDS[k].table)?.ref ?? '']),
  ) as Record<Kind, string>;
}

/** Writes a job's CURRENT item as 0.2.0 wrote it: `entity` unsharded, no status or flow shard. */
async function putAs020(table: string, payload: Record<string, unknown>) {
  const entity = ENTITIES.jobs;
  const event = stored(payload);
  const pk = entity.key(payload);
  const { record, fold } = entity.fold(undefined, event, true);
  const {
    status_shard: _s,
    flow_shard: _f,
    ...attributes
  } = toCurrentItem('jobs', pk, { version: 1, record, fold, pending: [], outbox: [] });
  await db.send(
    new PutCommand({
      TableName: table,
      Item: { ...attributes, entity: 'job' },
    }),
  );
}

describe('upgrading a 0.2.0 stage’s tables', () => {
  it('lists old and new records alike on 0.2.0’s indexes, then migrates the old ones, idempotently and resumably', async () => {
    const tables = await tablesAt(0, 'upgrade');
    expect(await indexStepOf(db, tables.jobs, 'jobs')).toBe(0);
    const store = dynamoDbStore(db, tables);
    const flow = 'flow-upgrade';
    for (let n = 0; n < 3; n += 1) {
      const [created] = jobLifecycle(['JOB_CREATED'], {
        s3Root: `old/${n}`,
        flow,
        start: new Date(Date.UTC(2026, 10, 1, 10, n)),
      });
      await putAs020(tables.jobs, created ?? {});
    }
    const [fresh] = jobLifecycle(['JOB_CREATED'], {
      s3Root: 'new/0',
      flow,
      start: new Date(Date.UTC(2026, 10, 1, 11)),
    });
    await store.store('jobs', stored(fresh ?? {}));
    const roots = async (filter: Parameters<typeof store.listJobs>[0]) =>
      (await take(store.listJobs(filter), 100)).map((j) => j.s3_root);
    // No sharded index yet: flow and status fall back to 0.2.0's; `updated since` reads both values.
    const all = ['new/0', 'old/2', 'old/1', 'old/0'];
    expect(await roots({ flow })).toEqual(all);
    expect(await roots({ status: 'running' })).toEqual(all);
    expect((await roots({ updatedSince: new Date(0) })).sort()).toEqual([...all].sort());

    // Migrate, stopped after its first page, then on from where it stopped.
    let stoppedAt: Record<string, unknown> | undefined;
    const first = await migrateIndexKeys(db, tables.jobs, 'jobs', {
      pageSize: 2,
      onPage: (p) => {
        stoppedAt = p.next;
        throw new Error('interrupted');
      },
    }).catch((e: Error) => e);
    expect(first).toBeInstanceOf(Error);
    expect(stoppedAt).toBeDefined();
    const resumed = await migrateIndexKeys(db, tables.jobs, 'jobs', {
      pageSize: 2,
      ...(stoppedAt !== undefined && { from: stoppedAt }),
    });
    // Only what the first run had not looked at; the three 0.2.0 items are all migrated by now.
    expect(resumed.scanned).toBe(2);
    const again = await migrateIndexKeys(db, tables.jobs, 'jobs');
    expect(again).toMatchObject({ scanned: 4, updated: 0 });
    // With the sharded indexes (the next deploys), the same lists come from the shards.
    const sharded = await tablesAt(4, 'upgrade-after');
    for (const item of (await db.send(new ScanCommand({ TableName: tables.jobs }))).Items ?? [])
      await db.send(new PutCommand({ TableName: sharded.jobs, Item: item }));
    const after = dynamoDbStore(db, sharded);
    expect((await take(after.listJobs({ flow }), 100)).map((j) => j.s3_root)).toEqual(all);
    expect((await take(after.listJobs({ status: 'running' }), 100)).map((j) => j.s3_root)).toEqual(
      all,
    );
    const old = await db.send(
      new GetCommand({ TableName: tables.jobs, Key: { pk: 'JOB#old/0', sk: CURRENT } }),
    );
    expect(old.Item?.entity).toMatch(/^job#\d\d$/);
    expect(old.Item?.status_shard).toMatch(/^running#\d\d$/);
    expect(old.Item?.flow_shard).toBe(`${flow}#${String(old.Item?.entity).slice(-2)}`);
  });

  it('gives a 0.3.0 stage’s failed jobs the failure index key, with the summary right before and after', async () => {
    const at4 = await tablesAt(4, 'failure-before');
    expect(await indexStepOf(db, at4.jobs, 'jobs')).toBe(4);
    const start = new Date(Date.UTC(2026, 10, 1, 10));
    const lifecycle = jobLifecycle(FAILURE, { s3Root: 'failing/0', tenant: 't-failing', start });
    const event = stored(lifecycle.at(-1) ?? {});
    const pk = ENTITIES.jobs.key(event.payload);
    const { record, fold } = ENTITIES.jobs.fold(undefined, event, true);
    // As 0.3.0 wrote it: every index key but the failure index's.
    const {
      watch_shard: written,
      watch_key: _key,
      ...as030
    } = toCurrentItem('jobs', pk, { version: 1, record, fold, pending: [], outbox: [] });
    expect(written).toMatch(/^failed#\d\d$/);
    await db.send(new PutCommand({ TableName: at4.jobs, Item: as030 }));
    const since = new Date(start.getTime() - 60_000);
    const expected = [{ tenant: 't-failing', failed: 1 }];
    // No failure index yet: the tenants come from the failed jobs' records.
    expect(await dynamoDbStore(db, at4).summarizeJobs({ since })).toMatchObject({
      byClass: { failed: 1 },
      failuresByTenant: expected,
      truncated: false,
    });
    const at5 = await tablesAt(5, 'failure-after');
    for (const item of (await db.send(new ScanCommand({ TableName: at4.jobs }))).Items ?? [])
      await db.send(new PutCommand({ TableName: at5.jobs, Item: item }));
    expect(await indexStepOf(db, at5.jobs, 'jobs')).toBe(5);
    // Not migrated yet: counted, but not attributed to a tenant, and the summary says so.
    expect(await dynamoDbStore(db, at5).summarizeJobs({ since })).toMatchObject({
      byClass: { failed: 1 },
      failuresByTenant: [],
      truncated: true,
    });
    expect(await migrateIndexKeys(db, at5.jobs, 'jobs')).toMatchObject({ updated: 1 });
    expect(await dynamoDbStore(db, at5).summarizeJobs({ since })).toMatchObject({
      failuresByTenant: expected,
      truncated: false,
    });
  });

  it('rebuilds a 0.2.0 local table with today’s indexes and keys, and lists through the shards', async () => {
    const before = await tablesAt(0, 'rebuild');
    const [created] = jobLifecycle(['JOB_CREATED'], { s3Root: 'local/0', flow: 'flow-local' });
    await putAs020(before.jobs, created ?? {});
    const logged: Record<string, unknown>[] = [];
    const client = localDynamoDbClient(backend.endpoint, 'us-east-1');
    const printed = await printServiceConfig(
      ROOT,
      'rebuild',
      join(tmpdir(), 'hotglue-webhooks-print-cache'),
    );
    await createTables(client, extractDefinition(printed).tables, (_m, fields) =>
      logged.push(fields),
    );
    client.destroy();
    expect(logged.map((l) => l.table)).toEqual(Object.values(before));
    expect(await indexStepOf(db, before.jobs, 'jobs')).toBe(5);
    const store = dynamoDbStore(db, before);
    expect((await take(store.listJobs({ flow: 'flow-local' }), 10)).map((j) => j.s3_root)).toEqual([
      'local/0',
    ]);
  });
});
