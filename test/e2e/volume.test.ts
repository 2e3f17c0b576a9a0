import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoDbRecordQueries } from '../../lib/aws/dynamodb/dynamodb-store';
import { CURRENT } from '../../lib/aws/dynamodb/table-layout';
import { ENTITIES } from '../../lib/records/entities';
import { take } from '../../lib/records/views';
import type { Kind } from '../../lib/webhook/kinds';
import { localDocumentClient, localTables } from '../../lib/local/local-stack-facts';
import { eventually } from '../support/eventually';
import { hmacHex, payloadOf } from '../support/events';
import { cli, startStack, type StackProcess } from '../support/local-stack';

/**
 * Volume through the whole local stack: one entity with a long history (every item stays bounded,
 * so the record keeps counting and nothing is dead-lettered: 150 events of 3,000 characters each
 * would make a 450 KB item, past DynamoDB's 400 KB limit, if the record held its history), and
 * a burst of hundreds of jobs starting at once, as hotglue sends on the hour.
 */
const EVENTS = 150;
const CONCURRENCY = 32;
const secret = randomBytes(16).toString('hex');
let dataDir: string;
let stack: StackProcess;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'hgw-volume-'));
  stack = await startStack(dataDir, { WEBHOOK_SECRET: secret });
}, 120_000);

afterAll(async () => {
  if (stack?.child.exitCode === null) await stack.stop();
  await rm(dataDir, { recursive: true, force: true });
});

async function sendAll(kind: Kind, bodies: string[]): Promise<void> {
  let next = 0;
  const refused: string[] = [];
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let i = next++; i < bodies.length; i = next++) {
        const body = bodies[i] as string;
        const response = await fetch(stack.info.webhookUrls[kind], {
          method: 'POST',
          body,
          headers: { 'content-type': 'application/json', 'x-hub-signature': hmacHex(secret, body) },
        });
        if (response.status !== 202) refused.push(`${response.status} ${await response.text()}`);
      }
    }),
  );
  expect(refused).toEqual([]);
}

const queries = () =>
  dynamoDbRecordQueries(
    localDocumentClient(stack.info.dynamodbEndpoint, stack.info.region, stack.info.accessKeyId),
    localTables(stack.info),
  );

/** Long waits, polled once a second (a read while the consumers work slows them down). */
const slowly = { timeoutMs: 120_000, intervalMs: 1000 };

/** The entity's CURRENT item: a cheap read while waiting (a view reads the whole history). */
async function currentItem(kind: Kind, payload: Record<string, unknown>) {
  const db = localDocumentClient(
    stack.info.dynamodbEndpoint,
    stack.info.region,
    stack.info.accessKeyId,
  );
  const { Item } = await db.send(
    new GetCommand({
      TableName: localTables(stack.info)[kind],
      Key: { pk: ENTITIES[kind].key(payload), sk: CURRENT },
    }),
  );
  return Item;
}

/** Waits until the entity's record counts `count` events; returns its CURRENT item's size. */
async function counted(kind: Kind, payload: Record<string, unknown>, count: number) {
  const item = await eventually(
    async () => {
      const found = await currentItem(kind, payload);
      return found?.event_count === count ? found : undefined;
    },
    `${count} ${kind} events counted`,
    slowly,
  );
  return Buffer.byteLength(JSON.stringify(item));
}

const deadLetters = async (kind: Kind): Promise<unknown[]> =>
  JSON.parse(
    (await cli(['dlq', 'list', '--kind', kind, '--json'], { DATA_DIR: dataDir })).stdout,
  ) as unknown[];

const at = (i: number) => new Date(Date.parse('2026-03-01T00:00:00Z') + i * 1000).toISOString();

describe('one entity with a long history, on the local stack', () => {
  it('counts 150 connection events with 900-character event_ids and 2,100-character notes, posted 32 at a time with no lost race, and shows the latest', async () => {
    const tenant = `long-conn-${randomBytes(4).toString('hex')}`;
    const payloads = Array.from({ length: EVENTS }, (_, i) =>
      payloadOf('connections', {
        tenant,
        event: i % 2 === 0 ? 'LINK' : 'UNLINK',
        event_id: `${String(i).padStart(4, '0')}-${'x'.repeat(895)}`,
        note: 'n'.repeat(2_100),
        timestamp: at(i),
      }),
    );
    const mark = stack.output.mark();
    await sendAll(
      'connections',
      payloads.map((p) => JSON.stringify(p)),
    );
    const last = payloads[EVENTS - 1] as Record<string, unknown>;
    expect(await counted('connections', last, EVENTS)).toBeLessThan(20_000);
    // One writer per entity: posted 32 at a time, no store lost a race (its `event stored`
    // line counts no conflict).
    const storedLines = await eventually(
      async () => {
        const lines = stack.output.lines
          .slice(mark)
          .filter((l) => l.includes('"event stored"') && l.includes('"kind":"connections"'));
        return lines.length >= EVENTS ? lines : undefined;
      },
      `${EVENTS} connection events logged as stored`,
      slowly,
    );
    expect(
      storedLines.map((l) => (JSON.parse(l) as { conflicts: number }).conflicts).filter(Boolean),
    ).toEqual([]);
    const [record] = await take(queries().listConnections({ tenant }), 2);
    expect(record).toMatchObject({ event_count: EVENTS, event: last.event });
    expect(record?.linked).toBe(last.event === 'LINK');
    expect(Date.parse(String(record?.timestamp))).toBe(Date.parse(String(last.timestamp)));
    expect(await deadLetters('connections')).toEqual([]);
    // A list row carries no history: the CLI's and the dashboard's lists stay small.
    const listed = await cli(['connections', 'list', '--tenant', tenant, '--json'], {
      DATA_DIR: dataDir,
    });
    expect(Buffer.byteLength(listed.stdout)).toBeLessThanOrEqual(20_000);
    const api = await fetch(`${stack.info.dashboardUrl}api/connections?tenant=${tenant}`);
    expect(Buffer.byteLength(await api.text())).toBeLessThanOrEqual(20_000);
    // The history comes a page at a time, newest first.
    const page = JSON.parse(
      (
        await cli(
          ['connections', 'history', '--tenant', tenant, '--flow', String(last.flow_id)].concat([
            '--connector',
            String(last.connector),
            '--limit',
            '20',
            '--json',
          ]),
          { DATA_DIR: dataDir },
        )
      ).stdout,
    ) as { items: { event_id: string }[]; next: string | null };
    expect(page.items.map((e) => e.event_id)).toEqual(
      payloads
        .slice(-20)
        .reverse()
        .map((p) => p.event_id),
    );
    expect(page.next).not.toBeNull();
  }, 180_000);

  it('counts 150 discover events with 3,000-character messages and shows the latest', async () => {
    const tenant = `long-disc-${randomBytes(4).toString('hex')}`;
    const statuses = ['DISCOVER_STARTED', 'DISCOVER_SUCCESS', 'DISCOVER_FAILED'];
    const payloads = Array.from({ length: EVENTS }, (_, i) =>
      payloadOf('discover', {
        tenant,
        status: statuses[i % 3],
        timestamp: at(i),
        message: `${String(i).padStart(4, '0')} ${'m'.repeat(2_995)}`,
      }),
    );
    await sendAll(
      'discover',
      payloads.map((p) => JSON.stringify(p)),
    );
    const last = payloads[EVENTS - 1] as Record<string, unknown>;
    expect(await counted('discover', last, EVENTS)).toBeLessThan(20_000);
    const [state] = await take(queries().listDiscover({ tenant }), 2);
    expect(state).toMatchObject({ event_count: EVENTS, status: last.status });
    expect(Date.parse(String(state?.timestamp))).toBe(Date.parse(String(last.timestamp)));
    expect(await deadLetters('discover')).toEqual([]);
  }, 180_000);
});

describe('a burst on the local stack', () => {
  it('accepts and stores 300 job events sent at once', async () => {
    const tenant = `burst-${randomBytes(4).toString('hex')}`;
    const bodies = Array.from({ length: 300 }, (_, i) =>
      JSON.stringify(
        payloadOf('jobs', {
          tenant: `${tenant}-${i % 100}`,
          flow_id: tenant,
          s3_root: `${tenant}/${i}`,
          job_id: `${tenant}-${i}`,
          status: 'JOB_CREATED',
        }),
      ),
    );
    // Signed beforehand, so that the requests leave as one burst (how fast depends on the
    // machine, so the test does not time it).
    const requests = bodies.map((body) => ({
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', 'x-hub-signature': hmacHex(secret, body) },
    }));
    const before = stack.output.mark();
    const statuses = await Promise.all(
      requests.map(async (request) => {
        const response = await fetch(stack.info.webhookUrls.jobs, request);
        await response.arrayBuffer();
        return response.status;
      }),
    );
    expect(statuses.filter((s) => s !== 202)).toEqual([]);
    // Waiting on the consumers' log lines (reading 300 records a second would slow them down).
    const storedNew = () =>
      stack.output.lines
        .slice(before)
        .filter((l) => l.includes('"event stored"') && l.includes('"kind":"jobs"')).length;
    await eventually(
      async () => (storedNew() >= bodies.length ? true : undefined),
      'all 300 jobs stored',
      slowly,
    );
    const stored = await take(queries().listJobs({ flow: tenant }), 2_000);
    expect(new Set(stored.map((j) => j.s3_root)).size).toBe(300);
    expect(await deadLetters('jobs')).toEqual([]);
  }, 180_000);
});
