import {
  CreateQueueCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { queueDepth } from '../../lib/aws/queue-depth';
import { LOCAL_CREDENTIALS, localSqsClient } from '../../lib/local/local-stack-facts';
import { ENTITIES } from '../../lib/records/entities';
import { deduplicationIdOf, messageGroupId } from '../../lib/records/message-group';
import { MAX_BODY_BYTES, parseEnvelope } from '../../lib/webhook/envelope';
import { KINDS, type Kind } from '../../lib/webhook/kinds';
import { hmacHex, httpApiEvent, payloadOf } from '../support/events';
import { startFauxqsProcess } from '../support/processes';

type Handler = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;

const SECRET = 'integration-secret';
let fauxqs: { endpoint: string; stop: () => Promise<void> };
let sqs: SQSClient;
const queueUrls = {} as Record<Kind, string>;

/** Loads functions/ingest afresh with `env`, as a Lambda cold start would. */
const savedEnv = { ...process.env };
afterEach(() => {
  process.env = { ...savedEnv };
});

/**
 * Loads functions/ingest afresh with `env`, as a Lambda cold start would. The SDK reads some
 * settings lazily, so the variables stay set until the test ends.
 */
function loadHandler(env: Record<string, string>): Handler {
  Object.assign(process.env, env);
  let handler: Handler | undefined;
  jest.isolateModules(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a fresh module per cold start
    handler = (require('../../functions/ingest') as { handler: Handler }).handler;
  });
  return handler as Handler;
}

function envFor(endpoint: string): Record<string, string> {
  return {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_SQS: endpoint,
    WEBHOOK_SECRET: SECRET,
    JOBS_QUEUE_URL: queueUrls.jobs,
    DISCOVER_QUEUE_URL: queueUrls.discover,
    CONNECTIONS_QUEUE_URL: queueUrls.connections,
  };
}

/**
 * Takes the one message on a kind's queue, and deletes it so that no later test can see it again
 * (however long the test takes, whatever the visibility timeout).
 */
async function takeOne(kind: Kind) {
  const got = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrls[kind],
      WaitTimeSeconds: 2,
      MaxNumberOfMessages: 10,
      MessageSystemAttributeNames: ['MessageGroupId', 'MessageDeduplicationId'],
    }),
  );
  expect(got.Messages).toHaveLength(1);
  for (const m of got.Messages ?? [])
    await sqs.send(
      new DeleteMessageCommand({ QueueUrl: queueUrls[kind], ReceiptHandle: m.ReceiptHandle }),
    );
  expect(await queueDepth(sqs, queueUrls[kind])).toBe(0);
  return got.Messages?.[0];
}

beforeAll(async () => {
  fauxqs = await startFauxqsProcess();
  sqs = localSqsClient(fauxqs.endpoint, 'us-east-1');
  for (const kind of KINDS) {
    const created = await sqs.send(
      new CreateQueueCommand({
        QueueName: `it-${kind}.fifo`,
        // As serverless.yml defines the queues: FIFO in high-throughput mode.
        Attributes: {
          MaximumMessageSize: '1048576',
          FifoQueue: 'true',
          DeduplicationScope: 'messageGroup',
          FifoThroughputLimit: 'perMessageGroupId',
        },
      }),
    );
    queueUrls[kind] = created.QueueUrl ?? '';
  }
}, 30_000);

afterAll(async () => {
  sqs?.destroy();
  await fauxqs?.stop();
});

describe('functions/ingest against fauxqs over HTTP', () => {
  it.each(KINDS)(
    'puts the exact %s body on its queue with kind, time, request id and event key',
    async (kind) => {
      const handler = loadHandler(envFor(fauxqs.endpoint));
      const body = `${JSON.stringify(payloadOf(kind), null, 1)}\n`;
      const result = await handler(
        httpApiEvent({
          path: `/webhooks/${kind}`,
          body,
          headers: { 'x-hub-signature': hmacHex(SECRET, body) },
          requestId: `it-${kind}`,
        }),
      );
      expect(result.statusCode).toBe(202);
      const answer = JSON.parse(result.body ?? '{}') as { id: string; kind: string };
      expect(answer.kind).toBe(kind);
      const message = await takeOne(kind);
      expect(message?.MessageId).toBe(answer.id);
      const { envelope, body: queued } = parseEnvelope(message?.Body ?? '');
      expect(queued.toString('utf8')).toBe(body);
      expect(envelope.kind).toBe(kind);
      expect(envelope.requestId).toBe(`it-${kind}`);
      expect(envelope.receivedAt).toBe('2026-11-29T05:00:00.000Z');
      expect(envelope.eventKey).toMatch(/^[0-9a-f]{64}$/);
      // In its entity's group, deduplicated by its event key and content.
      const payload = JSON.parse(body) as Record<string, unknown>;
      const entityKey = ENTITIES[kind].key(payload);
      expect(message?.Attributes?.MessageGroupId).toBe(messageGroupId(entityKey));
      expect(message?.Attributes?.MessageDeduplicationId).toBe(
        deduplicationIdOf(envelope.eventKey, payload),
      );
    },
  );

  it('queues a base64-encoded body of exactly the size limit, byte for byte', async () => {
    const handler = loadHandler(envFor(fauxqs.endpoint));
    const base = JSON.stringify(payloadOf('jobs', { pad: '' }));
    const body = Buffer.from(
      base.replace(
        '"pad":""',
        `"pad":"${'x'.repeat((MAX_BODY_BYTES - base.length) % 2)}${'é'.repeat(Math.floor((MAX_BODY_BYTES - base.length) / 2))}"`,
      ),
    );
    expect(body.length).toBe(MAX_BODY_BYTES);
    const result = await handler(
      httpApiEvent({
        path: '/webhooks',
        body,
        base64: true,
        headers: { 'x-hub-signature': hmacHex(SECRET, body) },
      }),
    );
    expect(result.statusCode).toBe(202);
    const message = await takeOne('jobs');
    expect(parseEnvelope(message?.Body ?? '').body.equals(body)).toBe(true);
  });

  it('queues two contents of one job event identity, and drops a redelivery of either', async () => {
    const handler = loadHandler(envFor(fauxqs.endpoint));
    // No last_updated and no status timestamp: the event key is the s3_root and the status alone.
    const first = payloadOf('jobs', {
      s3_root: 'it/dedup/1',
      status: 'SYNC_STARTED',
      last_updated: undefined,
      status_timestamp: undefined,
      metrics: { recordCount: { Account: 1 } },
    });
    const second = { ...first, metrics: { recordCount: { Account: 2 } } };
    const bodies = [first, second, first, second].map((p) => JSON.stringify(p));
    for (const body of bodies) {
      const result = await handler(
        httpApiEvent({
          path: '/webhooks/jobs',
          body,
          headers: { 'x-hub-signature': hmacHex(SECRET, body) },
        }),
      );
      expect(result.statusCode).toBe(202);
    }
    // fauxqs hands out one message of a group at a time: take them one by one.
    const queued: { body: string; eventKey: string }[] = [];
    for (;;) {
      const got = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrls.jobs, WaitTimeSeconds: 1 }),
      );
      const [message] = got.Messages ?? [];
      if (message === undefined) break;
      const { envelope, body } = parseEnvelope(message.Body ?? '');
      queued.push({ body: body.toString(), eventKey: envelope.eventKey });
      await sqs.send(
        new DeleteMessageCommand({
          QueueUrl: queueUrls.jobs,
          ReceiptHandle: message.ReceiptHandle,
        }),
      );
    }
    // Both contents, in order, under one event key; neither redelivery.
    expect(queued.map((m) => m.body)).toEqual(bodies.slice(0, 2));
    expect(new Set(queued.map((m) => m.eventKey)).size).toBe(1);
  });

  it('answers every refusal without queueing anything', async () => {
    const handler = loadHandler(envFor(fauxqs.endpoint));
    const job = JSON.stringify(payloadOf('jobs'));
    const cases: [APIGatewayProxyEventV2, number][] = [
      [httpApiEvent({ path: '/webhooks/jobs', body: job }), 401],
      [
        httpApiEvent({
          path: '/webhooks/jobs',
          body: job,
          headers: { 'x-hub-signature': hmacHex('nope', job) },
        }),
        401,
      ],
      [
        httpApiEvent({
          path: '/webhooks/jobs',
          body: '[]',
          headers: { 'x-hub-signature': hmacHex(SECRET, '[]') },
        }),
        400,
      ],
      [
        httpApiEvent({
          path: '/webhooks/discover',
          body: job,
          headers: { 'x-hub-signature': hmacHex(SECRET, job) },
        }),
        400,
      ],
      [httpApiEvent({ path: '/elsewhere', body: job }), 404],
      [httpApiEvent({ method: 'PUT', path: '/webhooks', body: job }), 405],
      [httpApiEvent({ path: '/webhooks/jobs', body: Buffer.alloc(MAX_BODY_BYTES + 1, 0x20) }), 413],
    ];
    for (const [event, status] of cases) {
      const result = await handler(event);
      expect(result.statusCode).toBe(status);
      expect(Object.keys(JSON.parse(result.body ?? '{}') as object)).toEqual(['error']);
    }
    // Waiting and in-flight messages alike: none, on any queue.
    for (const kind of KINDS) expect(await queueDepth(sqs, queueUrls[kind])).toBe(0);
  });

  it('answers 503 when SQS cannot be reached', async () => {
    const handler = loadHandler(envFor('http://127.0.0.1:9'));
    const job = JSON.stringify(payloadOf('jobs'));
    const result = await handler(
      httpApiEvent({
        path: '/webhooks/jobs',
        body: job,
        headers: { 'x-hub-signature': hmacHex(SECRET, job) },
      }),
    );
    expect(result.statusCode).toBe(503);
    expect(JSON.parse(result.body ?? '{}')).toEqual({ error: 'queue unavailable, retry later' });
  });
});
