import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { eventually } from '../support/eventually';
import { hmacHex, payloadOf } from '../support/events';
import { jobLifecycle, SUCCESS } from '../support/lifecycle';
import { cli, startStack, type StackProcess } from '../support/local-stack';
import { localSqsClient } from '../../lib/local/local-stack-facts';

let dataDir: string;
let stack: StackProcess;
let secret: string;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'hgw-faults-'));
  stack = await startStack(dataDir, { LOCAL_VISIBILITY_TIMEOUT_SECONDS: '5' });
  secret = (await readFile(join(dataDir, 'webhook-secret'), 'utf8')).trim();
}, 120_000);

afterAll(async () => {
  if (stack?.child.exitCode === null) await stack.stop();
  await rm(dataDir, { recursive: true, force: true });
});

const env = () => ({ DATA_DIR: dataDir });
const post = (kind: string, payload: Record<string, unknown>) => {
  const body = JSON.stringify(payload);
  return fetch(`${stack.info.baseUrl}/webhooks/${kind}`, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', 'x-hub-signature': hmacHex(secret, body) },
  });
};
const acceptedCount = () =>
  stack.output.json().filter((l) => l.message === 'event accepted').length;
const getJob = async (s3Root: string) => {
  const result = await cli(['jobs', 'get', s3Root, '--json'], env());
  return result.code === 0
    ? (JSON.parse(result.stdout) as { status: string; history: unknown[] })
    : undefined;
};
const deadLetters = async (kind: string) =>
  JSON.parse((await cli(['dlq', 'list', '--kind', kind, '--json'], env())).stdout) as {
    messageId: string;
    kind?: string;
    eventKey?: string;
    unreadable?: string;
    payload?: unknown;
    reason?: string;
    error?: string;
  }[];

describe('faults in the local stack', () => {
  it('answers 503 while SQS is unreachable, claims nothing, and accepts the retries once it is back', async () => {
    const events = jobLifecycle(['JOB_CREATED', 'SYNC_STARTED'], { s3Root: 'fault/sqs/1' });
    const before = acceptedCount();
    await stack.setFault('sqs', true);
    try {
      for (const e of events) expect((await post('jobs', e)).status).toBe(503);
    } finally {
      await stack.setFault('sqs', false);
    }
    expect(acceptedCount()).toBe(before);
    for (const e of events) expect((await post('jobs', e)).status).toBe(202);
    // A receive cut mid-flight may have claimed a message, as on AWS; it comes back after the
    // visibility timeout (5 s in this stack), so the wait allows for that.
    const job = await eventually(async () => {
      const j = await getJob('fault/sqs/1');
      return j?.history.length === 2 ? j : undefined;
    }, 'the retried events to be stored');
    expect(job.status).toBe('SYNC_STARTED');
  });

  it('retries records while DynamoDB is unreachable and stores every one once it returns', async () => {
    const jobs = ['fault/ddb/1', 'fault/ddb/2', 'fault/ddb/3'];
    await stack.setFault('dynamodb', true);
    const mark = stack.output.mark();
    try {
      for (const s3Root of jobs)
        for (const e of jobLifecycle(SUCCESS.slice(0, 3), { s3Root }))
          expect((await post('jobs', e)).status).toBe(202);
      expect(
        (await post('connections', payloadOf('connections', { tenant: 'fault-tenant' }))).status,
      ).toBe(202);
      // Let the consumers fail a first time, well within the redrive count.
      await stack.output.waitFor((l) => l.includes('"record failed"'), {
        after: mark,
        what: 'a failed record',
      });
    } finally {
      await stack.setFault('dynamodb', false);
    }
    for (const s3Root of jobs) {
      const job = await eventually(async () => {
        const j = await getJob(s3Root);
        return j?.history.length === 3 ? j : undefined;
      }, `${s3Root} to be stored`);
      expect(job.status).toBe('SYNC_SUCCESS');
    }
    const connections = JSON.parse(
      (await cli(['connections', 'list', '--tenant', 'fault-tenant', '--json'], env())).stdout,
    ) as unknown[];
    expect(connections).toHaveLength(1);
    // None of this test's events reached a dead-letter queue (other tests own theirs).
    const ours = (await deadLetters('jobs')).filter((l) =>
      jobs.includes(String((l.payload as { s3_root?: unknown } | undefined)?.s3_root)),
    );
    expect(ours).toEqual([]);
  }, 60_000);

  it('dead-letters a poison record at once and a failing one after the redrive count, lists them with why, and redrives them once the cause is fixed', async () => {
    const sqs = localSqsClient(stack.info.sqsEndpoint, stack.info.region, stack.info.accessKeyId);
    const jobsQueue = Object.values(stack.info.queues).find((q) => q.name.endsWith('-jobs.fifo'));
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: jobsQueue?.url,
        MessageBody: 'garbage, not an envelope',
        MessageGroupId: 'fault-garbage',
        MessageDeduplicationId: 'fault-garbage-1',
      }),
    );
    sqs.destroy();
    // A DynamoDB outage longer than the redrive window sends a valid event to the DLQ too.
    const [event] = jobLifecycle(['JOB_CREATED'], { s3Root: 'fault/dlq/1' });
    await stack.setFault('dynamodb', true);
    let letters: Awaited<ReturnType<typeof deadLetters>>;
    try {
      expect((await post('jobs', event ?? {})).status).toBe(202);
      letters = await eventually(async () => {
        const found = await deadLetters('jobs');
        return found.length >= 2 ? found : undefined;
      }, 'two dead letters');
    } finally {
      await stack.setFault('dynamodb', false);
    }
    // The undecodable one, sent there by its consumer with why; the other, moved by SQS after
    // its receives, which says nothing more.
    expect(letters.find((l) => l.unreadable !== undefined)).toMatchObject({
      unreadable: 'message body is not JSON',
      reason: 'message body is not JSON',
      error: 'PoisonMessageError',
    });
    expect(letters.find((l) => l.kind === 'jobs')?.reason).toBe('failed 5 receives');
    const table = await cli(['dlq', 'list', '--kind', 'jobs'], env());
    expect(table.stdout).toMatch(/^QUEUE\s+MESSAGE_ID.*\sREASON\s+PROBLEM$/m);
    expect(table.stdout).toContain('failed 5 receives');
    expect(await getJob('fault/dlq/1')).toBeUndefined();

    const redrive = await cli(['dlq', 'redrive', '--kind', 'jobs'], env());
    expect(redrive.stderr).toBe('');
    expect(redrive.code).toBe(0);
    expect(redrive.stdout).toContain('jobs: moved 2 messages back to the queue');
    const job = await eventually(() => getJob('fault/dlq/1'), 'the redriven event to be stored');
    expect(job.status).toBe('JOB_CREATED');
  }, 90_000);
});

describe('hostile shapes and odd values through the local stack', () => {
  /** `count` extra one-byte fields on top of `payload`. */
  const withFields = (payload: Record<string, unknown>, count: number) => {
    const extra = Object.fromEntries(Array.from({ length: count }, (_, i) => [`x${i}`, 'y']));
    return { ...payload, ...extra };
  };
  const jobHas = (s3Root: string, count: number) =>
    eventually(async () => {
      const job = await getJob(s3Root);
      return job !== undefined && job.history.length >= count ? job : undefined;
    }, `${s3Root} to hold ${count} events`);
  const lettersAbout = async (kind: string, field: string, value: string) =>
    (await deadLetters(kind)).filter(
      (l) => (l.payload as Record<string, unknown> | undefined)?.[field] === value,
    );

  it('refuses an event of 6,000 fields at the door, and stores the job before and after it', async () => {
    const s3Root = 'hostile/fields/6000';
    const [started, success, etl] = jobLifecycle(['SYNC_STARTED', 'SYNC_SUCCESS', 'ETL_STARTED'], {
      s3Root,
    });
    // At the cap the event is stored; past it, refused with the limit named.
    expect((await post('jobs', withFields(started ?? {}, 200))).status).toBe(202);
    const refused = await post('jobs', withFields({ ...started, last_updated: null }, 6_000));
    expect(refused.status).toBe(400);
    expect(await refused.json()).toEqual({ error: 'body has more than 256 top-level fields' });
    for (const e of [success, etl]) expect((await post('jobs', e ?? {})).status).toBe(202);
    const job = await jobHas(s3Root, 3);
    expect(job.status).toBe('ETL_STARTED');
  }, 60_000);

  it("refuses a SYNC_FAILED of 3,500 fields, and stores another job's two events within 15 s", async () => {
    const [failed] = jobLifecycle(['SYNC_FAILED'], { s3Root: 'hostile/fields/3500' });
    const response = await post('jobs', withFields(failed ?? {}, 3_500));
    expect(response.status).toBe(400);
    const other = 'hostile/fields/other';
    for (const e of jobLifecycle(['JOB_CREATED', 'SYNC_STARTED'], { s3Root: other }))
      expect((await post('jobs', e)).status).toBe(202);
    const job = await eventually(
      async () => {
        const j = await getJob(other);
        return j?.history.length === 2 ? j : undefined;
      },
      'the other job to be stored',
      { timeoutMs: 15_000 },
    );
    expect(job.status).toBe('SYNC_STARTED');
  }, 60_000);

  it('stores last_updated 1e20 and a connection event named constructor, and the events after them, none in a DLQ', async () => {
    const s3Root = 'hostile/time/1e20';
    const [created, started] = jobLifecycle(['JOB_CREATED', 'SYNC_STARTED'], { s3Root });
    const far = { ...created, last_updated: 1e20, status_timestamp: null };
    const tenant = 'hostile-constructor';
    const named = payloadOf('connections', { tenant, event: 'constructor', event_id: 'c-1' });
    const link = payloadOf('connections', {
      tenant,
      event: 'LINK',
      event_id: 'c-2',
      timestamp: '2099-01-01T00:00:00.000000+00:00',
    });
    for (const [kind, e] of [
      ['jobs', far],
      ['jobs', started],
      ['connections', named],
      ['connections', link],
    ] as const)
      expect((await post(kind, e ?? {})).status).toBe(202);
    const job = await jobHas(s3Root, 2);
    expect(job.status).toBe('SYNC_STARTED');
    const connection = await eventually(async () => {
      const found = JSON.parse(
        (await cli(['connections', 'list', '--tenant', tenant, '--json'], env())).stdout,
      ) as { event_count: number; linked: boolean; last_at_by_event: Record<string, string> }[];
      return found[0]?.event_count === 2 ? found[0] : undefined;
    }, 'both connection events to be stored');
    expect(connection.linked).toBe(true);
    expect(Object.keys(connection.last_at_by_event).sort()).toEqual(['LINK', 'constructor']);
    expect(await lettersAbout('jobs', 's3_root', s3Root)).toEqual([]);
    expect(await lettersAbout('connections', 'tenant', tenant)).toEqual([]);
  }, 60_000);
});
