import { CreateQueueCommand, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { randomBytes } from 'node:crypto';
import { dynamoDbEventStore, dynamoDbRecordQueries } from '../../lib/aws/dynamodb/dynamodb-store';
import { batchConsumer } from '../../lib/consumer/consume-batch';
import { startFauxqs } from '../../lib/local/emulators';
import { localSqsClient } from '../../lib/local/local-stack-facts';
import { startPoller } from '../../lib/local/sqs-poller';
import { queueOrder } from '../../lib/records/message-group';
import { buildEnvelope } from '../../lib/webhook/envelope';
import { eventKey } from '../../lib/webhook/event-key';
import { samplePayload } from '../../lib/webhook/samples';
import {
  createProjectTables,
  documentClient,
  startDynamoDbLocal,
} from '../../test/support/dynamo-servers';

/**
 * (g) One hot entity: 1,000 events of one connection queued on a FIFO queue (fauxqs) in their
 * entity's message group, as ingest queues them, and consumed by 32 consumers at once, each with
 * its own clients and store as 32 Lambda instances would be (the real batchConsumer, through the
 * local stack's poller, against DynamoDB Local): the lost races per 1,000 events (0 by
 * construction: the queue gives a group to one consumer at a time), and the records that failed.
 */
export async function benchHotEntity(events = 1_000, consumers = 32) {
  const backend = await startDynamoDbLocal();
  const sqsServer = await startFauxqs(0);
  const sqs = localSqsClient(sqsServer.endpoint, 'us-east-1');
  try {
    const tables = await createProjectTables(backend.endpoint, 'bench');
    const queue = await sqs.send(
      new CreateQueueCommand({
        QueueName: 'bench-hot.fifo',
        Attributes: {
          FifoQueue: 'true',
          DeduplicationScope: 'messageGroup',
          FifoThroughputLimit: 'perMessageGroupId',
          VisibilityTimeout: '180',
        },
      }),
    );
    const queueUrl = queue.QueueUrl ?? '';
    const base = Date.parse('2026-02-01T00:00:00Z');
    const tenant = `hot-${randomBytes(4).toString('hex')}`;
    for (let i = 0; i < events; i += 10) {
      const entries = Array.from({ length: Math.min(10, events - i) }, (_, n) => {
        const payload = samplePayload('connections', {
          now: new Date(base + (i + n) * 1000),
          overrides: {
            tenant,
            event: (i + n) % 2 === 0 ? 'LINK' : 'UNLINK',
            event_id: `${tenant}-${i + n}`,
          },
        });
        const key = eventKey('connections', payload);
        const body = buildEnvelope({
          kind: 'connections',
          body: Buffer.from(JSON.stringify(payload)),
          receivedAt: new Date(),
          requestId: `bench-${i + n}`,
          eventKey: key,
        });
        const order = queueOrder('connections', payload, key);
        return {
          Id: String(n),
          MessageBody: body,
          MessageGroupId: order.groupId,
          MessageDeduplicationId: order.deduplicationId,
        };
      });
      await sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries }));
    }
    let stored = 0;
    let conflicts = 0;
    let failed = 0;
    const log = {
      info: (message: string, fields: Record<string, unknown> = {}) => {
        if (message !== 'event stored') return;
        stored += 1;
        conflicts += Number(fields.conflicts ?? 0);
      },
      warn: () => undefined,
      error: (message: string) => {
        if (message === 'record failed') failed += 1;
      },
    };
    const clients = Array.from({ length: consumers }, () => documentClient(backend.endpoint));
    const t0 = performance.now();
    const pollers = clients.map((db) =>
      startPoller({
        sqs,
        queueUrl,
        queueArn: 'arn:aws:sqs:us-east-1:000000000000:bench-hot.fifo',
        region: 'us-east-1',
        functionName: 'bench-consume-connections',
        timeoutSeconds: 30,
        batchSize: 10,
        reportBatchItemFailures: true,
        retryDelaySeconds: 1,
        handler: batchConsumer('connections', {
          store: dynamoDbEventStore(db, tables),
          notifier: { publish: async () => undefined },
          log,
          counters: { count: () => undefined },
        }),
        log: () => undefined,
      }),
    );
    while (stored < events) await new Promise((r) => setTimeout(r, 50));
    const seconds = (performance.now() - t0) / 1000;
    await Promise.all(pollers.map((p) => p.stop()));
    const record = await dynamoDbRecordQueries(clients[0] as DynamoDBDocumentClient, tables)
      .listConnections({ tenant })
      [Symbol.asyncIterator]()
      .next();
    for (const db of clients) db.destroy();
    return {
      events,
      consumers,
      conflicts,
      conflictsPer1000: (conflicts / events) * 1000,
      failed,
      eventCount: (record.value as { event_count?: number } | undefined)?.event_count ?? 0,
      eventsPerSecond: events / seconds,
    };
  } finally {
    sqs.destroy();
    await sqsServer.close();
    await backend.stop();
  }
}
