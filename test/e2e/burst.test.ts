import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PartitionReport } from '../../lib/local/throughput-proxy';
import type { Kind } from '../../lib/webhook/kinds';
import { samplePayload } from '../../lib/webhook/samples';
import { eventually } from '../support/eventually';
import { hmacHex } from '../support/events';
import { jobLifecycle } from '../support/lifecycle';
import { cli, startStack, type StackProcess } from '../support/local-stack';

/**
 * hotglue's top of the hour through the whole local stack, in front of DynamoDB's per-partition
 * limits as the local stack models them (LOCAL_PARTITION_WRITE_UNITS): DynamoDB's 1,000 write
 * units per second per key value, scaled down by 25 so that two cores, storing a few hundred
 * events a second, show what 2,000 new jobs a second would do to a key that takes them all.
 */
const WRITE_UNITS = 40;
const secret = randomBytes(16).toString('hex');
let dataDir: string;
let stack: StackProcess;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'hgw-burst-'));
  stack = await startStack(dataDir, {
    WEBHOOK_SECRET: secret,
    LOCAL_PARTITION_WRITE_UNITS: String(WRITE_UNITS),
  });
}, 120_000);

afterAll(async () => {
  if (stack?.child.exitCode === null) await stack.stop();
  await rm(dataDir, { recursive: true, force: true });
});

/** Posts every body, 32 at a time; returns the statuses that were not 202. */
async function postAll(bodies: { kind: Kind; body: string }[], concurrency = 32) {
  let next = 0;
  const refused: string[] = [];
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < bodies.length; i = next++) {
        const { kind, body } = bodies[i] as { kind: Kind; body: string };
        const response = await fetch(stack.info.webhookUrls[kind], {
          method: 'POST',
          body,
          headers: { 'content-type': 'application/json', 'x-hub-signature': hmacHex(secret, body) },
        });
        if (response.status !== 202) refused.push(`${response.status} ${await response.text()}`);
      }
    }),
  );
  return refused;
}

/** `event stored` log lines since `mark`, as JSON. */
const storedSince = (mark: number) =>
  stack.output.lines
    .slice(mark)
    .filter((l) => l.includes('"event stored"'))
    .map((l) => JSON.parse(l) as { kind: string; eventKey: string; conflicts: number });

const report = async (): Promise<PartitionReport> =>
  (await fetch(stack.info.partitionModelUrl ?? 'missing')).json() as Promise<PartitionReport>;

const listJson = async (args: string[]) => {
  const result = await cli([...args, '--json', '--limit', '1000'], { DATA_DIR: dataDir });
  expect(result.stderr).toBe('');
  return JSON.parse(result.stdout) as Record<string, unknown>[];
};

describe('one flow’s burst on the hour, against DynamoDB’s partition limits', () => {
  // On unsharded index keys this failed: every new job of the flow landed on one flow, one status
  // and one `by-updated` key value, each at the limit (56 writes throttled).
  it('stores 200 new jobs of 20 tenants and 80 tenants’ discover states and connections without throttling, spread over index keys', async () => {
    const flow = `burst-${randomBytes(4).toString('hex')}`;
    const hour = new Date('2026-11-30T07:00:00.000Z');
    const jobs = Array.from({ length: 200 }, (_, n) => {
      const [created] = jobLifecycle(['JOB_CREATED'], {
        s3Root: `${flow}/t${n % 20}/job-${n}`,
        tenant: `${flow}-t${n % 20}`,
        flow,
        // One second apart, so that "newest first" has one right order.
        start: new Date(hour.getTime() + n * 1000),
      });
      return {
        kind: 'jobs' as const,
        body: JSON.stringify({ ...created, job_id: `${flow}-${n}` }),
      };
    });
    const perTenant = (kind: 'discover' | 'connections') =>
      Array.from({ length: 80 }, (_, n) => ({
        kind,
        body: JSON.stringify(
          samplePayload(kind, {
            now: hour,
            overrides: {
              tenant: `${flow}-t${n}`,
              flow_id: flow,
              ...(kind === 'connections' && { event_id: `${flow}-link-${n}` }),
            },
          }),
        ),
      }));
    const burst = [...jobs, ...perTenant('discover'), ...perTenant('connections')];
    const mark = stack.output.mark();
    expect(await postAll(burst.sort(() => Math.random() - 0.5))).toEqual([]);
    await eventually(
      async () => (storedSince(mark).length >= burst.length ? true : undefined),
      () => `${burst.length} events stored (${storedSince(mark).length} so far)`,
      { timeoutMs: 120_000, intervalMs: 500 },
    );

    const seen = await report();
    // Nothing throttled: no key value took more than its share.
    expect(seen.throttled).toBe(0);
    expect(seen.hottestWrites[0]?.unitsPerSecond ?? 0).toBeLessThanOrEqual(WRITE_UNITS);
    // No index key value holds more than a quarter of its table's part of the burst.
    const items: Record<string, number> = {
      'jobs-table': 200,
      'discover-table': 80,
      'connections-table': 80,
    };
    const crowded = Object.entries(seen.writes)
      .filter(([key]) => key.split(' ')[0]?.includes('/'))
      .map(([key, writes]) => {
        const table = Object.keys(items).find((t) => key.includes(`-${t}/`)) ?? '';
        return { key, share: writes / (items[table] ?? 1) };
      })
      .filter((k) => k.share > 0.25);
    expect(crowded).toEqual([]);

    // The lists give them all, jobs newest first.
    const byFlow = await listJson(['jobs', 'list', '--flow', flow]);
    expect(byFlow).toHaveLength(200);
    const started = byFlow.map((j) => String(j.started_at));
    expect(started).toEqual([...started].sort().reverse());
    expect(await listJson(['jobs', 'list', '--status', 'running', '--flow', flow])).toHaveLength(
      200,
    );
    expect(await listJson(['discover', 'list', '--flow', flow])).toHaveLength(80);
    expect(await listJson(['connections', 'list', '--flow', flow])).toHaveLength(80);
  }, 240_000);
});
