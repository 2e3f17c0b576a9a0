import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { DescribeTableCommand, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import {
  GetQueueAttributesCommand,
  ListQueuesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveConditionals } from '../../lib/local/service-definition';
import { MAX_BODY_BYTES } from '../../lib/webhook/envelope';
import { KINDS } from '../../lib/webhook/kinds';
import { eventually } from '../support/eventually';
import { hmacHex, payloadOf } from '../support/events';
import { cli, startStack, type StackProcess } from '../support/local-stack';
import { checkedFetch, openApiChecker, type CheckedAnswer } from '../support/openapi-answers';
import { packageTemplate, resourcesOfType } from '../support/template';
import {
  localDocumentClient,
  localDynamoDbClient,
  localSqsClient,
  localTables,
} from '../../lib/local/local-stack-facts';
import { spawn } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { toCurrentItem } from '../../lib/aws/dynamodb/table-layout';
import { ReadApiError, readClient } from '../../lib/client';
import { ENTITIES } from '../../lib/records/entities';
import { LineWatcher, ROOT, spawnTs, waitForExit } from '../support/processes';
import { seedPrints } from '../support/print-seed';

let dataDir: string;
let stack: StackProcess;
let secret: string;
/** Stage ci, which the template suites package too: the no-drift test compares the stack with it. */
const CI_STAGE = { LOCAL_STAGE: 'ci' };

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'hgw-e2e-'));
  // This stack reads serverless.yml itself, as `npm start` does on a fresh data folder.
  stack = await startStack(dataDir, CI_STAGE, { prints: 'own' });
  secret = (await readFile(join(dataDir, 'webhook-secret'), 'utf8')).trim();
}, 120_000);

afterAll(async () => {
  if (stack?.child.exitCode === null) await stack.stop();
  await rm(dataDir, { recursive: true, force: true });
});

const post = (path: string, body: string | Buffer, headers: Record<string, string> = {}) =>
  fetch(`${stack.info.baseUrl}${path}`, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', ...headers },
  });

/** A POST whose request target is sent byte for byte, as curl --path-as-is would. */
const rawPost = (base: string, path: string, body: string, headers: Record<string, string>) =>
  new Promise<{ status: number; body: unknown }>((resolve, reject) => {
    const req = request(`${base}/`, { method: 'POST', path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown,
        }),
      );
    });
    req.on('error', reject);
    req.end(body);
  });

const consumed = (messageId: string) =>
  // A message id is unique: a line printed before the wait began counts too.
  stack.output.waitFor((line) => line.includes('"event stored"') && line.includes(messageId), {
    after: 0,
    what: `consumption of ${messageId}`,
  });

describe('the local stack', () => {
  it('prints a ready line with the URLs, endpoints and data folder, and generates a secret', async () => {
    const ready = stack.output.lines.find((l) => l.startsWith('ready:')) ?? '';
    expect(ready).toContain(stack.info.webhookUrls.auto);
    expect(ready).toContain(`dynamodb=${stack.info.dynamodbEndpoint}`);
    expect(ready).toContain(`sqs=${stack.info.sqsEndpoint}`);
    expect(ready).toContain(`data=${dataDir}`);
    // It read serverless.yml with `serverless print`, and kept what it printed for its next start.
    expect(
      (await readdir(dataDir)).filter((f) => /^serverless-print-\w+\.json$/.test(f)),
    ).toHaveLength(1);
    expect(secret).toMatch(/^[0-9a-f]{48}$/);
    const secretLine = await stack.output.line(
      (l) => l.startsWith('  webhook secret:'),
      'the webhook secret line',
    );
    expect(secretLine).toContain(secret);
  });

  it.each(KINDS)('takes `hotglue-webhooks send %s` and consumes the event', async (kind) => {
    const result = await cli(['send', kind], { DATA_DIR: dataDir });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const match = /^202 (.*)$/m.exec(result.stdout);
    expect(match).not.toBeNull();
    const answer = JSON.parse(match?.[1] ?? '{}') as { id: string; kind: string };
    expect(answer.kind).toBe(kind);
    const line = JSON.parse(await consumed(answer.id)) as Record<string, unknown>;
    expect(line.kind).toBe(kind);
  });

  it('sends distinct events on repeated sends, and exits non-zero on a refusal', async () => {
    const first = await cli(['send', 'connections', '--url', stack.info.webhookUrls.auto], {
      DATA_DIR: dataDir,
    });
    const second = await cli(['send', 'connections', '--url', stack.info.webhookUrls.auto], {
      DATA_DIR: dataDir,
    });
    expect(first.code).toBe(0);
    expect(second.code).toBe(0);
    const [a, b] = [first, second].map((r) => JSON.parse(r.stdout.slice(4)) as { id: string });
    await consumed(a?.id ?? '');
    await consumed(b?.id ?? '');
    const accepted = stack.output
      .json()
      .filter(
        (l) => l.message === 'event accepted' && (l.messageId === a?.id || l.messageId === b?.id),
      );
    expect(new Set(accepted.map((l) => l.eventKey)).size).toBe(2);
    const refused = await cli(['send', 'jobs', '--secret', 'not-the-secret'], {
      DATA_DIR: dataDir,
    });
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain('401');
    const unsigned = await cli(['send', 'jobs', '--unsigned'], { DATA_DIR: dataDir });
    expect(unsigned.code).toBe(1);
  });

  it('answers each response of the contract over HTTP', async () => {
    const job = JSON.stringify(payloadOf('jobs'));
    const sign = (body: string | Buffer) => ({ 'x-hub-signature': hmacHex(secret, body) });
    const expectAnswer = async (response: Response, status: number, error?: string) => {
      expect(response.status).toBe(status);
      const body = (await response.json()) as Record<string, unknown>;
      if (error !== undefined) expect(body).toEqual({ error });
      return body;
    };
    await expectAnswer(await fetch(`${stack.info.baseUrl}/health`), 200);
    const accepted = await expectAnswer(await post('/webhooks/jobs', job, sign(job)), 202);
    expect(accepted.kind).toBe('jobs');
    await expectAnswer(await post('/webhooks/jobs', job), 401, 'missing signature');
    await expectAnswer(
      await post('/webhooks/jobs', job, { 'X-Hub-Signature': hmacHex('x', job) }),
      401,
      'invalid signature',
    );
    await expectAnswer(
      await post('/webhooks/jobs', '{oops', sign('{oops')),
      400,
      'body is not valid JSON',
    );
    await expectAnswer(
      await post('/webhooks/jobs', '[1]', sign('[1]')),
      400,
      'body is not a JSON object',
    );
    await expectAnswer(
      await post('/webhooks/discover', job, sign(job)),
      400,
      'payload is a jobs event, not a discover event',
    );
    await expectAnswer(await post('/nowhere', job), 404, 'not found');
    // fetch would resolve the dot segments before sending; API Gateway does not, nor may we.
    const dotted = await rawPost(stack.info.baseUrl, '/webhooks/../webhooks/jobs', job, sign(job));
    expect(dotted).toEqual({ status: 404, body: { error: 'not found' } });
    await expectAnswer(
      await fetch(`${stack.info.baseUrl}/webhooks/jobs`),
      405,
      'method not allowed',
    );
    const big = Buffer.alloc(MAX_BODY_BYTES + 1, 0x20);
    await expectAnswer(
      await post('/webhooks/jobs', big, sign(big)),
      413,
      `body larger than ${MAX_BODY_BYTES} bytes`,
    );

    await stack.setFault('sqs', true);
    try {
      const down = await post('/webhooks/jobs', job, sign(job));
      await expectAnswer(down, 503, 'queue unavailable, retry later');
      expect(down.headers.get('retry-after')).toBe('5');
    } finally {
      await stack.setFault('sqs', false);
    }
    // After SQS is back, a retry of the same event is accepted.
    await expectAnswer(await post('/webhooks/jobs', job, sign(job)), 202);
  });

  it('dead-letters a poison record at once, with why, in its group', async () => {
    const sqs = localSqsClient(stack.info.sqsEndpoint, stack.info.region, stack.info.accessKeyId);
    const queues = Object.values(stack.info.queues);
    const jobs = queues.find((q) => q.name.endsWith('-jobs.fifo'));
    const dlq = queues.find((q) => q.name.endsWith('-jobs-dlq.fifo'));
    const sent = await sqs.send(
      new SendMessageCommand({
        QueueUrl: jobs?.url,
        MessageBody: '{"not":"an envelope"}',
        MessageGroupId: 'poison',
        MessageDeduplicationId: randomUUID(),
      }),
    );
    const id = sent.MessageId ?? '';
    const dead = await fromDeadLetterQueue(
      sqs,
      dlq?.url,
      (m) => m.MessageAttributes?.source_message_id?.StringValue === id,
      id,
    );
    // Sent there by the consumer (the local stack gave it the local DLQ's URL), in its group,
    // after its first receive, with why.
    expect(dead.Body).toBe('{"not":"an envelope"}');
    expect(dead.Attributes?.MessageGroupId).toBe('poison');
    expect(dead.MessageAttributes?.reason?.StringValue).toMatch(
      /^message is not an event envelope/,
    );
    expect(dead.MessageAttributes?.error?.StringValue).toBe('PoisonMessageError');
    expect(dead.MessageAttributes?.receive_count?.StringValue).toBe('1');
    // The consumer logs once the DLQ has taken the letter, which may be just after we read it.
    const lines = await eventually(async () => {
      const ours = stack.output.json().filter((l) => l.messageId === id);
      return ours.some((l) => l.message === 'record dead-lettered') ? ours : undefined;
    }, `the dead-lettered line of ${id}`);
    expect(lines.map((l) => l.message)).toEqual(['record dead-lettered']);
    sqs.destroy();
  }, 60_000);

  it('retries a record that keeps failing and dead-letters it after the redrive count', async () => {
    const sqs = localSqsClient(stack.info.sqsEndpoint, stack.info.region, stack.info.accessKeyId);
    const queues = Object.values(stack.info.queues);
    const jobs = queues.find((q) => q.name.endsWith('-jobs.fifo'));
    const dlq = queues.find((q) => q.name.endsWith('-jobs-dlq.fifo'));
    const redrive = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: jobs?.url, AttributeNames: ['RedrivePolicy'] }),
    );
    const maxReceiveCount = Number(
      (JSON.parse(redrive.Attributes?.RedrivePolicy ?? '{}') as { maxReceiveCount: number })
        .maxReceiveCount,
    );
    expect(maxReceiveCount).toBeGreaterThanOrEqual(3);
    // A valid event while DynamoDB cannot be reached: it fails at every receive.
    const job = JSON.stringify(payloadOf('jobs', { s3_root: 'e2e/redrive-count/1' }));
    const failuresOf = (id: string) =>
      stack.output.json().filter((l) => l.message === 'record failed' && l.messageId === id);
    let id = '';
    await stack.setFault('dynamodb', true);
    try {
      const accepted = await post('/webhooks/jobs', job, {
        'x-hub-signature': hmacHex(secret, job),
      });
      expect(accepted.status).toBe(202);
      id = ((await accepted.json()) as { id: string }).id;
      // Its last failure logged, it moves to the DLQ at the next receive.
      await eventually(
        async () => (failuresOf(id).length >= maxReceiveCount ? true : undefined),
        () => `${maxReceiveCount} failures of ${id} (${failuresOf(id).length} so far)`,
        { timeoutMs: 60_000 },
      );
    } finally {
      await stack.setFault('dynamodb', false);
    }
    const dead = await fromDeadLetterQueue(sqs, dlq?.url, (m) => m.MessageId === id, id);
    // Moved by SQS after exactly the redrive count, in its entity's group, with no reason of
    // the consumer's (dlq list says "failed 5 receives").
    expect(dead.Attributes?.MessageGroupId).toMatch(/^[0-9a-f]{64}$/);
    expect(dead.MessageAttributes ?? {}).toEqual({});
    expect(failuresOf(id)).toHaveLength(maxReceiveCount);
    sqs.destroy();
  }, 120_000);

  it('creates exactly the queues, tables and routes that serverless.yml packages (no drift)', async () => {
    const template = await packageTemplate(stack.info.stage, join(dataDir, 'package'));
    const sqs = localSqsClient(stack.info.sqsEndpoint, stack.info.region, stack.info.accessKeyId);
    const dynamo = localDynamoDbClient(
      stack.info.dynamodbEndpoint,
      stack.info.region,
      stack.info.accessKeyId,
    );
    try {
      const templateQueues = resourcesOfType(template, 'AWS::SQS::Queue');
      const nameOf = (logicalId: string) =>
        String(template.Resources[logicalId]?.Properties?.QueueName);
      const listed = await sqs.send(new ListQueuesCommand({}));
      const localNames = (listed.QueueUrls ?? []).map((u) => u.split('/').pop());
      expect(localNames.sort()).toEqual(templateQueues.map(([id]) => nameOf(id)).sort());
      for (const [id, queue] of templateQueues) {
        const props = queue.Properties ?? {};
        const local = stack.info.queues[id];
        expect(local?.name).toBe(props.QueueName);
        const got = await sqs.send(
          new GetQueueAttributesCommand({ QueueUrl: local?.url, AttributeNames: ['All'] }),
        );
        for (const name of [
          'VisibilityTimeout',
          'MaximumMessageSize',
          'MessageRetentionPeriod',
          'DelaySeconds',
        ] as const) {
          if (props[name] !== undefined) expect(got.Attributes?.[name]).toBe(String(props[name]));
        }
        const redrive = props.RedrivePolicy as
          | { deadLetterTargetArn: { 'Fn::GetAtt': [string, string] }; maxReceiveCount: number }
          | undefined;
        if (redrive === undefined) {
          expect(got.Attributes?.RedrivePolicy).toBeUndefined();
        } else {
          const localRedrive = JSON.parse(got.Attributes?.RedrivePolicy ?? '{}') as {
            deadLetterTargetArn: string;
            maxReceiveCount: number;
          };
          expect(Number(localRedrive.maxReceiveCount)).toBe(Number(redrive.maxReceiveCount));
          expect(localRedrive.deadLetterTargetArn.split(':').pop()).toBe(
            nameOf(redrive.deadLetterTargetArn['Fn::GetAtt'][0]),
          );
        }
      }
      const templateTables = resourcesOfType(template, 'AWS::DynamoDB::Table');
      const tables = await dynamo.send(new ListTablesCommand({}));
      expect((tables.TableNames ?? []).sort()).toEqual(
        templateTables.map(([, t]) => String(t.Properties?.TableName)).sort(),
      );
      // As CloudFormation evaluates the layout's conditions for a stage deployed with defaults.
      const cfn = template as { Parameters?: unknown; Conditions?: unknown };
      const printed = { resources: { Parameters: cfn.Parameters, Conditions: cfn.Conditions } };
      for (const [, table] of templateTables) {
        const props = resolveConditionals(table.Properties ?? {}, printed) as Record<
          string,
          unknown
        >;
        const got = (
          await dynamo.send(new DescribeTableCommand({ TableName: String(props.TableName) }))
        ).Table;
        expect(got?.KeySchema).toEqual(props.KeySchema);
        const defs = (a: unknown) =>
          [...((a as { AttributeName: string }[]) ?? [])].sort((x, y) =>
            x.AttributeName.localeCompare(y.AttributeName),
          );
        expect(defs(got?.AttributeDefinitions)).toEqual(defs(props.AttributeDefinitions));
        const indexes = (list: unknown) =>
          (
            (list as
              { IndexName: string; KeySchema: unknown; Projection: unknown }[] | undefined) ?? []
          )
            .map(({ IndexName, KeySchema, Projection }) => ({ IndexName, KeySchema, Projection }))
            .sort((x, y) => x.IndexName.localeCompare(y.IndexName));
        expect(indexes(got?.GlobalSecondaryIndexes)).toEqual(indexes(props.GlobalSecondaryIndexes));
      }
      const routes = resourcesOfType(template, 'AWS::ApiGatewayV2::Route').map(([, r]) =>
        String(r.Properties?.RouteKey),
      );
      expect([...stack.info.routes].sort()).toEqual(routes.sort());
    } finally {
      sqs.destroy();
      dynamo.destroy();
    }
  }, 60_000);

  it('reads sent events back through the CLI’s --json', async () => {
    const env = { DATA_DIR: dataDir };
    const s3Root = `e2e/flows/F1/jobs/${Date.now()}/J1`;
    const job = ['--set', `s3_root=${s3Root}`, '--set', 'job_id=J1', '--set', 'tenant=e2e-tenant'];
    const ids: string[] = [];
    for (const status of ['JOB_CREATED', 'SYNC_STARTED', 'SYNC_FAILED']) {
      const sent = await cli(
        [
          'send',
          'jobs',
          '--status',
          status,
          ...job,
          '--set',
          `error=${status === 'SYNC_FAILED' ? 'boom' : 'null'}`,
        ],
        env,
      );
      expect(sent.code).toBe(0);
      ids.push((JSON.parse(sent.stdout.slice(4)) as { id: string }).id);
    }
    const discover = await cli(
      ['send', 'discover', '--set', 'tenant=e2e-tenant', '--status', 'DISCOVER_FAILED'],
      env,
    );
    const connection = await cli(
      ['send', 'connections', '--set', 'tenant=e2e-tenant', '--event', 'UNLINK'],
      env,
    );
    ids.push(
      ...[discover, connection].map((r) => (JSON.parse(r.stdout.slice(4)) as { id: string }).id),
    );
    for (const id of ids) await consumed(id);

    const got = await cli(['jobs', 'get', s3Root, '--json'], env);
    expect(got.code).toBe(0);
    const view = JSON.parse(got.stdout) as Record<string, unknown> & {
      history: { status: string }[];
    };
    expect(view).toMatchObject({
      s3_root: s3Root,
      job_id: 'J1',
      tenant: 'e2e-tenant',
      flow_id: 'JClkCC05S',
      env_id: 'dev.hotglue.com',
      status: 'SYNC_FAILED',
      error: 'boom',
      tap: 'salesforce',
    });
    expect(view.history.map((h) => h.status).sort()).toEqual([
      'JOB_CREATED',
      'SYNC_FAILED',
      'SYNC_STARTED',
    ]);
    const byJobId = JSON.parse((await cli(['jobs', 'get', 'J1', '--json'], env)).stdout) as {
      s3_root: string;
    };
    expect(byJobId.s3_root).toBe(s3Root);

    const list = JSON.parse(
      (await cli(['jobs', 'list', '--tenant', 'e2e-tenant', '--status', 'failed', '--json'], env))
        .stdout,
    ) as { s3_root: string }[];
    expect(list.map((j) => j.s3_root)).toEqual([s3Root]);
    const updated = JSON.parse(
      (
        await cli(
          ['jobs', 'list', '--tenant', 'e2e-tenant', '--updated-since', '1h', '--json'],
          env,
        )
      ).stdout,
    ) as { s3_root: string; status: string }[];
    expect(updated.map((j) => [j.s3_root, j.status])).toEqual([[s3Root, 'SYNC_FAILED']]);
    const bad = await cli(['jobs', 'list', '--updated-since', 'soon'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--updated-since must be an ISO time or a duration');
    const discovered = JSON.parse(
      (await cli(['discover', 'list', '--tenant', 'e2e-tenant', '--json'], env)).stdout,
    ) as Record<string, unknown>[];
    expect(discovered).toEqual([
      expect.objectContaining({
        tenant: 'e2e-tenant',
        flow_id: 'JClkCC05S',
        env_id: 'dev.hotglue.com',
        connector: 'salesforce',
        status: 'DISCOVER_FAILED',
      }),
    ]);
    const connections = JSON.parse(
      (await cli(['connections', 'list', '--tenant', 'e2e-tenant', '--json'], env)).stdout,
    ) as Record<string, unknown>[];
    expect(connections).toEqual([
      expect.objectContaining({
        tenant: 'e2e-tenant',
        flow_id: 'JClkCC05S',
        env_id: 'dev.hotglue.com',
        connector: 'tap',
        connector_type: 'connector',
        event: 'UNLINK',
      }),
    ]);
    expect(connections[0]).not.toHaveProperty('history');
    const history = JSON.parse(
      (
        await cli(
          ['connections', 'history', '--tenant', 'e2e-tenant', '--flow', 'JClkCC05S'].concat([
            '--connector',
            'tap',
            '--json',
          ]),
          env,
        )
      ).stdout,
    ) as { items: unknown[]; next: string | null };
    expect(history).toEqual({ items: [expect.objectContaining({ event: 'UNLINK' })], next: null });
    const table = await cli(['jobs', 'list', '--tenant', 'e2e-tenant'], env);
    expect(table.stdout.split('\n')[0]).toMatch(/^STARTED\s+UPDATED\s+STATUS/);
    expect(table.stdout).toContain(s3Root);
    const missing = await cli(['jobs', 'get', 'no/such/job'], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no job no/such/job');
  });

  it('stops cleanly on Ctrl-C and starts again on the same data', async () => {
    expect(await stack.stop()).toBe(0);
    expect(stack.output.lines).toContain('stopped');
    stack = await startStack(dataDir, CI_STAGE);
    expect((await readFile(join(dataDir, 'webhook-secret'), 'utf8')).trim()).toBe(secret);
    // The same tables, not new empty ones: what was stored before the stop reads back.
    const kept = await cli(['jobs', 'list', '--tenant', 'e2e-tenant', '--json'], {
      DATA_DIR: dataDir,
    });
    expect(kept.code).toBe(0);
    expect(JSON.parse(kept.stdout) as { tenant: string }[]).toEqual(
      expect.arrayContaining([expect.objectContaining({ tenant: 'e2e-tenant' })]),
    );
    const result = await cli(['send', 'discover'], { DATA_DIR: dataDir });
    expect(result.code).toBe(0);
    await consumed((JSON.parse(result.stdout.slice(4)) as { id: string }).id);
  });
});

describe('the read API, /v1, on the webhook port', () => {
  // Every answer below is checked against the document the server gives: its status must be one
  // the route lists, its headers and body as the document says (openApiChecker).
  let check: (answer: CheckedAnswer) => void = () => {
    throw new Error('the document is not read yet');
  };
  let checked: typeof fetch;
  let checks = 0;
  const v1 = (path: string, init: RequestInit = {}) =>
    checked(`${stack.info.baseUrl}${path}`, init);
  beforeAll(async () => {
    const doc = (await (await fetch(`${stack.info.baseUrl}/v1/openapi.json`)).json()) as unknown;
    check = openApiChecker(doc);
    checked = checkedFetch((answer) => {
      checks += 1;
      check(answer);
    });
  });

  it('serves its OpenAPI 3.1 document, pages a tenant’s jobs, and answers errors as JSON', async () => {
    const doc = (await (await v1('/v1/openapi.json')).json()) as { openapi: string; paths: object };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/v1/jobs', '/v1/jobs/{s3_root}', '/v1/discover', '/v1/connections']),
    );
    const tenant = `v1-${randomUUID().slice(0, 8)}`;
    const roots = [0, 1, 2].map((i) => `${tenant}/flows/F/jobs/${i}`);
    for (const s3_root of roots) {
      const body = JSON.stringify(payloadOf('jobs', { tenant, s3_root, status: 'JOB_CREATED' }));
      const sent = await post('/webhooks/jobs', body, { 'x-hub-signature': hmacHex(secret, body) });
      expect(sent.status).toBe(202);
    }
    type List = { items: { s3_root: string }[]; next: string | null };
    const list = async (query: string) => (await (await v1(`/v1/jobs?${query}`)).json()) as List;
    await eventually(
      async () => ((await list(`tenant=${tenant}`)).items.length === 3 ? true : undefined),
      `three jobs of ${tenant} listed by /v1/jobs`,
    );
    const first = await list(`tenant=${tenant}&limit=2`);
    expect(first.items).toHaveLength(2);
    const second = await list(`tenant=${tenant}&limit=2&cursor=${first.next}`);
    expect(second.items).toHaveLength(1);
    expect(second.next).toBeNull();
    expect([...first.items, ...second.items].map((j) => j.s3_root).sort()).toEqual(roots);

    const job = await v1(`/v1/jobs/${encodeURIComponent(roots[0] ?? '')}`);
    expect(job.status).toBe(200);
    expect(await job.json()).toMatchObject({
      s3_root: roots[0],
      status: 'JOB_CREATED',
      history: [{ status: 'JOB_CREATED' }],
    });
    for (const path of [
      '/v1/discover',
      '/v1/connections?linked=true',
      `/v1/summary?since=7d&tenant=${tenant}`,
    ])
      expect((await v1(path)).status).toBe(200);
    for (const [answer, status] of [
      [await v1('/v1/jobs/no%2Fsuch%2Fjob'), 404],
      [await v1('/v1/jobs?colour=red'), 400],
      [await v1('/v1/jobs?limit=1.5'), 400],
      [await v1('/v1/jobs?cursor=nope'), 400],
      [await v1('/v1/openapi.json?x=1'), 400],
      [await v1('/v1/jobs', { method: 'POST' }), 405],
      [await v1('/v1/openapi.json', { method: 'DELETE' }), 405],
    ] as const) {
      expect(answer.status).toBe(status);
      expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
      if (status === 405) expect(answer.headers.get('allow')).toBe('GET, HEAD');
      expect(await answer.json()).toEqual({ error: expect.any(String) });
    }
    // HEAD answers as GET, without the body.
    for (const [path, status] of [
      [`/v1/jobs?tenant=${tenant}`, 200],
      ['/v1/jobs/no%2Fsuch%2Fjob', 404],
      ['/v1/openapi.json', 200],
    ] as const) {
      const head = await v1(path, { method: 'HEAD' });
      expect(head.status).toBe(status);
      expect(await head.text()).toBe('');
    }
    expect(checks).toBeGreaterThanOrEqual(19); // every call above, checked
  });

  it('is read by the typed client, signed by the signer it is given', async () => {
    const tenant = `client-${randomUUID().slice(0, 8)}`;
    const roots = [0, 1, 2].map((i) => `${tenant}/flows/F/jobs/${i}`);
    for (const s3_root of roots) {
      const body = JSON.stringify(payloadOf('jobs', { tenant, s3_root, status: 'SYNC_FAILED' }));
      await post('/webhooks/jobs', body, { 'x-hub-signature': hmacHex(secret, body) });
    }
    const signed: string[] = [];
    const client = readClient({
      baseUrl: stack.info.baseUrl,
      fetch: checked,
      sign: async ({ url, headers }) => {
        signed.push(url.pathname);
        return { ...headers, 'x-signed-by': 'test' };
      },
    });
    await eventually(
      async () => ((await client.jobs({ tenant })).items.length === 3 ? true : undefined),
      `three jobs of ${tenant} through the client`,
    );
    const all: string[] = [];
    for await (const job of client.allJobs({ tenant, status: 'failed', limit: 2 }))
      all.push(job.s3_root);
    expect(all.sort()).toEqual(roots);
    const job = await client.job(roots[1] ?? '');
    expect(job.status).toBe('SYNC_FAILED');
    expect(job.history.map((h) => h.status)).toEqual(['SYNC_FAILED']);
    await expect(client.job('no/such/job')).rejects.toMatchObject({ status: 404 });
    await expect(client.jobs({ colour: 'red' } as never)).rejects.toBeInstanceOf(ReadApiError);
    expect(signed).toContain('/v1/jobs');
  });

  it('answers only at the address it printed, as the dashboard does', async () => {
    const url = new URL('/v1/openapi.json', stack.info.baseUrl);
    const answer = await new Promise<number>((resolve, reject) => {
      const req = request(url, { headers: { host: `evil.example:${url.port}` } }, (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => {
          check({
            method: 'GET',
            url: url.href,
            status: res.statusCode ?? 0,
            headers: res.headers as Record<string, string>,
            body: JSON.parse(text),
          });
          resolve(res.statusCode ?? 0);
        });
      });
      req.on('error', reject);
      req.end();
    });
    expect(answer).toBe(403);
  });
});

describe('the local stack and its CLI at the edges', () => {
  it('ends quietly when the reader of jobs list --json goes away (| head -c 200)', async () => {
    const table = localTables(stack.info).jobs;
    const db = localDocumentClient(
      stack.info.dynamodbEndpoint,
      stack.info.region,
      stack.info.accessKeyId,
    );
    const started = Date.parse('2026-11-30T08:00:00Z');
    const items = Array.from({ length: 300 }, (_, i) => {
      const payload = payloadOf('jobs', {
        tenant: 'e2e-pipe',
        s3_root: `e2e-pipe/${i}`,
        start_time: new Date(started + i * 1000).toISOString(),
      });
      const event = {
        hash: `${i}`.padStart(64, '0'),
        receivedAt: new Date().toISOString(),
        payload,
      };
      const { record, fold } = ENTITIES.jobs.fold(undefined, event, true);
      const pk = ENTITIES.jobs.key(payload);
      return toCurrentItem('jobs', pk, { version: 1, record, fold, pending: [], outbox: [] });
    });
    for (let i = 0; i < items.length; i += 25)
      await db.send(
        new BatchWriteCommand({
          RequestItems: {
            [table]: items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })),
          },
        }),
      );
    db.destroy();
    const bin = join(ROOT, 'bin', 'hotglue-webhooks.js');
    const piped = spawn(
      'sh',
      [
        '-c',
        `"${process.execPath}" "${bin}" jobs list --tenant e2e-pipe --limit 300 --json | head -c 200`,
      ],
      { cwd: ROOT, env: { ...process.env, DATA_DIR: dataDir } },
    );
    let stdout = '';
    let stderr = '';
    piped.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    piped.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise((resolve) => piped.on('close', resolve));
    expect(Buffer.byteLength(stdout)).toBe(200);
    expect(stderr).toBe('');
    expect(code).toBe(0);
  }, 60_000);

  it('refuses to start on a port that is taken, names it, and frees what it opened', async () => {
    const taken = new URL(stack.info.baseUrl).port;
    const dynamodbPort = await freePort();
    const otherData = await mkdtemp(join(tmpdir(), 'hgw-e2e-taken-'));
    await seedPrints(otherData);
    try {
      const second = spawnTs('lib/local/main.ts', {
        env: {
          PORT: taken,
          DYNAMODB_PORT: String(dynamodbPort),
          SQS_PORT: '0',
          DATA_DIR: otherData,
          LOCAL_STAGE: 'ci',
        },
      });
      const output = new LineWatcher(second);
      const code = await waitForExit(second, 60_000);
      expect(code).not.toBe(0);
      expect(output.lines.join('\n')).toMatch(new RegExp(`port ${taken} .*already in use`));
      // Its DynamoDB port is free again: a server can listen there.
      await expect(freePort(dynamodbPort)).resolves.toBe(dynamodbPort);
    } finally {
      await rm(otherData, { recursive: true, force: true });
    }
  }, 90_000);
});

/** Listens on `port` (0: any free one) and closes again: the port it got. */
function freePort(port = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const got = (server.address() as AddressInfo).port;
      server.close(() => resolve(got));
    });
  });
}

/** Receives from a dead-letter queue until the message `matches` is there (30 s at most). */
function fromDeadLetterQueue(
  sqs: SQSClient,
  url: string | undefined,
  matches: (message: Message) => boolean,
  id: string,
): Promise<Message> {
  return eventually(
    async () =>
      (
        await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: url,
            WaitTimeSeconds: 1,
            MessageSystemAttributeNames: ['All'],
            MessageAttributeNames: ['All'],
          }),
        )
      ).Messages?.find(matches),
    `${id} in the dead-letter queue`,
    { timeoutMs: 30_000 },
  );
}
