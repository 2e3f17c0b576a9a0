import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { localDynamoDbClient } from '../../lib/local/local-stack-facts';
import { startStackChild } from '../../test/support/stack-process';
import { planLoad, sendAll, waitForDrain } from '../load-plan';

/** (b) Events per second from POST to stored record, against dynalite's conditional UpdateItem rate. */
export async function benchEndToEnd(events: number, concurrency: number) {
  const dataDir = await mkdtemp(join(tmpdir(), 'hotglue-bench-'));
  const secret = randomBytes(16).toString('hex');
  const stack = await startStackChild(dataDir, { WEBHOOK_SECRET: secret });
  try {
    const client = localDynamoDbClient(
      stack.info.dynamodbEndpoint,
      stack.info.region,
      stack.info.accessKeyId,
    );
    const db = DynamoDBDocumentClient.from(client);
    await client.send(
      new CreateTableCommand({
        TableName: 'bench-scratch',
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      }),
    );
    const updates = events;
    let next = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < updates) {
          const i = next++;
          await db.send(
            new UpdateCommand({
              TableName: 'bench-scratch',
              Key: { pk: `k${i % 200}` },
              UpdateExpression: 'SET n = if_not_exists(n, :zero) + :one',
              ConditionExpression: 'attribute_not_exists(pk) OR n >= :zero',
              ExpressionAttributeValues: { ':zero': 0, ':one': 1 },
            }),
          );
        }
      }),
    );
    const dynaliteRate = updates / ((performance.now() - t0) / 1000);
    client.destroy();

    const plan = planLoad(events, 0, 7);
    const started = performance.now();
    const sent = await sendAll(plan, stack.info.baseUrl, secret, concurrency);
    await waitForDrain(stack.info, 600_000);
    const seconds = (performance.now() - started) / 1000;
    const rate = sent.accepted / seconds;
    return {
      events: sent.accepted,
      eventsPerSecond: rate,
      dynaliteUpdatesPerSecond: dynaliteRate,
      ratio: rate / dynaliteRate,
    };
  } finally {
    await stack.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}
