import { handleIngest, type IngestRequest } from '../../lib/ingest/handle-ingest';
import type { Kind } from '../../lib/webhook/kinds';
import { hmacHex, payloadOf } from '../support/events';
import { ingestDoubles } from '../support/doubles';

/**
 * Events whose DynamoDB keys would be too long are refused at ingest with 400, naming the fields,
 * instead of being accepted and dead-lettered by a consumer. The expected reasons come from the
 * documented key layout: a discover state's partition key is DISCOVER# and its four identity
 * fields, a connection's history sort key EVENT# and its event_id, a job's start-time index key
 * a 27-character time, '#' and its s3_root; partition keys hold 2,048 bytes, sort keys 1,024.
 */
const SECRET = 'key-limit-secret';

async function answer(kind: Kind, overrides: Record<string, unknown>) {
  const doubles = ingestDoubles({
    secrets: { jobs: [SECRET], discover: [SECRET], connections: [SECRET] },
  });
  const body = JSON.stringify(payloadOf(kind, overrides));
  const request: IngestRequest = {
    method: 'POST',
    path: `/webhooks/${kind}`,
    headers: { 'x-hub-signature': hmacHex(SECRET, body) },
    body: Buffer.from(body),
    requestId: 'r',
    receivedAt: new Date(),
  };
  const response = await handleIngest(request, doubles.deps);
  return {
    status: response.statusCode,
    body: JSON.parse(response.body),
    queued: doubles.queue.sent,
  };
}

describe('keys DynamoDB cannot hold are refused at ingest', () => {
  it.each([
    [
      'a discover event with 1,024-character tenant and flow_id (partition key of 2,061 bytes)',
      'discover' as Kind,
      { tenant: 't'.repeat(1024), flow_id: 'f'.repeat(1024) },
      'invalid discover event: env_id, tenant, flow_id, connector make a key longer than 2048 bytes',
    ],
    [
      'a connection event_id of 1,100 characters',
      'connections' as Kind,
      { event_id: 'e'.repeat(1100) },
      'invalid connections event: event_id must be a non-empty string of at most 1024 characters',
    ],
    [
      'a connection event_id of 1,020 characters (a history sort key of 1,026 bytes)',
      'connections' as Kind,
      { event_id: 'e'.repeat(1020) },
      'invalid connections event: event_id makes a key longer than 1024 bytes',
    ],
    [
      'a connection env_id of 3,000 characters',
      'connections' as Kind,
      { env_id: 'v'.repeat(3000) },
      'invalid connections event: env_id must be a non-empty string of at most 1024 characters',
    ],
    [
      'a connection connector_type of 3,000 characters',
      'connections' as Kind,
      { connector_type: 'c'.repeat(3000) },
      'invalid connections event: connector_type must be a non-empty string of at most 1024 characters',
    ],
    [
      'a job s3_root of 1,000 characters (a start-time index key of 1,028 bytes)',
      'jobs' as Kind,
      { s3_root: 's'.repeat(1000) },
      'invalid jobs event: s3_root makes a key longer than 1024 bytes',
    ],
    [
      'a job tenant of 700 three-byte characters (2,100 bytes in an index partition key)',
      'jobs' as Kind,
      { tenant: '€'.repeat(700) },
      'invalid jobs event: tenant makes a key longer than 2048 bytes',
    ],
  ])('%s', async (_what, kind, overrides, reason) => {
    const got = await answer(kind, overrides);
    expect(got.status).toBe(400);
    expect(got.body).toEqual({ error: reason });
    expect(got.queued).toHaveLength(0);
  });

  it('accepts keys right at the limits', async () => {
    expect((await answer('jobs', { s3_root: 's'.repeat(996) })).status).toBe(202);
    expect((await answer('connections', { event_id: 'e'.repeat(1018) })).status).toBe(202);
    expect((await answer('jobs', { tenant: '€'.repeat(682) })).status).toBe(202);
  });
});
