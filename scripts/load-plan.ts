import { randomUUID } from 'node:crypto';
import { queueDepth } from '../lib/aws/queue-depth';
import { dynamoDbStore } from '../lib/aws/dynamodb/dynamodb-store';
import {
  localDocumentClient,
  localSqsClient,
  localTables,
  type LocalStackInfo,
} from '../lib/local/local-stack-facts';
import { contentHash } from '../lib/webhook/content-hash';
import type { Kind } from '../lib/webhook/kinds';
import { hotglueTime, samplePayload } from '../lib/webhook/samples';
import { connectionEntity, discoverEntity } from '../lib/records/entities';
import { signBody } from '../lib/webhook/signature';
import { seeded, SUCCESS } from '../test/support/lifecycle';

const FAILURE_POINTS = ['DISCOVER_FAILED', 'SYNC_FAILED', 'ETL_FAILED', 'EXPORT_FAILED'];
/** The events of a job that fails at `failure`: its lifecycle up to that phase's start, then the failure. */
function failedLifecycle(failure: string): string[] {
  if (failure === 'DISCOVER_FAILED') return ['JOB_CREATED', 'DISCOVER_STARTED', failure];
  const started = failure.replace('_FAILED', '_STARTED');
  return [...SUCCESS.slice(0, SUCCESS.indexOf(started) + 1), failure];
}

interface PlannedEvent {
  kind: Kind;
  body: string;
}

export interface Plan {
  /** What is sent, shuffled, duplicates included. */
  sends: PlannedEvent[];
  /** The distinct events in the order hotglue would send them (each job's lifecycle in order). */
  inOrder: PlannedEvent[];
  /** Per job: the distinct payload hashes and the status it must end in. */
  jobs: Map<string, { hashes: Set<string>; finalStatus: string }>;
  /** Per discover or connection partition: the distinct event identities expected. */
  discover: Map<string, Set<string>>;
  connections: Map<string, Set<string>>;
  distinct: number;
}

/**
 * Complete job lifecycles (successful and failed ones) of many jobs, plus discover and
 * connection events: about `events` distinct events, then `duplicateRate` of them sent again,
 * all shuffled.
 */
export function planLoad(events: number, duplicateRate: number, seed: number): Plan {
  const random = seeded(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const run = randomUUID().slice(0, 8);
  const distinct: PlannedEvent[] = [];
  const plan: Plan = {
    sends: [],
    inOrder: [],
    jobs: new Map(),
    discover: new Map(),
    connections: new Map(),
    distinct: 0,
  };
  const start = Date.now() - 3_600_000;
  let n = 0;
  while (distinct.length < events) {
    n += 1;
    const roll = random();
    const at = (i: number) => new Date(start + n * 1000 + i * 100);
    if (roll < 0.8) {
      const failed = random() < 0.3;
      const end = failed ? pick(FAILURE_POINTS) : 'JOB_COMPLETED';
      const statuses = failed ? failedLifecycle(end) : SUCCESS;
      const base = samplePayload('jobs', {
        now: at(0),
        overrides: { tenant: `load-${run}-t${n % 7}`, flow_id: `flow-${n % 5}` },
      });
      const s3Root = `load-${run}/jobs/${n}`;
      const hashes = new Set<string>();
      const stamps: Record<string, number> = {};
      statuses.forEach((status, i) => {
        if (status.endsWith('_STARTED')) stamps[status] = at(i).getTime();
        const payload = {
          ...base,
          s3_root: s3Root,
          job_id: `J${n}`,
          status,
          last_updated: hotglueTime(at(i)),
          status_timestamp: { ...stamps },
          error: status.endsWith('_FAILED') ? `${status} in load run` : null,
        };
        hashes.add(contentHash(payload));
        distinct.push({ kind: 'jobs', body: JSON.stringify(payload) });
      });
      plan.jobs.set(s3Root, { hashes, finalStatus: end });
    } else if (roll < 0.9) {
      const payload = samplePayload('discover', {
        now: at(0),
        overrides: {
          tenant: `load-${run}-d${n % 11}`,
          connector: `c${n % 3}`,
          status: pick(['DISCOVER_STARTED', 'DISCOVER_SUCCESS', 'DISCOVER_FAILED']),
        },
      });
      const pk = discoverEntity.key(payload);
      plan.discover.set(pk, (plan.discover.get(pk) ?? new Set()).add(contentHash(payload)));
      distinct.push({ kind: 'discover', body: JSON.stringify(payload) });
    } else {
      const payload = samplePayload('connections', {
        now: at(0),
        overrides: { tenant: `load-${run}-c${n % 13}`, event: pick(['LINK', 'UNLINK']) },
      });
      const pk = connectionEntity.key(payload);
      plan.connections.set(
        pk,
        (plan.connections.get(pk) ?? new Set()).add(String(payload.event_id)),
      );
      distinct.push({ kind: 'connections', body: JSON.stringify(payload) });
    }
  }
  plan.distinct = distinct.length;
  plan.inOrder = [...distinct];
  const sends = [...distinct];
  for (const event of distinct) if (random() < duplicateRate) sends.push(event);
  for (let i = sends.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [sends[i], sends[j]] = [sends[j] as PlannedEvent, sends[i] as PlannedEvent];
  }
  plan.sends = sends;
  return plan;
}

export interface SendResult {
  accepted: number;
  rejected: number;
  /** 503 answers that were retried, as hotglue would. */
  retried: number;
  latenciesMs: number[];
  seconds: number;
}

/** POSTs every planned event, signed, with `concurrency` requests in flight. */
export async function sendAll(
  plan: Pick<Plan, 'sends'>,
  baseUrl: string,
  secret: string,
  concurrency: number,
): Promise<SendResult> {
  const result: SendResult = { accepted: 0, rejected: 0, retried: 0, latenciesMs: [], seconds: 0 };
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < plan.sends.length) {
      const event = plan.sends[next++] as PlannedEvent;
      const signature = signBody(event.body, secret);
      for (let attempt = 0; ; attempt += 1) {
        const t0 = performance.now();
        const response = await fetch(`${baseUrl}/webhooks/${event.kind}`, {
          method: 'POST',
          body: event.body,
          headers: { 'content-type': 'application/json', 'x-hub-signature': signature },
        });
        await response.arrayBuffer();
        result.latenciesMs.push(performance.now() - t0);
        if (response.status === 202) {
          result.accepted += 1;
          break;
        }
        if (response.status === 503 && attempt < 5) {
          result.retried += 1;
          await new Promise((r) => setTimeout(r, 200 * 2 ** attempt));
          continue;
        }
        result.rejected += 1;
        break;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  result.seconds = (performance.now() - started) / 1000;
  return result;
}

/** Waits until every queue (and dead-letter queue) of the stack is empty. */
export async function waitForDrain(
  info: LocalStackInfo,
  timeoutMs: number,
): Promise<{ seconds: number; deadLetters: number }> {
  const sqs = localSqsClient(info.sqsEndpoint, info.region, info.accessKeyId);
  const started = performance.now();
  try {
    for (;;) {
      let pending = 0;
      let deadLetters = 0;
      for (const queue of Object.values(info.queues)) {
        const count = await queueDepth(sqs, queue.url);
        if (queue.name.endsWith('-dlq')) deadLetters += count;
        else pending += count;
      }
      if (pending === 0) return { seconds: (performance.now() - started) / 1000, deadLetters };
      if (performance.now() - started > timeoutMs)
        throw new Error(`queues not drained after ${timeoutMs / 1000} s (${pending} left)`);
      await new Promise((r) => setTimeout(r, 250));
    }
  } finally {
    sqs.destroy();
  }
}

export interface Verification {
  stored: number;
  lost: number;
  duplicated: number;
  wrongStatus: number;
}

/** Reads back every job, discover state and connection, comparing with what was sent. */
export async function verify(plan: Plan, info: LocalStackInfo): Promise<Verification> {
  const db = localDocumentClient(info.dynamodbEndpoint, info.region, info.accessKeyId);
  const store = dynamoDbStore(db, localTables(info));
  const v: Verification = { stored: 0, lost: 0, duplicated: 0, wrongStatus: 0 };
  const compare = (expected: Set<string>, got: string[]) => {
    const seen = new Set(got);
    v.stored += [...expected].filter((h) => seen.has(h)).length;
    v.lost += [...expected].filter((h) => !seen.has(h)).length;
    v.duplicated += got.length - seen.size + [...seen].filter((h) => !expected.has(h)).length;
  };
  try {
    for (const [s3Root, job] of plan.jobs) {
      const view = await store.getJob(s3Root);
      compare(
        job.hashes,
        (view?.history ?? []).map((h) => h.hash),
      );
      if (view?.status !== job.finalStatus) v.wrongStatus += 1;
    }
    for (const [pk, hashes] of plan.discover) {
      compare(
        hashes,
        (await store.history('discover', pk)).map((e) => e.hash),
      );
    }
    for (const [pk, ids] of plan.connections) {
      const history = await store.history('connections', pk);
      compare(
        ids,
        history.map((e) => String(e.payload.event_id)),
      );
    }
    return v;
  } finally {
    db.destroy();
  }
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}
