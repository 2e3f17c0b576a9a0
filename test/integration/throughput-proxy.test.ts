import { DynamoDBClient, ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { toDocumentClient } from '../../lib/aws/dynamodb-client';
import { LOCAL_CREDENTIALS, localDynamoDbClient } from '../../lib/local/local-stack-facts';
import { startThroughputProxy, type ThroughputProxy } from '../../lib/local/throughput-proxy';
import { createProjectTables, startDynalite, type Backend } from '../support/dynamo-servers';

/** The partition model in front of dynalite, spoken to with the real SDK over HTTP. */
let backend: Backend;
let proxy: ThroughputProxy;
let tables: Awaited<ReturnType<typeof createProjectTables>>;

beforeAll(async () => {
  backend = await startDynalite();
  tables = await createProjectTables(backend.endpoint, 'proxy');
  const port = Number(new URL(backend.endpoint).port);
  // One second that does not end, so that the test counts exactly what one window takes.
  proxy = await startThroughputProxy(
    port,
    localDynamoDbClient(backend.endpoint, 'us-east-1'),
    { writeUnits: 5, readUnits: 15 },
    { now: () => 1_000 },
  );
}, 30_000);

afterAll(async () => {
  await proxy?.close();
  await backend?.stop();
});

/** A client that does not retry, so that a throttle shows as the error DynamoDB sends. */
const client = () =>
  toDocumentClient(
    new DynamoDBClient({
      endpoint: proxy.endpoint,
      region: 'us-east-1',
      credentials: LOCAL_CREDENTIALS,
      maxAttempts: 1,
    }),
  );

describe('the throughput proxy', () => {
  it('answers DynamoDB’s throttling error past a key value’s limit, and applies nothing it refused', async () => {
    const db = client();
    const put = (n: number) =>
      db.send(
        new PutCommand({
          TableName: tables.jobs,
          Item: {
            pk: `JOB#p/${n}`,
            sk: 'CURRENT',
            status_shard: 'hot#01',
            started_key: `${n}`,
          },
        }),
      );
    // Every item enters one by-status-shard key value: its sixth entry in a second is past 5.
    const results = [];
    for (let n = 0; n < 8; n += 1)
      results.push(
        await put(n).then(
          () => 'ok',
          (e: Error) => e,
        ),
      );
    const refused = results.filter((r) => r instanceof ProvisionedThroughputExceededException);
    expect(results.slice(0, 5)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok']);
    expect(refused).toHaveLength(3);
    const got = await db.send(
      new GetCommand({ TableName: tables.jobs, Key: { pk: 'JOB#p/7', sk: 'CURRENT' } }),
    );
    expect(got.Item).toBeUndefined();
    const report = proxy.report();
    expect(report.throttledKeys[`${tables.jobs}/by-status-shard hot#01`]).toBe(3);
    db.destroy();
  });

  it('passes reads and writes through unchanged within the limits', async () => {
    const db = client();
    await db.send(
      new PutCommand({
        TableName: tables.jobs,
        Item: { pk: 'JOB#q/1', sk: 'CURRENT', tenant: 'calm', started_key: '1' },
      }),
    );
    const found = await db.send(
      new QueryCommand({
        TableName: tables.jobs,
        IndexName: 'by-tenant',
        KeyConditionExpression: '#t = :t',
        ExpressionAttributeNames: { '#t': 'tenant' },
        ExpressionAttributeValues: { ':t': 'calm' },
      }),
    );
    expect(found.Items).toEqual([
      { pk: 'JOB#q/1', sk: 'CURRENT', tenant: 'calm', started_key: '1' },
    ]);
    expect(proxy.report().hottestReads.map((r) => r.key)).toContain(
      `${tables.jobs}/by-tenant calm`,
    );
    // The table limit is a new on-demand table's unless given: the writes count against it.
    const report = proxy.report();
    expect(report.limits.tableWriteUnitsPerSecond).toBe(4_000);
    expect(report.tableWrites.map((t) => t.key)).toContain(`${tables.jobs}/by-tenant`);
    db.destroy();
  });
});
