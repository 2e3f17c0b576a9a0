import { createHmac, timingSafeEqual } from 'node:crypto';
import { logger } from '../../lib/aws/logger';
import { emfCounters } from '../../lib/aws/metrics';
import { handleIngest, type IngestRequest } from '../../lib/ingest/handle-ingest';
import { fixedSecretSource } from '../../lib/ports/secret-source';
import { samplePayload } from '../../lib/webhook/samples';
import { signBody } from '../../lib/webhook/signature';
import { median, muted } from './common';

/** (a) The ingest core per event against its floor: HMAC-SHA1, timingSafeEqual, JSON.parse. */
export async function benchIngest() {
  const secret = 'bench-secret';
  const body = Buffer.from(JSON.stringify(samplePayload('jobs')));
  const signature = signBody(body, secret);
  const expected = Buffer.from(signature, 'hex');
  const deps = {
    config: { allowUnsigned: false, allowReserializedSignature: false },
    secrets: fixedSecretSource({ jobs: [secret], discover: [secret], connections: [secret] }),
    queue: { send: async () => ({ messageId: 'stub' }) },
    log: logger,
    counters: emfCounters('HotglueWebhooks'),
  };
  const request: IngestRequest = {
    method: 'POST',
    path: '/webhooks/jobs',
    headers: { 'x-hub-signature': signature },
    body,
    requestId: 'bench',
    receivedAt: new Date(),
  };
  const n = 5_000;
  const floor = () => {
    const t0 = performance.now();
    for (let i = 0; i < n; i += 1) {
      const digest = createHmac('sha1', secret).update(body).digest();
      if (!timingSafeEqual(digest, expected)) throw new Error('floor mismatch');
      JSON.parse(body.toString('utf8'));
    }
    return ((performance.now() - t0) * 1000) / n;
  };
  const handler = async () => {
    const t0 = performance.now();
    for (let i = 0; i < n; i += 1) {
      const response = await handleIngest(request, deps);
      deps.counters.flush();
      if (response.statusCode !== 202) throw new Error(`handler answered ${response.statusCode}`);
    }
    return ((performance.now() - t0) * 1000) / n;
  };
  const floors: number[] = [];
  const handlers: number[] = [];
  await muted(async () => {
    floor();
    await handler();
    for (let round = 0; round < 7; round += 1) {
      floors.push(floor());
      handlers.push(await handler());
    }
  });
  const us = median(handlers);
  const floorUs = median(floors);
  return {
    handlerUsPerEvent: us,
    floorUsPerEvent: floorUs,
    ratio: us / floorUs,
    bodyBytes: body.length,
  };
}
