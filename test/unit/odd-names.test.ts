import { batchConsumer } from '../../lib/consumer/consume-batch';
import { handleIngest } from '../../lib/ingest/handle-ingest';
import type { ConnectionRecord } from '../../lib/records/connections';
import type { DiscoverRecord } from '../../lib/records/discover';
import { ENTITIES } from '../../lib/records/entities';
import { statusClass, type JobRecord } from '../../lib/records/jobs';
import type { StoredEvent } from '../../lib/records/stored-event';
import { take } from '../../lib/records/views';
import { canonicalJson } from '../../lib/webhook/content-hash';
import type { Kind } from '../../lib/webhook/kinds';
import { microsToIso, toEpochMicros } from '../../lib/webhook/time';
import { ingestDoubles, recordingCounters, recordingLog } from '../support/doubles';
import { fifoBatch, hmacHex, payloadOf } from '../support/events';
import { stored } from '../support/lifecycle';
import { memoryStore } from '../support/memory-store';
import { recordOfHistory } from '../support/merges';

/**
 * Payload text that names something on Object.prototype, as every name and status field and as
 * field names: each event is refused at the door or stored as the merge says, never failed.
 */
const ODD = ['constructor', '__proto__', 'toString', 'hasOwnProperty'] as const;
const SECRET = 'odd-names';

/** Posts `payload` to ingest, signed; the answer's status and the queue message when accepted. */
async function ingest(kind: Kind, payload: Record<string, unknown>) {
  const doubles = ingestDoubles({
    secrets: { jobs: [SECRET], discover: [SECRET], connections: [SECRET] },
  });
  const body = Buffer.from(JSON.stringify(payload));
  const response = await handleIngest(
    {
      method: 'POST',
      path: `/webhooks/${kind}`,
      headers: { 'x-hub-signature': hmacHex(SECRET, body) },
      body,
      requestId: 'odd',
      receivedAt: new Date('2026-11-01T00:00:00Z'),
    },
    doubles.deps,
  );
  return { response, sent: doubles.queue.sent };
}

/**
 * A connection event's name for `word`: itself, but for __proto__, which ingest refuses as an
 * event name (it is a key of the record's `last_at_by_event` map; see the test below).
 */
const eventNamed = (word: string): string => (word === '__proto__' ? 'UNLINK' : word);

/** The events of one entity whose every identity, name and status is `word`. */
function eventsNamed(kind: Kind, word: string): Record<string, unknown>[] {
  const at = (minute: number) => `2026-11-01T10:0${minute}:00.000000+00:00`;
  // A field named like the word too, except __proto__, which ingest refuses as a key.
  const named = word === '__proto__' ? {} : { [word]: 7 };
  if (kind === 'jobs') {
    const base = { s3_root: word, tenant: word, flow_id: word, env_id: word, job_id: word };
    return [
      { ...base, ...named, status: word, last_updated: at(1) },
      {
        ...base,
        status: 'SYNC_STARTED',
        last_updated: at(2),
        status_timestamp: { SYNC_STARTED: 7, ...named },
      },
    ];
  }
  if (kind === 'discover') {
    const base = { tenant: word, flow_id: word, connector: word, env_id: word };
    return [
      { ...base, ...named, status: word, timestamp: at(1) },
      { ...base, status: 'DISCOVER_SUCCESS', timestamp: at(2) },
    ];
  }
  const base = { tenant: word, flow_id: word, connector: word, connector_type: word, env_id: word };
  return [
    { ...base, ...named, event: eventNamed(word), event_id: word, timestamp: at(1) },
    { ...base, event: 'LINK', event_id: `${word}-2`, timestamp: at(2) },
  ];
}

/** One consumer invocation over the queue messages, with the in-memory store. */
async function consume(kind: Kind, messages: { messageBody: string; groupId: string }[]) {
  const store = memoryStore();
  const handler = batchConsumer(kind, {
    store,
    notifier: { publish: async () => undefined },
    log: recordingLog(),
    counters: recordingCounters(),
  });
  const records = fifoBatch(messages.map((m) => ({ body: m.messageBody, groupId: m.groupId })));
  const { batchItemFailures } = await handler({ Records: records });
  return { store, failed: batchItemFailures };
}

/** Folds `events` one at a time in `order`, through JSON as an item would carry the state. */
function folded(kind: Kind, events: StoredEvent[], order: number[]): unknown {
  const entity = ENTITIES[kind];
  let state: { record: unknown; fold: unknown } | undefined;
  for (const i of order) {
    const next = entity.fold(state as never, events[i] as StoredEvent, true);
    state = JSON.parse(JSON.stringify(next)) as typeof state;
  }
  return state?.record;
}

describe('payload text named like Object.prototype', () => {
  it('classes a job status of each such name as other, never running', () => {
    for (const word of ODD) expect([word, statusClass(word)]).toEqual([word, 'other']);
  });

  it('refuses a body with a key named __proto__ at the door, naming why', async () => {
    const payload = JSON.parse(
      `{"__proto__": {"polluted": true}, ${JSON.stringify(payloadOf('jobs')).slice(1)}`,
    ) as Record<string, unknown>;
    const { response, sent } = await ingest('jobs', payload);
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body)).toEqual({ error: 'body has a key named __proto__' });
    expect(sent).toEqual([]);
  });

  it('refuses a connection event named __proto__ at the door, naming why', async () => {
    const [named] = eventsNamed('connections', 'constructor');
    const { response, sent } = await ingest(
      'connections',
      payloadOf('connections', { ...named, event: '__proto__' }),
    );
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body)).toEqual({
      error:
        'invalid connections event: event cannot be __proto__ (a map key DynamoDB cannot hold)',
    });
    expect(sent).toEqual([]);
  });

  describe.each(ODD)('%s as every name and status', (word) => {
    it.each<Kind>(['jobs', 'discover', 'connections'])(
      'stores %s events, their records as the merge of the set in either order',
      async (kind) => {
        const payloads = eventsNamed(kind, word);
        const messages: { messageBody: string; groupId: string }[] = [];
        for (const payload of payloads) {
          const { response, sent } = await ingest(kind, payloadOf(kind, payload));
          expect([response.statusCode, response.body]).toEqual([202, expect.any(String)]);
          messages.push(...sent);
        }
        const { store, failed } = await consume(kind, messages);
        expect(failed).toEqual([]);
        const events = payloads.map((p) => stored(payloadOf(kind, p)));
        const spec = recordOfHistory(kind, events);
        expect(canonicalJson(folded(kind, events, [0, 1]))).toBe(canonicalJson(spec));
        expect(canonicalJson(folded(kind, events, [1, 0]))).toBe(canonicalJson(spec));
        if (kind === 'jobs') {
          const job = (await store.getJob(word)) as unknown as JobRecord;
          expect(job.status).toBe('SYNC_STARTED');
          expect(job.status_class).toBe('running');
          expect(job.updated_at).toBe('2026-11-01T10:02:00.000000Z');
          expect(Object.hasOwn(job, 'status_timestamp')).toBe(true);
          const first = (spec as JobRecord).fields;
          expect(Object.getPrototypeOf(first)).toBe(Object.prototype);
        } else if (kind === 'discover') {
          const [state] = (await take(store.listDiscover({ tenant: word }), 2)) as DiscoverRecord[];
          expect(state?.status).toBe('DISCOVER_SUCCESS');
          expect(state?.updated_at).toBe('2026-11-01T10:02:00.000000Z');
        } else {
          const [link] = (await take(
            store.listConnections({ tenant: word }),
            2,
          )) as ConnectionRecord[];
          expect(link?.event_count).toBe(2);
          expect(link?.linked).toBe(true);
          expect(link?.last_linked_at).toBe('2026-11-01T10:02:00.000000Z');
          const name = eventNamed(word);
          expect(Object.hasOwn(link?.last_at_by_event ?? {}, name)).toBe(true);
          expect(link?.last_at_by_event[name]).toBe('2026-11-01T10:01:00.000000Z');
        }
      },
    );
  });

  it('folds a field named __proto__ as data when one reaches the store', () => {
    const [a, b] = [
      { s3_root: 'p', tenant: 't', flow_id: 'f', status: 'SYNC_STARTED', last_updated: 1 },
      { s3_root: 'p', tenant: 't', flow_id: 'f', status: 'SYNC_FAILED', last_updated: 2 },
    ].map((p, i) => stored(JSON.parse(`{"__proto__": {"n": ${i}}, ${JSON.stringify(p).slice(1)}`)));
    const events = [a, b] as StoredEvent[];
    const record = folded('jobs', events, [1, 0]) as JobRecord;
    expect(Object.hasOwn(record.fields, '__proto__')).toBe(true);
    expect(Object.getOwnPropertyDescriptor(record.fields, '__proto__')?.value).toEqual({ n: 1 });
    expect(canonicalJson(record)).toBe(canonicalJson(recordOfHistory('jobs', events)));
  });
});

describe('times outside what a Date holds', () => {
  it('count as no time: an event with last_updated 1e20 is stored, the value as given', async () => {
    expect(toEpochMicros(1e20)).toBeUndefined();
    expect(toEpochMicros(-1e20)).toBeUndefined();
    expect(toEpochMicros('9999-12-31T23:59:59.999999+00:00')).toBeUndefined();
    expect(microsToIso(toEpochMicros('2255-01-01T00:00:00Z') ?? 0)).toBe(
      '2255-01-01T00:00:00.000000Z',
    );
    const payload = payloadOf('jobs', {
      s3_root: 'far',
      status: 'SYNC_STARTED',
      last_updated: 1e20,
    });
    delete payload.status_timestamp;
    const { response, sent } = await ingest('jobs', payload);
    expect(response.statusCode).toBe(202);
    const { store, failed } = await consume('jobs', sent);
    expect(failed).toEqual([]);
    const job = (await store.getJob('far')) as unknown as JobRecord & Record<string, unknown>;
    expect(job.status).toBe('SYNC_STARTED');
    expect(job.last_updated).toBe(1e20);
    expect(job.updated_at).toBeUndefined();
  });
});
