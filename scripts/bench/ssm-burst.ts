/**
 * (i) The top of the hour against Parameter Store, modelled: `instances` ingest instances start
 * within one second, each runs the real ssmSecretSource (one shared read, full-jitter retries
 * until the ingest handler's 6 s budget) against a client that answers like an account's
 * Parameter Store: a token bucket of `rate` requests a second (as deep as one second's worth),
 * ThrottlingException when empty, `latencyMs` per answer. Time is virtual, so a run of thousands
 * of instances takes well under a second and gives the same figures on any machine for one seed.
 */
import type { SSMClient } from '@aws-sdk/client-ssm';
import { ssmSecretSource } from '../../lib/aws/ssm-secret-source';

/** The ingest handler's budget for the secrets (SECRETS_BUDGET_MS in lib/lambda/ingest-handler.ts). */
const BUDGET_MS = 6_000;

/** Timers on a virtual clock, run in time order by `drain`. */
class VirtualClock {
  now = 0;
  private timers: { at: number; seq: number; resolve: () => void }[] = [];
  private seq = 0;

  sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      this.timers.push({ at: this.now + Math.max(0, ms), seq: (this.seq += 1), resolve });
    });

  async drain(): Promise<void> {
    for (;;) {
      // Let every promise chain run until it waits on the clock again.
      await new Promise((resolve) => setImmediate(resolve));
      if (this.timers.length === 0) return;
      this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.timers.shift();
      if (next === undefined) return;
      this.now = next.at;
      next.resolve();
    }
  }
}

/** A deterministic uniform draw in [0, 1) (mulberry32), so that runs can be compared. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** Parameter Store as one account sees it: a token bucket shared by every caller. */
function throttlingSsm(clock: VirtualClock, rate: number, latencyMs: number) {
  let tokens = rate;
  let filledAt = 0;
  const counts = { calls: 0, throttled: 0 };
  const client = {
    async send() {
      counts.calls += 1;
      await clock.sleep(latencyMs / 2);
      tokens = Math.min(rate, tokens + ((clock.now - filledAt) / 1000) * rate);
      filledAt = clock.now;
      const served = tokens >= 1;
      if (served) tokens -= 1;
      else counts.throttled += 1;
      await clock.sleep(latencyMs / 2);
      if (!served) {
        throw Object.assign(new Error('Rate exceeded'), {
          name: 'ThrottlingException',
          $metadata: { httpStatusCode: 400 },
        });
      }
      return { Parameters: [{ Name: '/p/shared', Value: 'secret' }], InvalidParameters: [] };
    },
  };
  return { client: client as unknown as SSMClient, counts };
}

export interface SsmBurstResult {
  instances: number;
  rate: number;
  /** Instances whose first request had its secrets within the budget. */
  verified: number;
  share: number;
  /** The slowest first read that succeeded (ms). */
  slowestMs: number;
  calls: number;
  throttled: number;
}

export async function benchSsmBurst(
  instances: number,
  rate = 40,
  latencyMs = 20,
  seed = 1,
): Promise<SsmBurstResult> {
  const clock = new VirtualClock();
  const random = seeded(seed);
  const ssm = throttlingSsm(clock, rate, latencyMs);
  const waits: number[] = [];
  const starts = Array.from({ length: instances }, async () => {
    await clock.sleep(Math.floor(random() * 1_000));
    const source = ssmSecretSource(ssm.client, '/p', {
      now: () => clock.now,
      sleep: clock.sleep,
      random,
    });
    const start = clock.now;
    try {
      await source.secrets(start + BUDGET_MS);
      // A try that started before the deadline and answered after it is aborted in ingest.
      if (clock.now - start <= BUDGET_MS) waits.push(clock.now - start);
    } catch {
      // not verified within the budget: this request would have been answered 503
    }
  });
  const done = Promise.all(starts);
  await clock.drain();
  await done;
  return {
    instances,
    rate,
    verified: waits.length,
    share: waits.length / instances,
    slowestMs: Math.max(0, ...waits),
    calls: ssm.counts.calls,
    throttled: ssm.counts.throttled,
  };
}
