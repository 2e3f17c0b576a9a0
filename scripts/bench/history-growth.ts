import { BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dynamoDbStore } from '../../lib/aws/dynamodb/dynamodb-store';
import {
  encodePayload,
  EVENT_PREFIX,
  historyAttributes,
  toCurrentItem,
} from '../../lib/aws/dynamodb/table-layout';
import { ENTITIES } from '../../lib/records/entities';
import type { StoredEvent } from '../../lib/records/stored-event';
import { contentHash } from '../../lib/webhook/content-hash';
import { samplePayload } from '../../lib/webhook/samples';
import {
  createProjectTables,
  documentClient,
  startDynamoDbLocal,
} from '../../test/support/dynamo-servers';
import { startStackChild } from '../../test/support/stack-process';
import { sendAll, waitForDrain } from '../load-plan';
import { median } from './common';

/** Writes `events` as one connection's history straight into its table, with the CURRENT item
 * they fold to, the way storing them one by one would leave them (but in seconds). */
async function seedConnection(db: DynamoDBDocumentClient, table: string, events: StoredEvent[]) {
  const entity = ENTITIES.connections;
  let folded: { record: unknown; fold: unknown } | undefined;
  const items: Record<string, unknown>[] = [];
  for (const event of events) {
    folded = entity.fold(folded as never, event, true);
    items.push({
      pk: entity.key(event.payload),
      sk: `${EVENT_PREFIX}${entity.historyId(event)}`,
      ...historyAttributes('connections', event),
      payload_gz: encodePayload(event.payload),
    });
  }
  const first = events[0] as StoredEvent;
  const state = folded as { record: Record<string, unknown>; fold: unknown };
  const pk = entity.key(first.payload);
  items.push(
    toCurrentItem('connections', pk, {
      version: 1,
      record: state.record,
      fold: state.fold,
      pending: [],
      outbox: [],
    }),
  );
  for (let i = 0; i < items.length; i += 25) {
    let request: Record<string, unknown>[] | undefined = items
      .slice(i, i + 25)
      .map((Item) => ({ PutRequest: { Item } }));
    while (request !== undefined && request.length > 0) {
      const done = await db.send(new BatchWriteCommand({ RequestItems: { [table]: request } }));
      request = done.UnprocessedItems?.[table] as Record<string, unknown>[] | undefined;
    }
  }
}

/**
 * (f) What storing one more event costs for a connection whose history already holds 10, 1,000
 * and 10,000 events (DynamoDB Local): median time, and read and write units per event.
 */
export async function benchHistoryGrowth() {
  const backend = await startDynamoDbLocal();
  try {
    const tables = await createProjectTables(backend.endpoint, 'bench');
    const db = documentClient(backend.endpoint);
    const store = dynamoDbStore(db, tables);
    const base = Date.parse('2026-01-01T00:00:00Z');
    const event = (tenant: string, i: number): StoredEvent => {
      const payload = samplePayload('connections', {
        now: new Date(base + i * 1000),
        overrides: { tenant, event: i % 2 === 0 ? 'LINK' : 'UNLINK', event_id: `${tenant}-${i}` },
      });
      return { hash: contentHash(payload), receivedAt: new Date().toISOString(), payload };
    };
    const sizes = [10, 1_000, 10_000];
    for (const size of sizes)
      await seedConnection(
        db,
        tables.connections,
        Array.from({ length: size }, (_, i) => event(`growth-${size}`, i)),
      );
    // Warm up DynamoDB Local's JIT on another connection, then take turns between the sizes so
    // that a busy spell of the machine weighs on all of them alike.
    for (let i = 0; i < 40; i += 1) {
      const warm = event('growth-warm-up', i);
      const { recorded } = await store.store('connections', warm);
      await store.markSent('connections', ENTITIES.connections.key(warm.payload), recorded);
    }
    const samples = new Map(
      sizes.map((size) => [size, { ms: [] as number[], reads: 0, writes: 0 }]),
    );
    const rounds = 5;
    const perRound = 8;
    for (let round = 0; round < rounds; round += 1) {
      for (const size of sizes) {
        const sample = samples.get(size) as { ms: number[]; reads: number; writes: number };
        for (let i = 0; i < perRound; i += 1) {
          const t0 = performance.now();
          const next = event(`growth-${size}`, size + round * perRound + i);
          const outcome = await store.store('connections', next);
          sample.ms.push(performance.now() - t0);
          sample.reads += outcome.readUnits;
          sample.writes += outcome.writeUnits;
          // As the consumer does once it has published them (not timed: figure d counts it), so
          // that the outbox does not grow from one sample to the next.
          if (outcome.recorded.length > 0)
            await store.markSent(
              'connections',
              ENTITIES.connections.key(next.payload),
              outcome.recorded,
            );
        }
      }
    }
    const rows = sizes.map((size) => {
      const sample = samples.get(size) as { ms: number[]; reads: number; writes: number };
      return {
        history: size,
        medianMs: median(sample.ms),
        readUnitsPerEvent: sample.reads / sample.ms.length,
        writeUnitsPerEvent: sample.writes / sample.ms.length,
      };
    });
    db.destroy();
    const [small, , large] = rows;
    return { rows, ratio: (large?.medianMs ?? 0) / (small?.medianMs ?? 1) };
  } finally {
    await backend.stop();
  }
}

/**
 * (f) on the local stack: the time to accept and store 80 events of one connection that already
 * holds 400, against 80 events of a fresh connection, each sent and drained on its own.
 */
export async function benchLocalGrowth() {
  const dataDir = await mkdtemp(join(tmpdir(), 'hotglue-bench-growth-'));
  const secret = randomBytes(16).toString('hex');
  const stack = await startStackChild(dataDir, { WEBHOOK_SECRET: secret });
  const connection = (tenant: string, from: number, count: number) => ({
    sends: Array.from({ length: count }, (_, i) => ({
      kind: 'connections' as const,
      body: JSON.stringify(
        samplePayload('connections', {
          now: new Date(Date.parse('2026-01-01T00:00:00Z') + (from + i) * 1000),
          overrides: { tenant, event_id: `${tenant}-${from + i}` },
        }),
      ),
    })),
  });
  const timed = async (tenant: string, from: number, count: number) => {
    const t0 = performance.now();
    const sent = await sendAll(connection(tenant, from, count), stack.info.baseUrl, secret, 8);
    await waitForDrain(stack.info, 300_000);
    if (sent.accepted !== count) throw new Error(`only ${sent.accepted} of ${count} accepted`);
    return (performance.now() - t0) / 1000;
  };
  try {
    await timed('growth-warm-up', 0, 80);
    await timed('growth-held', 0, 400);
    const fresh: number[] = [];
    const held: number[] = [];
    for (let round = 0; round < 3; round += 1) {
      fresh.push(await timed(`growth-fresh-${round}`, 0, 80));
      held.push(await timed('growth-held', 400 + round * 80, 80));
    }
    return {
      freshSeconds: median(fresh),
      heldSeconds: median(held),
      ratio: median(held) / median(fresh),
    };
  } finally {
    await stack.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}
