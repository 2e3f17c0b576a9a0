import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import type { Kind } from '../../lib/webhook/kinds';
import { buildRequest, expectedResponse, hostileCase } from '../support/hostile';
import { startStack, type StackProcess } from '../support/local-stack';

const SECRETS: Record<Kind, string> = {
  jobs: 'http-jobs',
  discover: 'http-discover',
  connections: 'http-connections',
};
let dataDir: string;
let stack: StackProcess;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'hgw-hostile-'));
  stack = await startStack(dataDir, {
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
