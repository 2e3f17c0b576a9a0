import '../lib/config/quiet-warnings';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { percentile, planLoad, sendAll, verify, waitForDrain } from './load-plan';
import { startStackChild } from '../test/support/stack-process';

const HELP = `Usage: npm run load -- [--events N] [--concurrency C] [--duplicates R] [--seed S] [--json]

Starts a fresh local stack (free ports, a temporary data folder), sends about N signed events
(complete lifecycles of many jobs, shuffled, with a share R sent twice, plus discover and
connection events) with C requests in flight, waits for the queues to drain, and checks that
every accepted event is stored exactly once and every job ends in the right status.
Exits 1 when anything was lost, duplicated or wrong.

Defaults: --events 1000 --concurrency 16 --duplicates 0.1 --seed 1`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      events: { type: 'string', default: '1000' },
      concurrency: { type: 'string', default: '16' },
      duplicates: { type: 'string', default: '0.1' },
      seed: { type: 'string', default: '1' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const events = Number(values.events);
  const concurrency = Number(values.concurrency);
  const duplicates = Number(values.duplicates);
  if (!(events >= 1 && concurrency >= 1 && duplicates >= 0 && duplicates <= 1))
    throw new Error(`bad options\n\n${HELP}`);
  const dataDir = await mkdtemp(join(tmpdir(), 'hotglue-load-'));
  const secret = randomBytes(16).toString('hex');
  const stack = await startStackChild(dataDir, { WEBHOOK_SECRET: secret });
  try {
    const plan = planLoad(events, duplicates, Number(values.seed));
    const sent = await sendAll(plan, stack.info.baseUrl, secret, concurrency);
    const drain = await waitForDrain(stack.info, 120_000 + events * 100);
    const checked = await verify(plan, stack.info);
    const report = {
      events: plan.distinct,
      sent: plan.sends.length,
      duplicatesSent: plan.sends.length - plan.distinct,
      accepted: sent.accepted,
      rejected: sent.rejected,
      retried503: sent.retried,
      stored: checked.stored,
      lost: checked.lost,
      duplicated: checked.duplicated,
      wrongFinalStatus: checked.wrongStatus,
      deadLetters: drain.deadLetters,
      jobs: plan.jobs.size,
      concurrency,
      sendSeconds: Number(sent.seconds.toFixed(2)),
      drainSeconds: Number(drain.seconds.toFixed(2)),
      acceptedPerSecond: Number((sent.accepted / sent.seconds).toFixed(1)),
      storedPerSecond: Number((checked.stored / (sent.seconds + drain.seconds)).toFixed(1)),
      latencyMs: {
        p50: Number(percentile(sent.latenciesMs, 50).toFixed(2)),
        p95: Number(percentile(sent.latenciesMs, 95).toFixed(2)),
        p99: Number(percentile(sent.latenciesMs, 99).toFixed(2)),
      },
    };
    if (values.json) process.stdout.write(`${JSON.stringify(report)}\n`);
    else {
      const w = (k: string, v: unknown) => process.stdout.write(`${k.padEnd(24)}${String(v)}\n`);
      w('events (distinct)', report.events);
      w('sent (with duplicates)', report.sent);
      w('accepted', report.accepted);
      w('rejected', report.rejected);
      w('stored', report.stored);
      w('lost', report.lost);
      w('duplicated', report.duplicated);
      w('wrong final status', report.wrongFinalStatus);
      w('dead letters', report.deadLetters);
      w(
        'latency p50/p95/p99',
        `${report.latencyMs.p50} / ${report.latencyMs.p95} / ${report.latencyMs.p99} ms`,
      );
      w(
        'throughput',
        `${report.acceptedPerSecond} accepted/s, ${report.storedPerSecond} stored/s end to end`,
      );
      w('time', `${report.sendSeconds} s sending, ${report.drainSeconds} s more to drain`);
    }
    const ok =
      report.lost === 0 &&
      report.duplicated === 0 &&
      report.wrongFinalStatus === 0 &&
      report.rejected === 0 &&
      report.deadLetters === 0;
    return ok ? 0 : 1;
  } finally {
    await stack.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(
      `load failed: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exit(2);
  },
);
