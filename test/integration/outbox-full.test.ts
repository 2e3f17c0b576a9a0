import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { SQSRecord } from 'aws-lambda';
import { dynamoDbStore } from '../../lib/aws/dynamodb/dynamodb-store';
import { itemBytes } from '../../lib/aws/dynamodb/item-size';
import { CURRENT, outboxOf } from '../../lib/aws/dynamodb/table-layout';
import { batchConsumer } from '../../lib/consumer/consume-batch';
import { OUTBOX_MAX_BYTES, outboxBytes } from '../../lib/ports/event-store';
import { ABANDONED_AFTER_MS } from '../../lib/ports/notifier';
import type { Notification } from '../../lib/records/changes';
import { ENTITIES } from '../../lib/records/entities';
import { createProjectTables, documentClient, suiteDynalite } from '../support/dynamo-servers';
import { recordingCounters, recordingLog } from '../support/doubles';
import { envelopeOf, payloadOf, sqsRecord } from '../support/events';

/**
 * One connection changes 300 times while the bus is down, more than its outbox can hold (it is
 * full with some 85 notifications, after some 190 changes). Its CURRENT item stays writable and
 * under DynamoDB's 400 KB, the events past a full outbox wait (fail, come back) instead of being
 * stored without their notifications, and once the bus is back every notification is published.
 */
const dynamo = suiteDynalite();

const EVENTS = 300;
const at = (i: number) => new Date(Date.UTC(2026, 10, 1, 0, 0, i)).toISOString();
const payloads = Array.from({ length: EVENTS }, (_, i) =>
  payloadOf('connections', {
    tenant: 'outbox-tenant',
    event: i % 2 === 0 ? 'LINK' : 'UNLINK',
    event_id: `ob-${String(i).padStart(4, '0')}`,
    timestamp: at(i),
  }),
);

describe('an entity whose notifications cannot be published for a long time', () => {
  it('keeps its item bounded, holds its later events back, and loses no notification', async () => {
    const tables = await createProjectTables(dynamo().endpoint);
    const db = documentClient(dynamo().endpoint);
    const store = dynamoDbStore(db, tables);
    let busDown = true;
    const published = new Map<string, Notification>();
    const consume = batchConsumer('connections', {
      store,
      notifier: {
        publish: async (notifications) => {
          if (busDown) throw new Error('the bus is down');
          for (const n of notifications) published.set(n.id, n);
        },
      },
      log: recordingLog(),
      counters: recordingCounters(),
      // Each retry comes back 180 s later on SQS: by then a previous try's outbox counts as
      // abandoned, and is published by this one rather than waited for.
      now: () => Date.now() + ABANDONED_AFTER_MS,
    });
    const key = ENTITIES.connections.key(payloads[0] ?? {});
    const item = async () =>
      (
        await db.send(
          new GetCommand({ TableName: tables.connections, Key: { pk: key, sk: CURRENT } }),
        )
      ).Item;
    /** One pass over the waiting records in batches of `size`, as SQS would hand them out. */
    const pass = async (waiting: SQSRecord[], size = 10): Promise<SQSRecord[]> => {
      const failed: SQSRecord[] = [];
      for (let i = 0; i < waiting.length; i += size) {
        const batch = waiting.slice(i, i + size);
        const { batchItemFailures } = await consume({ Records: batch });
        const ids = new Set(batchItemFailures.map((f) => f.itemIdentifier));
        failed.push(...batch.filter((r) => ids.has(r.messageId)));
      }
      return failed;
    };
    let waiting = payloads.map((p, i) =>
      sqsRecord(envelopeOf('connections', p), { messageId: `msg-${i}` }),
    );
    // The bus is down, and each event arrives alone (a change each): the outbox fills to its
    // bound, and the events that would add to it are not stored.
    waiting = await pass(waiting, 1);
    expect(waiting).toHaveLength(EVENTS);
    expect((await item())?.event_count).toBeLessThan(EVENTS);
    const full = await item();
    expect(itemBytes(full ?? {})).toBeLessThan(400 * 1024);
    expect(outboxBytes(outboxOf(full))).toBeLessThanOrEqual(OUTBOX_MAX_BYTES);
    expect(published.size).toBe(0);
    // The bus is back: the waiting events come back (as SQS retries them) and are all stored.
    busDown = false;
    for (let round = 0; waiting.length > 0 && round < 20; round += 1) waiting = await pass(waiting);
    expect(waiting).toEqual([]);
    expect((await item())?.event_count).toBe(EVENTS);
    expect(outboxOf(await item())).toEqual([]);
    // Every notification the full outbox held was published once the bus came back.
    const held = outboxOf(full).map((u) => u.notification.id);
    expect(held.length).toBeGreaterThan(10);
    expect(held.filter((id) => !published.has(id))).toEqual([]);
    // The latest notification published says the connection's final state.
    const last = payloads.at(-1) ?? {};
    const latest = [...published.values()].sort((a, b) => (a.time < b.time ? 1 : -1))[0];
    expect(latest?.detail.linked).toBe(last.event === 'LINK');
    expect((await item())?.linked).toBe(last.event === 'LINK');
    db.destroy();
  }, 120_000);
});
