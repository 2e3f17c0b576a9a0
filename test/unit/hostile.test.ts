import fc from 'fast-check';
import { fromHttpApiEvent } from '../../lib/aws/http-api';
import { parseEnvelope } from '../../lib/webhook/envelope';
import { handleIngest } from '../../lib/ingest/handle-ingest';
import type { Kind } from '../../lib/webhook/kinds';
import { ingestDoubles } from '../support/doubles';
import { httpApiEvent } from '../support/events';
import { buildRequest, expectedResponse, hostileCase } from '../support/hostile';

const SECRETS: Record<Kind, string> = {
  jobs: 'gen-jobs',
  discover: 'gen-discover',
  connections: 'gen-connections',
};

describe('ingest handler under generated input (fast-check)', () => {
  it('answers each generated request exactly as the README says, never 5xx, queueing only what it accepts', async () => {
    let runs = 0;
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(hostileCase, async (c) => {
        runs += 1;
        const { deps, queue } = ingestDoubles({
          secrets: {
            jobs: [SECRETS.jobs],
            discover: [SECRETS.discover],
            connections: [SECRETS.connections],
          },
        });
        const built = buildRequest(c, SECRETS);
        const event = httpApiEvent({
          path: built.path,
          body: built.body,
          headers: built.headers,
          base64: built.base64,
        });
        const response = await handleIngest(fromHttpApiEvent(event), deps);
        const expected = expectedResponse(c);
        statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1);
        expect(response.statusCode).toBeLessThan(500);
        expect(response.statusCode).toBe(expected.status);
        const body = JSON.parse(response.body) as Record<string, unknown>;
        if (expected.status === 202) {
          expect(body.kind).toBe(expected.kind);
          expect(queue.sent).toHaveLength(1);
          expect(queue.sent[0]?.kind).toBe(expected.kind);
          expect(parseEnvelope(queue.sent[0]?.messageBody ?? '').body.equals(built.body)).toBe(
            true,
          );
        } else {
          expect(body).toEqual({ error: expected.error });
          expect(queue.sent).toHaveLength(0);
        }
      }),
      { numRuns: 600, seed: 20261129 },
    );
    expect(runs).toBeGreaterThanOrEqual(600);
    // The generator reaches every class of answer, not just one.
    expect([...statuses.keys()].sort()).toEqual([202, 400, 401, 413]);
  }, 120_000);
});
