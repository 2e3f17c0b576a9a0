import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { dynamoDbStore } from '../../lib/aws/dynamodb/dynamodb-store';
import { itemBytes } from '../../lib/aws/dynamodb/item-size';
import { CURRENT } from '../../lib/aws/dynamodb/table-layout';
import { main } from '../../lib/cli/main';
import { batchConsumer } from '../../lib/consumer/consume-batch';
import { handleIngest } from '../../lib/ingest/handle-ingest';
import { MAX_FIELDS, MAX_KEY_BYTES } from '../../lib/webhook/shape';
import { LOGICAL_IDS, STACK_FILE } from '../../lib/local/local-stack-facts';
import type { PoisonLetter } from '../../lib/ports/dead-letter-queue';
import {
  OUTBOX_MAX_BYTES,
  outboxBytes,
  type EventStore,
  type RecordQueries,
} from '../../lib/ports/event-store';
import { cutBytes, cutText, TEXT_MAX_BYTES } from '../../lib/records/bounds';
import type { Notification } from '../../lib/records/changes';
import type { ConnectionRecord } from '../../lib/records/connections';
import { ENTITIES } from '../../lib/records/entities';
import type { StoredEvent } from '../../lib/records/stored-event';
import { take } from '../../lib/records/views';
import { canonicalJson, contentHash } from '../../lib/webhook/content-hash';
import { MAX_BODY_BYTES, parseEnvelope } from '../../lib/webhook/envelope';
import { KINDS, type Kind } from '../../lib/webhook/kinds';
import {
  createProjectTables,
  documentClient,
  startDynamoDbLocal,
  type Backend,
} from '../support/dynamo-servers';
import { ingestDoubles, recordingCounters, recordingLog } from '../support/doubles';
import { envelopeOf, fifoBatch, hmacHex, payloadOf } from '../support/events';
import { memoryStore } from '../support/memory-store';

/**
 * Every event ingest accepts can be stored, whatever its field sizes up to the body limit
 * (785,664 bytes): on AWS's DynamoDB Local, which refuses an item over 400 KB as DynamoDB does,
 * each accepted event goes through the consumer in one invocation, every item stays under 400 KB,
 * the record is the one the in-memory specification keeps, and every notification fits in
 * EventBridge's 256 KB and in the entity's outbox.
 */
const ITEM_LIMIT = 400 * 1024;
const EVENTBRIDGE_ENTRY_LIMIT = 256 * 1024;

let backend: Backend;
let tables: Record<Kind, string>;
let db: DynamoDBDocumentClient;
let store: EventStore & RecordQueries;

beforeAll(async () => {
  backend = await startDynamoDbLocal({ lean: true });
  tables = await createProjectTables(backend.endpoint);
  db = documentClient(backend.endpoint);
  store = dynamoDbStore(db, tables);
}, 90_000);

afterAll(async () => {
  db?.destroy();
  await backend?.stop();
});

const SECRETS = {
  jobs: 'jobs-secret',
  discover: 'discover-secret',
  connections: 'connections-secret',
};

/** Posts `payload` to ingest (signed); the queue message when it answers 202, else its status. */
async function ingest(
  kind: Kind,
  payload: Record<string, unknown>,
): Promise<{ status: number; message?: { body: string; groupId: string } }> {
  const doubles = ingestDoubles();
  const body = Buffer.from(JSON.stringify(payload));
  const response = await handleIngest(
    {
      method: 'POST',
      path: `/webhooks/${kind}`,
      headers: { 'x-hub-signature': hmacHex(SECRETS[kind], body) },
      body,
      requestId: 'field-sizes',
      receivedAt: new Date(),
    },
    doubles.deps,
  );
  const sent = doubles.queue.sent[0];
  return {
    status: response.statusCode,
    ...(sent && { message: { body: sent.messageBody, groupId: sent.groupId } }),
  };
}

/**
 * One consumer invocation over these queue messages, as SQS hands a FIFO batch over; with
 * `letters`, a dead-letter queue that keeps what it is given there.
 */
async function consume(
  kind: Kind,
  messages: { body: string; groupId: string }[],
  letters?: PoisonLetter[],
): Promise<{ failed: string[]; published: Notification[] }> {
  const published: Notification[] = [];
  const handler = batchConsumer(kind, {
    store,
    notifier: { publish: async (notifications) => void published.push(...notifications) },
    ...(letters && { deadLetters: { send: async (letter) => void letters.push(letter) } }),
    log: recordingLog(),
    counters: recordingCounters(),
  });
  const { batchItemFailures } = await handler({ Records: fifoBatch(messages) });
  return { failed: batchItemFailures.map((f) => f.itemIdentifier), published };
}

/** Every item of an entity's partition, as stored. */
async function partition(kind: Kind, pk: string): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await db.send(
      new QueryCommand({
        TableName: tables[kind],
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': pk },
        ...(start && { ExclusiveStartKey: start }),
      }),
    );
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start !== undefined);
  return items;
}

/** The event a queue message holds, as the consumer stores it. */
function storedOf(body: string): StoredEvent {
  const { envelope, body: raw } = parseEnvelope(body);
  const payload = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
  return { hash: contentHash(payload), receivedAt: envelope.receivedAt, payload };
}

/** What the stores answer for an entity: one job with its history, or the list row. */
async function shown(records: RecordQueries, kind: Kind, payload: Record<string, unknown>) {
  const tenant = String(payload.tenant);
  if (kind === 'jobs') return records.getJob(String(payload.s3_root));
  if (kind === 'discover') return take(records.listDiscover({ tenant }), 10);
  return take(records.listConnections({ tenant }), 10);
}

/** Each notification fits in one EventBridge entry and, alone, in an entity's outbox. */
function expectPublishable(published: Notification[]): void {
  for (const notification of published) {
    expect(Buffer.byteLength(JSON.stringify(notification))).toBeLessThan(EVENTBRIDGE_ENTRY_LIMIT);
    expect(outboxBytes([{ notification, recordedAt: Date.now() }])).toBeLessThanOrEqual(
      OUTBOX_MAX_BYTES,
    );
  }
}

/**
 * Ingests `payloads` (one entity's), consumes what ingest accepted in one invocation and checks
 * it stored: no record failed, every item under 400 KB, the answer the in-memory specification
 * gives, and every notification publishable. Returns what was accepted and published.
 */
async function ingestAndStore(kind: Kind, payloads: Record<string, unknown>[]) {
  const messages: { body: string; groupId: string }[] = [];
  for (const payload of payloads) {
    const bytes = Buffer.byteLength(JSON.stringify(payload));
    const { status, message } = await ingest(kind, payload);
    expect([bytes, status]).toEqual([bytes, bytes > MAX_BODY_BYTES ? 413 : 202]);
    if (message !== undefined) messages.push(message);
  }
  if (messages.length === 0) return { accepted: 0, published: [] };
  const { failed, published } = await consume(kind, messages);
  expect(failed).toEqual([]);
  const first = storedOf(messages[0]?.body ?? '');
  const items = await partition(kind, ENTITIES[kind].key(first.payload));
  expect(items.some((item) => item.sk === CURRENT)).toBe(true);
  for (const item of items)
    expect([item.sk, itemBytes(item) < ITEM_LIMIT]).toEqual([item.sk, true]);
  const spec = memoryStore();
  await spec.storeAll(
    kind,
    messages.map((m) => storedOf(m.body)),
  );
  expect(canonicalJson(await shown(store, kind, first.payload))).toBe(
    canonicalJson(await shown(spec, kind, first.payload)),
  );
  expectPublishable(published);
  return { accepted: messages.length, published };
}

/** Characters of every width UTF-8 and JSON give them, and a traceback's lines. */
const UNITS = [
  'a',
  'é',
  '☃',
  '🚀',
  '\n',
  '\u0001',
  'Traceback (most recent call last):\n  File "/app/tap.py", line 42, in sync\n',
];
const jsonCost = (unit: string): number => JSON.stringify(unit).length - 2;

type Shape = 'text' | 'numbers' | 'object' | 'strings';

/** A value whose JSON takes about `bytes` bytes. */
function valueOf(shape: Shape, unit: string, bytes: number): unknown {
  const text = unit.repeat(Math.max(1, Math.floor(bytes / jsonCost(unit))));
  if (shape === 'text') return text;
  if (shape === 'object') return { detail: text, kept: true };
  // "7," takes two bytes of JSON and three of DynamoDB's (a list element and a digit), so that
  // a record measured by its JSON alone would pass 400 KB; "\"ab\"," five of each.
  if (shape === 'numbers') return new Array<number>(Math.max(1, Math.floor(bytes / 2))).fill(7);
  return new Array<string>(Math.max(1, Math.floor(bytes / 5))).fill('ab');
}

/** The fields a generated event sets, none of them an identity (ingest would refuse the event). */
const NAMES = ['error', 'message', 'traceback', 'state', 'metrics', 'timestamp', 'last_updated'];
const field = fc.record({
  name: fc.constantFrom(...NAMES),
  shape: fc.constantFrom<Shape>('text', 'text', 'text', 'numbers', 'object', 'strings'),
  unit: fc.constantFrom(...UNITS),
  share: fc.integer({ min: 1, max: 100 }),
});
interface Generated {
  fields: { name: string; shape: Shape; unit: string; share: number }[];
  fill: number;
}
/** One event: its fields, and how much of the body limit they fill together (a tenth to all). */
const event: fc.Arbitrary<Generated> = fc.record({
  fields: fc.array(field, { minLength: 1, maxLength: 4 }),
  fill: fc.double({ min: 0.1, max: 1, noNaN: true }),
});
const STATUSES: Record<Kind, string[]> = {
  jobs: ['SYNC_STARTED', 'SYNC_FAILED', 'JOB_COMPLETED'],
  discover: ['DISCOVER_STARTED', 'DISCOVER_FAILED'],
  connections: ['LINK', 'UNLINK'],
};
const scenario = fc.record({
  kind: fc.constantFrom(...KINDS),
  statuses: fc.array(fc.nat(), { minLength: 1, maxLength: 2 }),
  events: fc.array(event, { minLength: 2, maxLength: 2 }),
});

let run = 0;

/** A payload of `kind` for entity `n` with `generated`'s fields, sized to fill its share. */
function payloadWith(
  kind: Kind,
  n: number,
  status: string,
  generated: Generated,
): Record<string, unknown> {
  const identity =
    kind === 'jobs'
      ? { s3_root: `field-sizes/flows/F/jobs/${n}`, tenant: `fs-${n}`, status }
      : { tenant: `fs-${n}`, ...(kind === 'discover' ? { status } : { event: status }) };
  const base = payloadOf(kind, identity);
  // Room for the sample's own fields and the names of the generated ones.
  const room = MAX_BODY_BYTES - Buffer.byteLength(JSON.stringify(base)) - 512;
  const total = generated.fields.reduce((s, f) => s + f.share, 0);
  const payload = { ...base };
  for (const f of generated.fields)
    payload[f.name] = valueOf(f.shape, f.unit, (room * generated.fill * f.share) / total);
  return payload;
}

describe('events of any field size up to the body limit, on DynamoDB Local', () => {
  it('stores every event ingest accepts, each item under 400 KB, its notifications publishable', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async ({ kind, statuses, events }) => {
        run += 1;
        const options = STATUSES[kind];
        const payloads = statuses.map((s, i) =>
          payloadWith(
            kind,
            run,
            options[s % options.length] ?? '',
            events[i % events.length] as Generated,
          ),
        );
        await ingestAndStore(kind, payloads);
      }),
      { numRuns: 8, seed: 28 },
    );
  }, 120_000);

  const TRACEBACK = 'Traceback (most recent call last):\n  File "/app/tap.py", line 42, in sync\n';
  const error = TRACEBACK.repeat(Math.ceil(700_000 / TRACEBACK.length)).slice(0, 700_000);
  const message = 'The sync is slow; '.repeat(25_000).slice(0, 450_000);
  const s3Root = 'field-sizes/flows/F/jobs/examples/1';

  it('stores a SYNC_STARTED with a 450 KB message and a SYNC_FAILED with a 700 KB error, in one invocation', async () => {
    const started = payloadOf('jobs', {
      s3_root: s3Root,
      status: 'SYNC_STARTED',
      last_updated: '2026-11-29T05:29:00.000000+00:00',
      message,
    });
    const failed = payloadOf('jobs', {
      s3_root: s3Root,
      status: 'SYNC_FAILED',
      last_updated: '2026-11-29T05:30:00.000000+00:00',
      error,
    });
    const { accepted, published } = await ingestAndStore('jobs', [started, failed]);
    expect(accepted).toBe(2);
    // One Job Failed, its error cut to 4 KB with its full length, well within the outbox.
    expect(published.map((n) => n['detail-type'])).toEqual(['Job Failed']);
    const detail = published[0]?.detail ?? {};
    expect(detail.status).toBe('SYNC_FAILED');
    expect(detail.error).toBe(cutText(error));
    expect(cutBytes(detail.error)).toBe(700_000);
    expect(Buffer.byteLength(String(detail.error))).toBeLessThanOrEqual(TEXT_MAX_BYTES);
    // The record and the history items carry the texts cut; the payloads keep them whole.
    const items = await partition('jobs', ENTITIES.jobs.key(failed));
    const current = items.find((i) => i.sk === CURRENT);
    expect(current).toMatchObject({
      status: 'SYNC_FAILED',
      error: cutText(error),
      message: cutText(message),
    });
    const history = items.filter((i) => String(i.sk).startsWith('EVENT#'));
    expect(history.map((h) => [h.status, h.error ?? h.message])).toEqual([
      ['SYNC_STARTED', cutText(message)],
      ['SYNC_FAILED', cutText(error)],
    ]);
  }, 60_000);

  it('shows the status and the whole error with jobs get', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'hgw-field-sizes-'));
    try {
      const stack = {
        pid: process.pid,
        dynamodbEndpoint: backend.endpoint,
        region: 'us-east-1',
        tables: Object.fromEntries(KINDS.map((k) => [LOGICAL_IDS[k].table, tables[k]])),
      };
      await writeFile(join(dataDir, STACK_FILE), JSON.stringify(stack));
      const jobsGet = async (...args: string[]) => {
        const out: string[] = [];
        const code = await main(['jobs', 'get', s3Root, ...args], {
          out: (line) => out.push(line),
          err: (line) => out.push(line),
          env: { DATA_DIR: dataDir },
          cwd: process.cwd(),
        });
        return { code, stdout: out.join('\n') };
      };
      const text = await jobsGet();
      expect(text.code).toBe(0);
      expect(text.stdout).toMatch(/^status\s+SYNC_FAILED$/m);
      // Whole, each line after the first indented under the value (lib/cli/format.ts `fields`).
      const unindented = (t: string) =>
        t
          .split('\n')
          .map((l) => l.trimStart())
          .join('\n');
      expect(unindented(text.stdout).includes(unindented(error))).toBe(true);
      const asJson = await jobsGet('--json');
      const job = JSON.parse(asJson.stdout) as Record<string, unknown> & {
        history: Record<string, unknown>[];
      };
      expect(job.status).toBe('SYNC_FAILED');
      expect(job.error === error).toBe(true);
      expect(job.message === message).toBe(true);
      // The timeline stays bounded: each event's texts as its history item has them.
      expect(job.history.map((h) => h.error ?? h.message)).toEqual([
        cutText(message),
        cutText(error),
      ]);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('events at and beyond the caps on fields and keys, then a normal one, on DynamoDB Local', () => {
  /** One hostile event: how many top-level fields, how long their names, how large their values. */
  const hostile = fc.record({
    fields: fc.integer({ min: 1, max: MAX_FIELDS + 20 }),
    nameBytes: fc.integer({ min: 1, max: MAX_KEY_BYTES + 20 }),
    valueBytes: fc.constantFrom(1, 300, 1_000),
  });
  const sequence = fc.record({
    kind: fc.constantFrom(...KINDS),
    events: fc.array(hostile, { minLength: 1, maxLength: 3 }),
  });
  const LATER = '2026-11-29T06:00:00.000000+00:00';

  /** A payload of entity `n` whose extra fields are named apart for event `i` (so they add up). */
  function hostilePayload(
    kind: Kind,
    n: number,
    i: number,
    h: { fields: number; nameBytes: number; valueBytes: number },
  ) {
    const base = payloadOf(kind, {
      ...(kind === 'jobs' ? { s3_root: `caps/${n}`, status: 'SYNC_STARTED' } : {}),
      ...(kind === 'connections' ? { event_id: `caps-${n}-${i}` } : {}),
      tenant: `caps-${n}`,
    });
    const room = Math.max(0, MAX_FIELDS - Object.keys(base).length);
    const payload: Record<string, unknown> = { ...base };
    for (let f = 0; f < Math.min(h.fields, room + 20); f += 1) {
      const name = `${i}-${f}-`.padEnd(h.nameBytes, 'k');
      payload[name] = 'v'.repeat(h.valueBytes);
    }
    return payload;
  }

  it('stores or refuses each, keeps every item under 400 KB, and stores the normal event after them', async () => {
    await fc.assert(
      fc.asyncProperty(sequence, async ({ kind, events }) => {
        run += 1;
        const messages: { body: string; groupId: string }[] = [];
        for (const [i, h] of events.entries()) {
          const payload = hostilePayload(kind, run, i, h);
          const refused =
            Object.keys(payload).length > MAX_FIELDS ||
            Object.keys(payload).some((k) => Buffer.byteLength(k) > MAX_KEY_BYTES);
          const { status, message } = await ingest(kind, payload);
          const tooLarge = Buffer.byteLength(JSON.stringify(payload)) > MAX_BODY_BYTES;
          expect([i, status]).toEqual([i, tooLarge ? 413 : refused ? 400 : 202]);
          if (message !== undefined) messages.push(message);
        }
        const normal = payloadOf(kind, {
          ...(kind === 'jobs'
            ? { s3_root: `caps/${run}`, status: 'JOB_COMPLETED', last_updated: LATER }
            : { timestamp: LATER }),
          ...(kind === 'discover' ? { status: 'DISCOVER_SUCCESS' } : {}),
          ...(kind === 'connections' ? { event: 'LINK', event_id: `caps-${run}-normal` } : {}),
          tenant: `caps-${run}`,
        });
        const last = await ingest(kind, normal);
        expect(last.status).toBe(202);
        messages.push(last.message as { body: string; groupId: string });
        // The hostile events in one invocation, the normal one in the next.
        expect((await consume(kind, messages.slice(0, -1))).failed).toEqual([]);
        expect((await consume(kind, messages.slice(-1))).failed).toEqual([]);
        const items = await partition(kind, ENTITIES[kind].key(normal));
        for (const item of items)
          expect([item.sk, itemBytes(item) < ITEM_LIMIT]).toEqual([item.sk, true]);
        const current = items.find((item) => item.sk === CURRENT) ?? {};
        expect(current.event_count).toBe(messages.length);
        const state = kind === 'connections' ? current.event : current.status;
        expect(state).toBe(kind === 'jobs' ? 'JOB_COMPLETED' : (normal.status ?? normal.event));
        const spec = memoryStore();
        await spec.storeAll(
          kind,
          messages.map((m) => storedOf(m.body)),
        );
        expect(canonicalJson(await shown(store, kind, normal))).toBe(
          canonicalJson(await shown(spec, kind, normal)),
        );
      }),
      { numRuns: 3, seed: 30 },
    );
  }, 120_000);
});

describe('connection events named like Object.prototype, on DynamoDB Local', () => {
  const at = (minute: number) => `2026-11-01T10:0${minute}:00.000000+00:00`;
  /** A connection event of `tenant`, named `event`, at minute `minute`. */
  const named = (tenant: string, event: string, minute: number) =>
    payloadOf('connections', {
      tenant,
      event,
      event_id: `${event}-${minute}`,
      timestamp: at(minute),
    });

  it.each(['constructor', 'toString', 'hasOwnProperty', 'valueOf'])(
    'stores one named %s and a LINK after it, and reads its time back under its name',
    async (word) => {
      const tenant = `odd-event-${word}`;
      const messages: { body: string; groupId: string }[] = [];
      for (const payload of [named(tenant, word, 1), named(tenant, 'LINK', 2)]) {
        const { status, message } = await ingest('connections', payload);
        expect(status).toBe(202);
        messages.push(message as { body: string; groupId: string });
      }
      expect((await consume('connections', messages)).failed).toEqual([]);
      const [link] = (await take(store.listConnections({ tenant }), 2)) as ConnectionRecord[];
      expect(link).toMatchObject({ event: 'LINK', linked: true, event_count: 2 });
      expect(Object.hasOwn(link?.last_at_by_event ?? {}, word)).toBe(true);
      expect(link?.last_at_by_event).toEqual({
        [word]: '2026-11-01T10:01:00.000000Z',
        LINK: '2026-11-01T10:02:00.000000Z',
      });
    },
  );

  it('refuses one named __proto__ at the door; one queued before, the DLQ takes at once and its group goes on', async () => {
    const tenant = 'odd-event-proto';
    const refused = await ingest('connections', named(tenant, '__proto__', 1));
    expect(refused).toEqual({ status: 400 });
    const link = await ingest('connections', named(tenant, 'LINK', 2));
    const { groupId } = link.message as { body: string; groupId: string };
    // As ingest queued it before the rule: the marshaller made its name the map's prototype, and
    // DynamoDB refused the record on every try.
    const queued = { body: envelopeOf('connections', named(tenant, '__proto__', 1)), groupId };
    const letters: PoisonLetter[] = [];
    const { failed } = await consume(
      'connections',
      [queued, link.message as { body: string; groupId: string }],
      letters,
    );
    expect(failed).toEqual([]);
    expect(letters.map((l) => [l.body, l.reason])).toEqual([
      [
        queued.body,
        'invalid connections event: event cannot be __proto__ (a map key DynamoDB cannot hold)',
      ],
    ]);
    const [record] = (await take(store.listConnections({ tenant }), 2)) as ConnectionRecord[];
    expect(record).toMatchObject({ event: 'LINK', event_count: 1 });
    expect(record?.last_at_by_event).toEqual({ LINK: '2026-11-01T10:02:00.000000Z' });
  });
});
