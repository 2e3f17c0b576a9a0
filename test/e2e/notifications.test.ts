import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { localQueueUrls, localSqsClient } from '../../lib/local/local-stack-facts';
import type { Notification } from '../../lib/records/changes';
import type { Kind } from '../../lib/webhook/kinds';
import { eventually as until } from '../support/eventually';
import { payloadOf } from '../support/events';
import {
  FAILURE,
  jobLifecycle,
  seeded,
  shuffle,
  SUCCESS,
  withDuplicates,
} from '../support/lifecycle';
import { cli, postSigned, startStack, type StackProcess } from '../support/local-stack';
import { startNotifyReceiver } from '../support/notify-receiver';
import { LineWatcher, ROOT } from '../support/processes';

/**
 * Notifications through the whole local stack, to a NOTIFY_URL receiver: one per change of a
 * record's state, decided by the stored record, delivered at least once.
 */
const secret = randomBytes(16).toString('hex');
let dataDir: string;
let stack: StackProcess;
let receiver: Awaited<ReturnType<typeof startNotifyReceiver>>;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'hgw-notify-'));
  receiver = await startNotifyReceiver();
  stack = await startStack(dataDir, { WEBHOOK_SECRET: secret, NOTIFY_URL: receiver.url });
}, 120_000);

afterAll(async () => {
  if (stack?.child.exitCode === null) await stack.stop();
  await receiver.close();
  await rm(dataDir, { recursive: true, force: true });
});

async function post(kind: Kind, payload: Record<string, unknown>, to = stack): Promise<void> {
  expect(await postSigned(to, kind, payload, secret)).toBe(202);
}

/** Waits until every queue of the stack is empty: everything sent so far was handled. */
async function drained(to = stack): Promise<void> {
  const sqs = localSqsClient(to.info.sqsEndpoint, to.info.region, to.info.accessKeyId);
  try {
    await until(async () => {
      for (const kind of ['jobs', 'discover', 'connections'] as const) {
        const got = await sqs.send(
          new GetQueueAttributesCommand({
            QueueUrl: localQueueUrls(to.info, kind).source,
            AttributeNames: [
              'ApproximateNumberOfMessages',
              'ApproximateNumberOfMessagesNotVisible',
            ],
          }),
        );
        const a = got.Attributes ?? {};
        if (
          Number(a.ApproximateNumberOfMessages) + Number(a.ApproximateNumberOfMessagesNotVisible) >
          0
        )
          return undefined;
      }
      return true;
    }, 'the queues to drain');
  } finally {
    sqs.destroy();
  }
}

const about = (match: (n: Notification) => boolean) => () => receiver.received().filter(match);
const ofJob = (root: string) => about((n) => n.detail.s3_root === root);
const ofTenant = (tenant: string) => about((n) => n.detail.tenant === tenant);

describe('notifications to NOTIFY_URL, from npm start', () => {
  it('sends exactly one Job Completed for a successful lifecycle sent shuffled with duplicates', async () => {
    const root = `ok-${randomBytes(4).toString('hex')}/job`;
    const events = withDuplicates(
      shuffle(jobLifecycle(SUCCESS, { s3Root: root }), seeded(7)),
      seeded(8),
      4,
    );
    for (const e of events) await post('jobs', e);
    await until(async () => (ofJob(root)().length > 0 ? true : undefined), 'a notification');
    await drained();
    const got = ofJob(root)();
    expect(got.map((n) => n['detail-type'])).toEqual(['Job Completed']);
    expect(got[0]?.detail).toMatchObject({
      s3_root: root,
      status: 'JOB_COMPLETED',
      change: 'job.completed',
      notification_id: got[0]?.id,
    });
    expect(got[0]?.source).toBe('hotglue-webhooks');
    // The stack said where they go when it started.
    expect(
      await stack.output.line((l) => l.startsWith('  notifications:'), 'the notifications line'),
    ).toBe(
      `  notifications: POSTed to ${receiver.url} and logged; follow them with npx hotglue-webhooks notifications tail`,
    );
    // It appears in the stack's log too.
    await stack.output.line(
      (l) => l.includes('"notification sent"') && l.includes(String(got[0]?.id)),
      'the notification sent log line',
    );
  }, 60_000);

  it('sends exactly one Job Failed with status, error and tenant, though the first delivery got 500', async () => {
    const tenant = `t-${randomBytes(4).toString('hex')}`;
    const root = `${tenant}/failing`;
    receiver.answer = (n, attempt) => (n.detail.s3_root === root && attempt === 1 ? 500 : 200);
    try {
      for (const e of shuffle(jobLifecycle(FAILURE, { s3Root: root, tenant }), seeded(3)))
        await post('jobs', e);
      await until(async () => (ofJob(root)().length > 0 ? true : undefined), 'a notification');
      await drained();
    } finally {
      receiver.answer = () => 200;
    }
    const deliveries = receiver.deliveries.filter((d) => d.notification.detail.s3_root === root);
    expect(deliveries.map((d) => d.status)).toEqual([500, 200]);
    const [failed] = ofJob(root)();
    expect(ofJob(root)()).toHaveLength(1);
    expect(failed?.['detail-type']).toBe('Job Failed');
    expect(failed?.detail).toMatchObject({
      tenant,
      status: 'SYNC_FAILED',
      error: 'SYNC_FAILED: connection reset',
      previous_status: null,
    });
  }, 60_000);

  it('sends Connection Linked, then Connection Unlinked, and Discover Failed', async () => {
    const tenant = `c-${randomBytes(4).toString('hex')}`;
    const link = payloadOf('connections', {
      tenant,
      event: 'LINK',
      event_id: randomUUID(),
      timestamp: '2026-11-01T10:00:00.000000+00:00',
    });
    await post('connections', link);
    await until(
      async () => (ofTenant(tenant)().length === 1 ? true : undefined),
      'Connection Linked',
    );
    await post('connections', {
      ...link,
      event: 'UNLINK',
      event_id: randomUUID(),
      timestamp: '2026-11-01T11:00:00.000000+00:00',
    });
    await post('discover', payloadOf('discover', { tenant, status: 'DISCOVER_FAILED' }));
    await until(async () => (ofTenant(tenant)().length >= 3 ? true : undefined), 'three');
    await drained();
    const got = ofTenant(tenant)();
    expect(got.map((n) => n['detail-type']).sort()).toEqual([
      'Connection Linked',
      'Connection Unlinked',
      'Discover Failed',
    ]);
    const types = got.map((n) => n['detail-type']);
    expect(types.indexOf('Connection Linked')).toBeLessThan(types.indexOf('Connection Unlinked'));
    expect(got.find((n) => n['detail-type'] === 'Connection Unlinked')?.detail).toMatchObject({
      linked: false,
      previous_linked: true,
    });
  }, 60_000);

  it('sends nothing new when every event is replayed', async () => {
    const tenant = `r-${randomBytes(4).toString('hex')}`;
    const events = jobLifecycle(FAILURE, { s3Root: `${tenant}/job`, tenant });
    const link = payloadOf('connections', { tenant, event: 'LINK', event_id: randomUUID() });
    for (const e of events) await post('jobs', e);
    await post('connections', link);
    await until(async () => (ofTenant(tenant)().length === 2 ? true : undefined), 'two');
    await drained();
    const before = receiver.deliveries.length;
    for (const e of events) await post('jobs', e);
    await post('connections', link);
    await drained();
    expect(receiver.deliveries.length).toBe(before);
  }, 60_000);

  it('prints them live with notifications tail', async () => {
    const tail = spawn(
      process.execPath,
      [join(ROOT, 'bin', 'hotglue-webhooks.js'), 'notifications', 'tail'],
      { cwd: ROOT, env: { ...process.env, DATA_DIR: dataDir } },
    );
    const output = new LineWatcher(tail);
    try {
      await output.waitFor((l) => l.startsWith('following'), {
        after: 0,
        timeoutMs: 20_000,
        what: 'tail to start',
      });
      const root = `tail-${randomBytes(4).toString('hex')}/job`;
      for (const e of jobLifecycle(FAILURE, { s3Root: root })) await post('jobs', e);
      const line = await output.waitFor((l) => l.includes('Job Failed') && l.includes(root), {
        after: 0,
        timeoutMs: 30_000,
        what: 'the Job Failed line',
      });
      const [sent] = ofJob(root)();
      expect(line).toContain(`id ${sent?.id}`);
      expect(line).toContain('-> SYNC_FAILED');
    } finally {
      tail.kill('SIGINT');
    }
  }, 60_000);
});

describe('a consumer killed after writing a record and before publishing its change', () => {
  it('loses no notification: the restarted stack publishes it', async () => {
    const crashDir = await mkdtemp(join(tmpdir(), 'hgw-notify-crash-'));
    const held = await startNotifyReceiver();
    const root = `crash-${randomBytes(4).toString('hex')}/job`;
    // The first delivery is never answered: the stack is killed while it waits, after the
    // record (with the change in its outbox) was written and before the publish completed.
    let reached: () => void = () => undefined;
    const atPublish = new Promise<void>((resolve) => (reached = resolve));
    held.answer = (_n, attempt) => {
      if (attempt === 1) {
        reached();
        return undefined;
      }
      return 200;
    };
    const env = { WEBHOOK_SECRET: secret, NOTIFY_URL: held.url };
    let first: StackProcess | undefined = await startStack(crashDir, env);
    let second: StackProcess | undefined;
    try {
      await post('jobs', jobLifecycle(['JOB_COMPLETED'], { s3Root: root })[0] ?? {}, first);
      await atPublish;
      first.child.kill('SIGKILL');
      await new Promise((resolve) => first?.child.once('exit', resolve));
      first = undefined;
      expect(held.received()).toEqual([]);
      second = await startStack(crashDir, env);
      const [delivered] = await until(
        async () => (held.received().length > 0 ? held.received() : undefined),
        'the notification after the restart',
      );
      expect(delivered?.['detail-type']).toBe('Job Completed');
      expect(delivered?.detail.s3_root).toBe(root);
      const job = await cli(['jobs', 'get', root, '--json'], { DATA_DIR: crashDir });
      expect(JSON.parse(job.stdout).status).toBe('JOB_COMPLETED');
    } finally {
      if (first?.child.exitCode === null) first.child.kill('SIGKILL');
      await second?.stop();
      await held.close();
      await rm(crashDir, { recursive: true, force: true });
    }
  }, 90_000);
});
