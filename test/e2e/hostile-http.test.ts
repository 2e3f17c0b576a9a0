import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import {
  localDocumentClient,
  localTables,
  STACK_FILE,
  type LocalStackInfo,
} from '../../lib/local/local-stack-facts';
import type { Kind } from '../../lib/webhook/kinds';
import { buildRequest, expectedResponse, hostileCase } from '../support/hostile';
import { cli, startStack, type StackProcess } from '../support/local-stack';

const SECRETS: Record<Kind, string> = {
  jobs: 'http-jobs-secret-0001',
  discover: 'http-discover-secret-0002',
  connections: 'http-connections-secret-0003',
};
let dataDir: string;
let stack: StackProcess;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'hgw-hostile-'));
  // HOST opens the webhook routes to other machines: the dashboard and read API stay on loopback.
  stack = await startStack(dataDir, {
    HOST: '0.0.0.0',
    WEBHOOK_SECRET_JOBS: SECRETS.jobs,
    WEBHOOK_SECRET_DISCOVER: SECRETS.discover,
    WEBHOOK_SECRET_CONNECTIONS: SECRETS.connections,
  });
}, 120_000);

afterAll(async () => {
  if (stack?.child.exitCode === null) await stack.stop();
  await rm(dataDir, { recursive: true, force: true });
});

describe('the local stack over HTTP under generated input (fast-check)', () => {
  it('answers each generated request exactly as the README says, never 5xx, queueing only what it accepts', async () => {
    const acceptedIds: string[] = [];
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(hostileCase, async (c) => {
        runs += 1;
        const built = buildRequest(c, SECRETS);
        const response = await fetch(`${stack.info.baseUrl}${built.path}`, {
          method: 'POST',
          headers: built.headers,
          body: built.body,
        });
        const expected = expectedResponse(c);
        const body = (await response.json()) as Record<string, unknown>;
        expect(response.status).toBeLessThan(500);
        expect(response.status).toBe(expected.status);
        if (expected.status === 202) {
          expect(body.kind).toBe(expected.kind);
          acceptedIds.push(String(body.id));
        } else {
          expect(body).toEqual({ error: expected.error });
        }
      }),
      { numRuns: 500, seed: 1129 },
    );
    expect(runs).toBeGreaterThanOrEqual(500);
    expect(acceptedIds.length).toBeGreaterThan(20);
    // Exactly the accepted events were queued: one `event accepted` line per 202, no more. The
    // handler logs before it answers and the stack's output is one ordered stream, so once the
    // line of a last, marked request has arrived, every earlier line has too.
    const marker = `/end-of-run-${randomUUID()}`;
    const mark = stack.output.mark();
    expect((await fetch(`${stack.info.baseUrl}${marker}`, { method: 'POST' })).status).toBe(404);
    await stack.output.waitFor((l) => l.includes(marker), { after: mark, what: 'the marker line' });
    expect(
      stack.output
        .json()
        .filter((l) => l.message === 'event accepted')
        .map((l) => l.messageId)
        .sort(),
    ).toEqual([...acceptedIds].sort());
    // Nothing failed anywhere: no handler error, no consumer record failure.
    expect(stack.output.json().filter((l) => l.level === 'ERROR')).toEqual([]);
  }, 180_000);
});

interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One request exactly as given (node:http: fetch would not send a Host of our choosing). */
function raw(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const out = request(
      url,
      { method: options.method ?? 'POST', headers: options.headers },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    out.on('error', reject);
    out.end(options.body);
  });
}

/** A SigV4-shaped Authorization header: the gates check its key id, dynalite and fauxqs no more. */
const signedBy = (accessKeyId: string, service: string) =>
  `AWS4-HMAC-SHA256 Credential=${accessKeyId}/20261207/us-east-1/${service}/aws4_request, SignedHeaders=host;x-amz-date, Signature=${'0'.repeat(64)}`;

/** A Scan of the jobs table and a ListQueues, as a page (or a curl) would send them by hand. */
const scanJobs = (info: LocalStackInfo, headers: Record<string, string>) =>
  raw(info.dynamodbEndpoint, {
    headers: {
      'content-type': 'application/x-amz-json-1.0',
      'x-amz-target': 'DynamoDB_20120810.Scan',
      'x-amz-date': '20261207T000000Z',
      ...headers,
    },
    body: JSON.stringify({ TableName: localTables(info).jobs }),
  });
const listQueues = (info: LocalStackInfo, headers: Record<string, string>) =>
  raw(info.sqsEndpoint, {
    headers: {
      'content-type': 'application/x-amz-json-1.0',
      'x-amz-target': 'AmazonSQS.ListQueues',
      'x-amz-date': '20261207T000000Z',
      ...headers,
    },
    body: '{}',
  });

/** A refusal: 403, a short JSON reason, no CORS grant and nothing of the tables or queues. */
function expectRefused(answer: RawAnswer, reason: RegExp): void {
  expect(answer.status).toBe(403);
  expect(Object.keys(answer.headers).filter((h) => h.startsWith('access-control-'))).toEqual([]);
  expect(JSON.parse(answer.body)).toEqual({ error: expect.stringMatching(reason) as string });
}

describe('the local stack’s doors', () => {
  const key = () => stack.info.accessKeyId;
  const dynamo = () => signedBy(key(), 'dynamodb');
  const sqs = () => signedBy(key(), 'sqs');

  it('reads the tables and queues with the per-run key, and nothing with Origin, another Host, or another key', async () => {
    const { info } = stack;
    // The same requests are answered with data when they come from the stack's owner.
    const scanned = await scanJobs(info, { authorization: dynamo() });
    expect(scanned.status).toBe(200);
    expect(JSON.parse(scanned.body)).toHaveProperty('Items');
    const listed = await listQueues(info, { authorization: sqs() });
    expect(listed.status).toBe(200);
    expect(listed.body).toContain('-jobs.fifo');

    const evil = { origin: 'http://evil.example' };
    const localPage = { origin: 'http://127.0.0.1:5173' };
    expectRefused(await scanJobs(info, { ...evil, authorization: dynamo() }), /Origin/);
    expectRefused(await scanJobs(info, { ...localPage, authorization: dynamo() }), /Origin/);
    expectRefused(await listQueues(info, { ...evil, authorization: sqs() }), /Origin/);
    const port = (url: string) => new URL(url).port;
    expectRefused(
      await scanJobs(info, {
        host: `evil.example:${port(info.dynamodbEndpoint)}`,
        authorization: dynamo(),
      }),
      /Host/,
    );
    expectRefused(
      await listQueues(info, {
        host: `rebound.example:${port(info.sqsEndpoint)}`,
        authorization: sqs(),
      }),
      /Host/,
    );
    for (const authorization of [
      undefined,
      signedBy('local', 'dynamodb'),
      signedBy(`${key()}X`, 'dynamodb'),
    ]) {
      expectRefused(
        await scanJobs(info, authorization === undefined ? {} : { authorization }),
        /access key/,
      );
    }
    expectRefused(await listQueues(info, {}), /access key/);
    // A browser's preflight gets no grant either.
    const preflight = await raw(info.dynamodbEndpoint, {
      method: 'OPTIONS',
      headers: { ...evil, 'access-control-request-method': 'POST' },
    });
    expectRefused(preflight, /Origin/);
  });

  it('keeps the key in a file of the owner’s only, never prints it, and the CLI signs with it', async () => {
    expect((await stat(join(dataDir, STACK_FILE))).mode & 0o777).toBe(0o600);
    expect(stack.output.lines.some((l) => l.includes(key()))).toBe(false);
    const jobs = await cli(['jobs', 'list', '--json'], { DATA_DIR: dataDir });
    expect(jobs.code).toBe(0);
    expect(Array.isArray(JSON.parse(jobs.stdout))).toBe(true);
    const dlq = await cli(['dlq', 'list', '--kind', 'jobs', '--json'], { DATA_DIR: dataDir });
    expect(dlq.code).toBe(0);
  }, 60_000);

  it('with HOST 0.0.0.0, serves /v1, /api and the dashboard only on a loopback port of their own', async () => {
    const { info } = stack;
    const dashboard = new URL(info.dashboardUrl);
    expect(dashboard.hostname).toBe('127.0.0.1');
    expect(dashboard.port).not.toBe(new URL(info.baseUrl).port);
    // Whatever Host another machine names, the webhook port has no read route.
    const gateway = `http://127.0.0.1:${new URL(info.baseUrl).port}`;
    for (const path of ['/v1/jobs', '/api/jobs', '/'])
      expect(
        (
          await raw(`${gateway}${path}`, {
            method: 'GET',
            headers: { host: `127.0.0.1:${new URL(info.baseUrl).port}` },
          })
        ).status,
      ).toBe(404);
    expect((await raw(`${info.dashboardUrl}v1/jobs`, { method: 'GET' })).status).toBe(200);
    expect(stack.output.lines.find((l) => l.startsWith('ready:'))).toContain(
      `dashboard=${info.dashboardUrl}`,
    );
  });

  it('answers a 500 with a request id and none of the error’s text, which goes to the log', async () => {
    const { info } = stack;
    // A malformed record, as a PutItem through an open door once wrote.
    const db = localDocumentClient(info.dynamodbEndpoint, info.region, info.accessKeyId);
    const s3Root = `malformed-${randomUUID()}`;
    await db.send(
      new PutCommand({
        TableName: localTables(info).jobs,
        Item: { pk: `JOB#${s3Root}`, sk: 'CURRENT', status: { not: 'a status' } },
      }),
    );
    db.destroy();
    const answer = await raw(`${info.dashboardUrl}v1/jobs/${s3Root}`, { method: 'GET' });
    expect(answer.status).toBe(500);
    const { error } = JSON.parse(answer.body) as { error: string };
    const id = /^internal error \(request ([0-9a-f-]{36})\): see the log$/.exec(error)?.[1];
    expect(id).toBeDefined();
    const logged = await stack.output.waitFor((l) => l.includes(String(id)), {
      after: 0,
      what: 'the 500’s log line',
    });
    expect(JSON.parse(logged)).toMatchObject({
      level: 'ERROR',
      requestId: id,
      error: expect.any(String) as string,
    });
  });
});
