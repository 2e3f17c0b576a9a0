import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { GetQueueUrlCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { ListEventBusesCommand } from '@aws-sdk/client-eventbridge';
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { createDocumentClient } from '../../lib/aws/dynamodb-client';
import { dynamoDbEventStore, dynamoDbRecordQueries } from '../../lib/aws/dynamodb/dynamodb-store';
import { createEventBridgeClient, eventBridgeNotifier } from '../../lib/aws/eventbridge-notifier';
import { hotglueJobStatusApi } from '../../lib/aws/hotglue-api';
import { httpNotifier } from '../../lib/aws/http-notifier';
import { createSqsClient } from '../../lib/aws/sqs-client';
import { sqsEventQueue } from '../../lib/aws/sqs-event-queue';
import { createSsmClient } from '../../lib/aws/ssm-client';
import { readSecureString, ssmSecretSource } from '../../lib/aws/ssm-secret-source';
import { resolveQueueTarget, resolveTables } from '../../lib/cli/target';
import type { CliConfig } from '../../lib/config/cli';
import { localDocumentClient, localSqsClient } from '../../lib/local/local-stack-facts';
import { QueueUnavailableError } from '../../lib/ports/event-queue';
import { SecretsUnavailableError } from '../../lib/ports/secret-source';
import type { Notification } from '../../lib/records/changes';

/**
 * A server that accepts connections and never answers, standing in for each dependency in turn:
 * every client the project builds fails when its request timeout passes (not only warns), and
 * every adapter gives a call up at the deadline its caller names.
 */
let server: Server;
let endpoint: string;
const sockets = new Set<Socket>();
const saved = { ...process.env };

beforeAll(async () => {
  server = createServer((socket) => {
    sockets.add(socket);
    socket.on('data', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // The clients the functions build find their endpoints as on Lambda, from the environment.
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_DYNAMODB: endpoint,
    AWS_ENDPOINT_URL_SQS: endpoint,
    AWS_ENDPOINT_URL_EVENTBRIDGE: endpoint,
    AWS_ENDPOINT_URL_SSM: endpoint,
  });
});
afterAll(async () => {
  process.env = saved;
  for (const s of sockets) s.destroy();
  await new Promise((resolve) => server.close(resolve));
});

/** How long `work` took to settle, and how: its error's name and message, if it threw. */
async function timed(work: () => Promise<unknown>): Promise<{ ms: number; error?: Error }> {
  const started = Date.now();
  try {
    await work();
    return { ms: Date.now() - started };
  } catch (error) {
    return { ms: Date.now() - started, error: error as Error };
  }
}

const CLI_CONFIG = { region: 'us-east-1' } as CliConfig;

const NOTIFICATION: Notification = {
  id: 'n-1',
  source: 'hotglue-webhooks',
  'detail-type': 'Job Failed',
  time: new Date().toISOString(),
  detail: { s3_root: 'hung/1' },
};

describe('every AWS client the project builds, against a server that never answers', () => {
  const clients: [string, () => Promise<unknown>][] = [
    ['the functions’ DynamoDB', () => createDocumentClient().send(get(), fresh())],
    ['the functions’ SQS', () => createSqsClient({ endpoint }).send(queueUrl(), fresh())],
    ['EventBridge', () => createEventBridgeClient().send(new ListEventBusesCommand({}), fresh())],
    ['the functions’ SSM', () => createSsmClient(1).send(parameter(), fresh())],
    [
      'the local stack’s DynamoDB',
      () => localDocumentClient(endpoint, 'us-east-1').send(get(), fresh()),
    ],
    [
      'the local stack’s SQS',
      () => localSqsClient(endpoint, 'us-east-1').send(queueUrl(), fresh()),
    ],
    [
      'the CLI’s DynamoDB',
      async () => (await resolveTables('hung', CLI_CONFIG)).db.send(get(), fresh()),
    ],
    [
      'the CLI’s SQS',
      async () =>
        ((await resolveQueueTarget('hung', CLI_CONFIG)).sqs as SQSClient).send(queueUrl(), fresh()),
    ],
  ];
  function get() {
    return new GetCommand({ TableName: 't', Key: { pk: 'p', sk: 's' } });
  }
  function queueUrl() {
    return new GetQueueUrlCommand({ QueueName: 'q' });
  }
  function parameter() {
    return new GetParameterCommand({ Name: '/p' });
  }
  /**
   * Each request is given 200 ms (the handler's option, for one call): without
   * throwOnRequestTimeout the SDK would only warn, and the call would wait for the abort at 8 s.
   */
  function fresh() {
    return { requestTimeout: 200, abortSignal: AbortSignal.timeout(8_000) };
  }

  it.each(clients)(
    '%s fails with a TimeoutError when its request timeout passes',
    async (_name, call) => {
      const { ms, error } = await timed(call);
      expect(error?.name).toBe('TimeoutError');
      expect(ms).toBeLessThan(8_000);
    },
    20_000,
  );
});

describe('every adapter, against a server that never answers, by the deadline its caller names', () => {
  /** Each call is given 300 ms; it must have given up well within a second of that. */
  const until = () => Date.now() + 300;
  const LATEST_MS = 1_500;

  it('the SQS event queue: QueueUnavailableError (ingest answers 503)', async () => {
    const queue = sqsEventQueue(createSqsClient({ endpoint }), { jobs: `${endpoint}/1/q.fifo` });
    const { ms, error } = await timed(() =>
      queue.send('jobs', { body: '{}', groupId: 'g', deduplicationId: 'd' }, until()),
    );
    expect(error).toBeInstanceOf(QueueUnavailableError);
    expect(ms).toBeLessThan(LATEST_MS);
  });

  it('the EventBridge notifier', async () => {
    const notifier = eventBridgeNotifier(createEventBridgeClient, 'bus');
    const { ms, error } = await timed(() => notifier.publish([NOTIFICATION], until()));
    expect(error?.name).toBe('AbortError');
    expect(ms).toBeLessThan(LATEST_MS);
  });

  it('the local stack’s NOTIFY_URL notifier', async () => {
    const notifier = httpNotifier({ url: endpoint });
    const { ms, error } = await timed(() => notifier.publish([NOTIFICATION], until()));
    expect(error?.message).toMatch(/NOTIFY_URL did not take a notification/);
    expect(ms).toBeLessThan(LATEST_MS);
  });

  it('the DynamoDB store: the outbox read, Job Stale and a poll’s state', async () => {
    const store = dynamoDbEventStore(createDocumentClient(), { jobs: 'hung-table' });
    for (const call of [
      () => store.unsent('jobs', 'JOB#hung/1', until()),
      () => store.recordStale('JOB#hung/1', undefined, NOTIFICATION, until()),
      () => store.recordPoll('JOB#hung/1', undefined, undefined, until()),
    ]) {
      const { ms, error } = await timed(call);
      expect(error?.name).toBe('AbortError');
      expect(ms).toBeLessThan(LATEST_MS);
    }
  });

  it('the DynamoDB queries, built with a deadline', async () => {
    const records = dynamoDbRecordQueries(createDocumentClient(), { jobs: 'hung-table' }, until());
    const { ms, error } = await timed(async () => {
      for await (const job of records.listJobs({})) void job;
    });
    expect(error?.name).toBe('AbortError');
    expect(ms).toBeLessThan(LATEST_MS);
  });

  it('SSM: the API key read and the webhook secrets', async () => {
    const apiKey = await timed(() => readSecureString(createSsmClient(3), '/key', until()));
    expect(apiKey.error?.name).toBe('AbortError');
    expect(apiKey.ms).toBeLessThan(LATEST_MS);
    const secrets = await timed(() => ssmSecretSource(createSsmClient(1), '/s').secrets(until()));
    expect(secrets.error).toBeInstanceOf(SecretsUnavailableError);
    expect(secrets.ms).toBeLessThan(LATEST_MS);
  });

  it('hotglue’s job-status API: an error answer', async () => {
    const api = hotglueJobStatusApi({ baseUrl: endpoint, apiKey: 'k' });
    const started = Date.now();
    const answer = await api.status(
      { env_id: 'e', flow_id: 'f', tenant: 't', s3_root: 'hung/1' },
      until(),
    );
    expect(answer).toEqual({ kind: 'error', detail: 'no answer before the end of the run' });
    expect(Date.now() - started).toBeLessThan(LATEST_MS);
  });
});
