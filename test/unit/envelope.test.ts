import {
  buildEnvelope,
  MAX_BODY_BYTES,
  MAX_MESSAGE_BYTES,
  parseEnvelope,
} from '../../lib/webhook/envelope';
import { PoisonMessageError } from '../../lib/webhook/envelope';

describe('envelope', () => {
  it('round-trips any bytes exactly', () => {
    const body = Buffer.from([0, 1, 2, 0xff, 0x7b, 0x22]);
    const message = buildEnvelope({
      kind: 'jobs',
      body,
      receivedAt: new Date(0),
      requestId: 'r',
      eventKey: 'a'.repeat(64),
    });
    const parsed = parseEnvelope(message);
    expect(parsed.body.equals(body)).toBe(true);
    expect(parsed.envelope).toMatchObject({
      v: 1,
      kind: 'jobs',
      receivedAt: '1970-01-01T00:00:00.000Z',
      requestId: 'r',
    });
  });

  it('fits the largest accepted body, with the longest metadata, in one SQS message', () => {
    const message = buildEnvelope({
      kind: 'connections',
      body: Buffer.alloc(MAX_BODY_BYTES, 0xff),
      receivedAt: new Date('+275760-09-13T00:00:00.000Z'),
      requestId: '"'.repeat(500),
      eventKey: 'f'.repeat(64),
    });
    expect(Buffer.byteLength(message)).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);
    // ...and the limit is tight: a body 3 bytes larger would not leave the envelope its room.
    expect(Math.ceil((MAX_BODY_BYTES + 3) / 3) * 4 + 1024).toBeGreaterThan(MAX_MESSAGE_BYTES);
  });

  it('reads a message queued by 0.1.0, whose event key was called dedupeKey', () => {
    // Written out by hand, as 0.1.0 wrote it: an upgrade must not turn queued messages into poison.
    const old = JSON.stringify({
      v: 1,
      kind: 'discover',
      receivedAt: '2026-11-01T00:00:00.000Z',
      requestId: 'r-old',
      dedupeKey: 'b'.repeat(64),
      bodyBase64: Buffer.from('{"a":1}').toString('base64'),
    });
    const { envelope, body } = parseEnvelope(old);
    expect(envelope.eventKey).toBe('b'.repeat(64));
    expect(body.toString()).toBe('{"a":1}');
    expect(() => parseEnvelope(old.replace('dedupeKey', 'otherKey'))).toThrow(PoisonMessageError);
  });

  it('carries a source only for events that are not webhooks, and refuses an unknown one', () => {
    const base = {
      kind: 'jobs' as const,
      body: Buffer.from('{}'),
      receivedAt: new Date(0),
      requestId: 'r',
      eventKey: 'c'.repeat(64),
    };
    expect(parseEnvelope(buildEnvelope(base)).envelope.source).toBeUndefined();
    expect(parseEnvelope(buildEnvelope({ ...base, source: 'webhook' })).envelope.source).toBe(
      undefined,
    );
    const polled = buildEnvelope({ ...base, source: 'reconcile' });
    expect(parseEnvelope(polled).envelope.source).toBe('reconcile');
    expect(() => parseEnvelope(polled.replace('"reconcile"', '"elsewhere"'))).toThrow(
      PoisonMessageError,
    );
  });

  it('refuses what is not an envelope as poison', () => {
    expect(() => parseEnvelope('not json')).toThrow(PoisonMessageError);
    expect(() => parseEnvelope('{"v":2}')).toThrow(PoisonMessageError);
    expect(() => parseEnvelope(JSON.stringify({ v: 1, kind: 'other' }))).toThrow(
      PoisonMessageError,
    );
  });
});
