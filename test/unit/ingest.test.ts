import { parseEnvelope, MAX_BODY_BYTES } from '../../lib/webhook/envelope';
import { deduplicationIdOf } from '../../lib/records/message-group';
import { handleIngest, type IngestRequest } from '../../lib/ingest/handle-ingest';
import type { Kind } from '../../lib/webhook/kinds';
import { KINDS } from '../../lib/webhook/kinds';
import { hmacHex, payloadOf } from '../support/events';
import { SecretsUnavailableError } from '../../lib/ports/secret-source';
import { ingestDoubles, recordingLog } from '../support/doubles';
import { MAX_STATUS_PHASES } from '../../lib/webhook/shape';

const SECRETS: Record<Kind, string> = {
  jobs: 'jobs-secret',
  discover: 'discover-secret',
  connections: 'connections-secret',
};

function request(
  path: string,
  body: string | Buffer,
  headers: Record<string, string> = {},
  method = 'POST',
): IngestRequest {
  return {
    method,
    path,
    headers,
    body: Buffer.from(body),
    requestId: 'req-42',
    receivedAt: new Date('2026-11-29T05:00:00.000Z'),
  };
}

function signed(path: string, body: string | Buffer, secret: string): IngestRequest {
  return request(path, body, { 'x-hub-signature': hmacHex(secret, body) });
}

function setup(options: Parameters<typeof ingestDoubles>[0] = {}) {
  const doubles = ingestDoubles(options);
  return { ...doubles, call: (req: IngestRequest) => handleIngest(req, doubles.deps) };
}

const bodyOf = (response: { body: string }): Record<string, unknown> => JSON.parse(response.body);

describe('handleIngest: accepted events', () => {
  it.each(KINDS)(
    'queues a signed %s event on its own route and answers 202 with the message id',
    async (kind) => {
      const { queue, call } = setup();
      const body = JSON.stringify(payloadOf(kind));
      const response = await call(signed(`/webhooks/${kind}`, body, SECRETS[kind]));
      expect(response.statusCode).toBe(202);
      expect(bodyOf(response)).toEqual({ id: 'msg-1', kind });
      expect(queue.sent).toHaveLength(1);
      expect(queue.sent[0]?.kind).toBe(kind);
      const { envelope, body: queued } = parseEnvelope(queue.sent[0]?.messageBody ?? '');
      expect(queued.toString('utf8')).toBe(body);
      expect(envelope).toMatchObject({
        kind,
        requestId: 'req-42',
        receivedAt: '2026-11-29T05:00:00.000Z',
      });
      expect(envelope.eventKey).toMatch(/^[0-9a-f]{64}$/);
    },
  );

  it('queues each event in its entity’s message group, deduplicated by its event key and content', async () => {
    const { queue, call } = setup();
    const post = (fields: Record<string, unknown>) =>
      call(signed('/webhooks/jobs', JSON.stringify(payloadOf('jobs', fields)), SECRETS.jobs));
    await post({ s3_root: 'a/one', status: 'JOB_CREATED' });
    await post({ s3_root: 'a/one', status: 'SYNC_STARTED' });
    await post({ s3_root: 'a/two', status: 'JOB_CREATED' });
    const [first, second, other] = queue.sent;
    // One group per job, whatever its status; another job, another group.
    expect(first?.groupId).toMatch(/^[0-9a-f]{64}$/);
    expect(second?.groupId).toBe(first?.groupId);
    expect(other?.groupId).not.toBe(first?.groupId);
    for (const sent of queue.sent) {
      const { envelope, body } = parseEnvelope(sent.messageBody);
      expect(sent.deduplicationId).toBe(
        deduplicationIdOf(
          envelope.eventKey,
          JSON.parse(body.toString()) as Record<string, unknown>,
        ),
      );
      expect(sent.deduplicationId).toMatch(/^[0-9a-f]{64}$/);
    }
    expect(new Set(queue.sent.map((m) => m.deduplicationId)).size).toBe(3);
  });

  it('gives two contents of one event identity two deduplication ids, and a redelivery (reformatted too) the same one', async () => {
    const { queue, call } = setup();
    // A job event with no last_updated and no status timestamp: its identity is its s3_root and status.
    const one = payloadOf('jobs', {
      s3_root: 'dedup/one',
      status: 'SYNC_STARTED',
      last_updated: undefined,
      status_timestamp: undefined,
      metrics: { recordCount: 1 },
    });
    const two = { ...one, metrics: { recordCount: 2 } };
    const post = (body: string) => call(signed('/webhooks/jobs', body, SECRETS.jobs));
    for (const body of [JSON.stringify(one), JSON.stringify(two), JSON.stringify(one, null, 2)])
      expect((await post(body)).statusCode).toBe(202);
    const [first, other, again] = queue.sent.map((m) => ({
      eventKey: parseEnvelope(m.messageBody).envelope.eventKey,
      deduplicationId: m.deduplicationId,
    }));
    expect(new Set([first, other, again].map((m) => m?.eventKey)).size).toBe(1);
    expect(other?.deduplicationId).not.toBe(first?.deduplicationId);
    expect(again?.deduplicationId).toBe(first?.deduplicationId);
  });

  it.each(KINDS)('detects a %s event on POST /webhooks', async (kind) => {
    const { queue, call } = setup();
    const response = await call(
      signed('/webhooks', JSON.stringify(payloadOf(kind)), SECRETS[kind]),
    );
    expect(response.statusCode).toBe(202);
    expect(bodyOf(response).kind).toBe(kind);
    expect(queue.sent[0]?.kind).toBe(kind);
  });

  it('treats a job payload with a DISCOVER_* status as a job event', async () => {
    const { queue, call } = setup();
    for (const status of ['DISCOVER_STARTED', 'DISCOVER_FAILED']) {
      const body = JSON.stringify(payloadOf('jobs', { status }));
      expect((await call(signed('/webhooks', body, SECRETS.jobs))).statusCode).toBe(202);
      expect((await call(signed('/webhooks/discover', body, SECRETS.discover))).statusCode).toBe(
        400,
      );
    }
    expect(queue.sent.map((m) => m.kind)).toEqual(['jobs', 'jobs']);
  });

  it('keeps the exact bytes: whitespace, key order, unknown fields and unknown statuses', async () => {
    const { queue, call } = setup();
    const body =
      '{ "status":"SOME_FUTURE_STATUS", "s3_root":"a/b", "tenant":"t", "flow_id":"f",\n "new_field": [1, 2.50] }';
    expect((await call(signed('/webhooks/jobs', body, SECRETS.jobs))).statusCode).toBe(202);
    expect(parseEnvelope(queue.sent[0]?.messageBody ?? '').body.toString()).toBe(body);
  });

  it('accepts a body of exactly the size limit', async () => {
    const { call } = setup();
    const base = JSON.stringify(payloadOf('jobs', { pad: '' }));
    const body = base.replace('"pad":""', `"pad":"${'x'.repeat(MAX_BODY_BYTES - base.length)}"`);
    expect(Buffer.byteLength(body)).toBe(MAX_BODY_BYTES);
    expect((await call(signed('/webhooks/jobs', body, SECRETS.jobs))).statusCode).toBe(202);
  });

  it('accepts a rotated secret list', async () => {
    const { call } = setup({
      secrets: { jobs: ['old', 'new'], discover: ['d'], connections: ['c'] },
    });
    const body = JSON.stringify(payloadOf('jobs'));
    expect((await call(signed('/webhooks/jobs', body, 'new'))).statusCode).toBe(202);
    expect((await call(signed('/webhooks/jobs', body, 'old'))).statusCode).toBe(202);
  });

  it('answers GET /health with 200', async () => {
    const { call } = setup();
    const response = await call(request('/health', '', {}, 'GET'));
    expect(response.statusCode).toBe(200);
    expect(bodyOf(response)).toEqual({ status: 'ok' });
  });
});

describe('handleIngest: refusals', () => {
  const jobBody = JSON.stringify(payloadOf('jobs'));

  it('answers 401 for a missing, malformed or wrong signature, and queues nothing', async () => {
    const { queue, call } = setup();
    const cases: [IngestRequest, string][] = [
      [request('/webhooks/jobs', jobBody), 'missing signature'],
      [request('/webhooks/jobs', jobBody, { 'x-hub-signature': 'abc' }), 'malformed signature'],
      [signed('/webhooks/jobs', jobBody, 'wrong'), 'invalid signature'],
      // A discover secret does not sign job events.
      [signed('/webhooks/jobs', jobBody, SECRETS.discover), 'invalid signature'],
      [signed('/webhooks', jobBody, SECRETS.discover), 'invalid signature'],
      [request('/webhooks', jobBody), 'missing signature'],
    ];
    for (const [req, reason] of cases) {
      const response = await call(req);
      expect(response.statusCode).toBe(401);
      expect(bodyOf(response)).toEqual({ error: reason });
    }
    expect(queue.sent).toHaveLength(0);
  });

  it('refuses unsigned events when no secret is configured, unless unsigned delivery is enabled', async () => {
    const none = { jobs: [], discover: [], connections: [] };
    const refused = setup({ secrets: none });
    const response = await refused.call(request('/webhooks/jobs', jobBody));
    expect(response.statusCode).toBe(401);
    expect(bodyOf(response).error).toMatch(/no secret configured/);
    expect((await refused.call(request('/webhooks', jobBody))).statusCode).toBe(401);

    const open = setup({ secrets: none, allowUnsigned: true });
    expect((await open.call(request('/webhooks/jobs', jobBody))).statusCode).toBe(202);
    expect((await open.call(request('/webhooks', jobBody))).statusCode).toBe(202);
    expect(open.queue.sent).toHaveLength(2);
  });

  it('still requires a signature for a kind with a secret when unsigned delivery is enabled', async () => {
    const { call } = setup({
      secrets: { jobs: ['j'], discover: [], connections: [] },
      allowUnsigned: true,
    });
    expect((await call(request('/webhooks/jobs', jobBody))).statusCode).toBe(401);
    expect((await call(request('/webhooks', jobBody))).statusCode).toBe(401);
    const discover = JSON.stringify(payloadOf('discover'));
    expect((await call(request('/webhooks/discover', discover))).statusCode).toBe(202);
  });

  it('accepts a re-serialised signature only with the fallback on', async () => {
    const spaced = JSON.stringify(payloadOf('jobs'), null, 2);
    const header = { 'x-hub-signature': hmacHex(SECRETS.jobs, JSON.stringify(JSON.parse(spaced))) };
    expect((await setup().call(request('/webhooks/jobs', spaced, header))).statusCode).toBe(401);
    const on = setup({ allowReserializedSignature: true });
    expect((await on.call(request('/webhooks/jobs', spaced, header))).statusCode).toBe(202);
    expect(on.log.lines.find((l) => l.message === 'event accepted')?.fields.signature).toBe(
      'reserialized',
    );
  });

  it.each([
    ['not JSON', '{"tenant": ', 'body is not valid JSON'],
    ['empty', '', 'body is not valid JSON'],
    ['an array', '[1,2]', 'body is not a JSON object'],
    ['a string', '"hello"', 'body is not a JSON object'],
    ['null', 'null', 'body is not a JSON object'],
  ])('answers 400 for a body that is %s', async (_name, body, reason) => {
    const { queue, call } = setup();
    const response = await call(signed('/webhooks/jobs', body, SECRETS.jobs));
    expect(response.statusCode).toBe(400);
    expect(bodyOf(response)).toEqual({ error: reason });
    expect(queue.sent).toHaveLength(0);
  });

  it('answers 400 for invalid UTF-8', async () => {
    const { call } = setup();
    const body = Buffer.concat([
      Buffer.from('{"tenant":"'),
      Buffer.from([0xc3, 0x28]),
      Buffer.from('"}'),
    ]);
    const response = await call(signed('/webhooks/jobs', body, SECRETS.jobs));
    expect(response.statusCode).toBe(400);
    expect(bodyOf(response)).toEqual({ error: 'body is not valid UTF-8' });
  });

  it('answers 400 for a payload of another kind on a per-kind route', async () => {
    const { queue, call } = setup();
    const connection = JSON.stringify(payloadOf('connections'));
    const response = await call(signed('/webhooks/jobs', connection, SECRETS.jobs));
    expect(response.statusCode).toBe(400);
    expect(bodyOf(response)).toEqual({ error: 'payload is a connections event, not a jobs event' });
    expect(queue.sent).toHaveLength(0);
  });

  it('answers 400 when the auto route cannot tell the kind', async () => {
    const { call } = setup({ secrets: { jobs: ['s'], discover: ['s'], connections: ['s'] } });
    const response = await call(signed('/webhooks', '{"tenant":"t"}', 's'));
    expect(response.statusCode).toBe(400);
    expect(bodyOf(response)).toEqual({ error: 'cannot tell the webhook kind from the payload' });
  });

  it.each([
    ['jobs', { s3_root: 'r', tenant: 't', flow_id: 'f' }, 'invalid jobs event: status is required'],
    [
      'jobs',
      { s3_root: 'r', tenant: 't', flow_id: 'f', status: 5 },
      'invalid jobs event: status must be a non-empty string of at most 1024 characters',
    ],
    [
      'discover',
      { tenant: 't', flow_id: 'f', status: 'DISCOVER_SUCCESS' },
      'invalid discover event: connector is required',
    ],
    [
      'connections',
      { tenant: 't', flow_id: 'f', event: 'LINK' },
      'invalid connections event: connector is required',
    ],
  ] as const)(
    'answers 400 naming a missing identifying field (%s)',
    async (kind, payload, reason) => {
      const { call } = setup();
      const body = JSON.stringify(payload);
      const response = await call(signed(`/webhooks/${kind}`, body, SECRETS[kind]));
      expect(response.statusCode).toBe(400);
      expect(bodyOf(response)).toEqual({ error: reason });
    },
  );

  it('answers 400 for more than 64 status_timestamp keys, naming the cap; 64 are queued', async () => {
    const { queue, call } = setup();
    const phases = (n: number) =>
      Object.fromEntries(Array.from({ length: n }, (_, i) => [`P${i}`, 1_700_000_000 + i]));
    const at = JSON.stringify(payloadOf('jobs', { status_timestamp: phases(MAX_STATUS_PHASES) }));
    expect((await call(signed('/webhooks/jobs', at, SECRETS.jobs))).statusCode).toBe(202);
    const over = JSON.stringify(
      payloadOf('jobs', { status_timestamp: phases(MAX_STATUS_PHASES + 1) }),
    );
    const response = await call(signed('/webhooks', over, SECRETS.jobs));
    expect(response.statusCode).toBe(400);
    expect(bodyOf(response)).toEqual({ error: 'body has more than 64 status_timestamp keys' });
    expect(queue.sent).toHaveLength(1);
  });

  it('answers 400 for a connection event named __proto__, naming the rule', async () => {
    const { queue, call } = setup();
    const body = JSON.stringify(payloadOf('connections', { event: '__proto__' }));
    for (const path of ['/webhooks/connections', '/webhooks']) {
      const response = await call(signed(path, body, SECRETS.connections));
      expect(response.statusCode).toBe(400);
      expect(bodyOf(response)).toEqual({
        error:
          'invalid connections event: event cannot be __proto__ (a map key DynamoDB cannot hold)',
      });
    }
    expect(queue.sent).toHaveLength(0);
  });

  it('answers 404 for an unknown path and 405 for a wrong method', async () => {
    const { call } = setup();
    const notFound = await call(request('/nope', '{}'));
    expect(notFound.statusCode).toBe(404);
    expect(bodyOf(notFound)).toEqual({ error: 'not found' });
    const wrong = await call(request('/webhooks/jobs', '', {}, 'GET'));
    expect(wrong.statusCode).toBe(405);
    expect(wrong.headers.allow).toBe('POST');
    expect(bodyOf(wrong)).toEqual({ error: 'method not allowed' });
    expect((await call(request('/health', '', {}, 'POST'))).statusCode).toBe(405);
  });

  it('answers 413 for a body one byte over the limit, before checking the signature', async () => {
    const { queue, call } = setup();
    const body = Buffer.alloc(MAX_BODY_BYTES + 1, 0x20);
    const response = await call(request('/webhooks/jobs', body));
    expect(response.statusCode).toBe(413);
    expect(bodyOf(response)).toEqual({ error: `body larger than ${MAX_BODY_BYTES} bytes` });
    expect(queue.sent).toHaveLength(0);
  });

  it('answers 503 with Retry-After when the queue cannot be reached', async () => {
    const { queue, log, call } = setup();
    queue.failing = true;
    const response = await call(signed('/webhooks/jobs', jobBody, SECRETS.jobs));
    expect(response.statusCode).toBe(503);
    expect(response.headers['retry-after']).toBe('5');
    expect(bodyOf(response)).toEqual({ error: 'queue unavailable, retry later' });
    expect(log.lines.find((l) => l.level === 'error')?.fields.cause).toBe('Error');
  });

  it('answers 500 without details when something unexpected fails', async () => {
    const log = recordingLog();
    const queue = { send: () => Promise.reject(new TypeError('secret detail at /internal/path')) };
    const { deps } = ingestDoubles();
    const response = await handleIngest(signed('/webhooks/jobs', jobBody, SECRETS.jobs), {
      ...deps,
      queue,
      log,
    });
    expect(response.statusCode).toBe(500);
    expect(bodyOf(response)).toEqual({ error: 'internal error' });
    expect(log.text()).not.toContain('secret detail');
  });

  it('answers 503 when the secrets cannot be read, and queues nothing', async () => {
    const { deps, queue } = ingestDoubles();
    const secrets = {
      secrets: () => Promise.reject(new SecretsUnavailableError(new Error('ssm down'))),
    };
    const response = await handleIngest(signed('/webhooks/jobs', jobBody, SECRETS.jobs), {
      ...deps,
      secrets,
    });
    expect(response.statusCode).toBe(503);
    expect(bodyOf(response)).toEqual({ error: 'signature secrets unavailable, retry later' });
    expect(queue.sent).toHaveLength(0);
  });

  it('counts accepted, enqueued and rejected events by kind and reason', async () => {
    const { counters, queue, call } = setup();
    await call(signed('/webhooks', jobBody, SECRETS.jobs));
    await call(signed('/webhooks/discover', jobBody, SECRETS.discover));
    await call(request('/webhooks/connections', '{}'));
    queue.failing = true;
    await call(signed('/webhooks/jobs', jobBody, SECRETS.jobs));
    expect(counters.counted).toEqual([
      { name: 'accepted', dimensions: { kind: 'jobs' }, value: 1 },
      { name: 'enqueued', dimensions: { kind: 'jobs' }, value: 1 },
      { name: 'rejected', dimensions: { route: 'discover', reason: 'bad_request' }, value: 1 },
      { name: 'rejected', dimensions: { route: 'connections', reason: 'bad_signature' }, value: 1 },
      { name: 'accepted', dimensions: { kind: 'jobs' }, value: 1 },
      { name: 'rejected', dimensions: { route: 'jobs', reason: 'queue_unavailable' }, value: 1 },
    ]);
  });

  it('never puts a secret, a signature or the body in a response or a log line', async () => {
    const { log, call } = setup();
    const marker = 'BODY-MARKER-7f3a';
    const body = JSON.stringify(payloadOf('jobs', { tenant: marker }));
    const good = signed('/webhooks/jobs', body, SECRETS.jobs);
    const bad = signed('/webhooks/jobs', body, 'wrong');
    const responses = [
      await call(good),
      await call(bad),
      await call(signed('/webhooks/discover', body, SECRETS.discover)),
    ];
    const everything = log.text() + responses.map((r) => r.body).join('');
    for (const secret of Object.values(SECRETS)) expect(everything).not.toContain(secret);
    expect(everything).not.toContain(good.headers['x-hub-signature']);
    expect(everything).not.toContain(bad.headers['x-hub-signature']);
    expect(everything).not.toContain(marker);
  });
});
