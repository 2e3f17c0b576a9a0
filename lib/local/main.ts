import '../config/quiet-warnings';
import { readFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { durationText } from '../webhook/time';
import { loadLocalStackConfig, type LocalStackConfig } from '../config/local-stack';
import { processAlive, STACK_FILE } from './local-stack-facts';
import { startLocalStack } from './stack';
import type { LocalStack, Recovery } from './stack-types';

/** dynalite's store allows one process per folder: refuse a second stack on the same data. */
async function refuseIfRunning(dataDir: string): Promise<void> {
  try {
    const { pid } = JSON.parse(await readFile(join(dataDir, STACK_FILE), 'utf8')) as {
      pid: number;
    };
    if (pid !== process.pid && processAlive(pid)) {
      throw new Error(
        `a local stack (pid ${pid}) is already running on ${dataDir}; stop it or set DATA_DIR`,
      );
    }
  } catch (error) {
    if (error instanceof Error && error.message.startsWith('a local stack')) throw error;
  }
}

const byQueue = (counts: Record<string, number>): string =>
  Object.entries(counts)
    .map(([queue, n]) => `${queue}=${n}`)
    .join(', ');

/** One line on what the journal gave back, printed on every start (zero included). */
function recoveryLine(recovered: Recovery, cwd: string): string {
  const total = Object.values(recovered.byQueue).reduce((a, b) => a + b, 0);
  const file = relative(cwd, recovered.file);
  const parts = [
    total === 0
      ? `  recovered: nothing queued from the last run (journal: ${file})`
      : `  recovered: ${total} queued events from the last run, back on their queues: ${byQueue(recovered.byQueue)} (journal: ${file})`,
  ];
  if (Object.keys(recovered.unknownQueues).length > 0)
    parts.push(`; kept for queues this stage does not have: ${byQueue(recovered.unknownQueues)}`);
  if (recovered.unreadableLines > 0)
    parts.push(`; ${recovered.unreadableLines} torn journal lines skipped (never acknowledged)`);
  return parts.join('');
}

/** 7200000 → 2h, 90000 → 90s: the largest unit that divides the duration. */

const say = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

/** The start's banner: the ready line, then what runs and how (tests read these lines). */
function printBanner(
  stack: LocalStack,
  config: LocalStackConfig,
  cwd: string,
  seconds: string,
): void {
  const { info } = stack;
  say(
    `ready: webhooks=${info.webhookUrls.auto} dashboard=${info.dashboardUrl} dynamodb=${info.dynamodbEndpoint} sqs=${info.sqsEndpoint} data=${info.dataDir} (${seconds} s)`,
  );
  say(
    `  per-kind URLs: ${info.webhookUrls.jobs}  ${info.webhookUrls.discover}  ${info.webhookUrls.connections}`,
  );
  say(
    `  queues: ${Object.values(info.queues)
      .map((q) => q.name)
      .join(', ')}`,
  );
  if (Object.keys(info.tables).length > 0)
    say(`  tables: ${Object.values(info.tables).join(', ')}`);
  if (info.secretFile !== undefined) {
    say(
      `  webhook secret: ${stack.secret} (generated; kept in ${relative(cwd, info.secretFile)}; set WEBHOOK_SECRET to choose one)`,
    );
  } else if (stack.secret === undefined && config.sharedSecret === undefined) {
    say('  webhook secret: per-kind secrets or unsigned delivery, as configured');
  }
  if (config.weakSecretWarning !== undefined) say(`  ${config.weakSecretWarning}`);
  say(recoveryLine(stack.recovered, cwd));
  say(
    config.reconcile === undefined
      ? '  reconcile: off (set HOTGLUE_API_KEY to ask hotglue’s job-status API about jobs running too long)'
      : `  reconcile: every ${durationText(config.reconcile.intervalMs)}, jobs running with no event for ${durationText(config.reconcile.afterMs)}, against ${config.reconcile.apiUrl}`,
  );
  say(
    config.notifyUrl === undefined
      ? '  notifications: logged ("notification sent"); set NOTIFY_URL to POST them, or follow them with npx hotglue-webhooks notifications tail'
      : `  notifications: POSTed to ${config.notifyUrl} and logged; follow them with npx hotglue-webhooks notifications tail`,
  );
  if (config.partitionLimits !== undefined)
    say(
      `  partition model: ${config.partitionLimits.writeUnits} write and ${config.partitionLimits.readUnits} read units per second per key value, then throttled as DynamoDB would (${info.partitionModelUrl ?? ''})`,
    );
}

async function main(): Promise<void> {
  const started = Date.now();
  const cwd = resolve(__dirname, '..', '..');
  const config = loadLocalStackConfig(cwd);
  await refuseIfRunning(config.dataDir);
  const stack: LocalStack = await startLocalStack({
    ...config,
    cwd,
    env: process.env,
    log: (message, fields) => say(JSON.stringify({ level: 'WARN', message, ...fields })),
  });
  const { info } = stack;
  printBanner(stack, config, cwd, ((Date.now() - started) / 1000).toFixed(1));
  say('  try: npx hotglue-webhooks send jobs     stop: Ctrl-C');

  process.on(
    'message',
    (message: { type?: string; service?: 'sqs' | 'dynamodb'; down?: boolean }) => {
      if (message?.type === 'fault' && message.service !== undefined) {
        const { service } = message;
        void stack
          .setFault(service, message.down === true)
          .then(() => process.send?.({ type: 'fault-set', service, down: message.down === true }));
      }
    },
  );

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) {
      say('stopping now (second signal)');
      process.exit(130);
    }
    stopping = true;
    say(`${signal}: stopping (finishing batches in hand)...`);
    stack
      .stop()
      .then(({ leftInQueues }) => {
        if (Object.keys(leftInQueues).length > 0) {
          say(
            `  still queued, kept in the journal for the next start: ${byQueue(leftInQueues)} (data in ${info.dataDir})`,
          );
        }
        say('stopped');
        process.exit(0);
      })
      .catch((error: unknown) => {
        say(`error while stopping: ${String(error)}`);
        process.exit(1);
      });
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('disconnect', () => stop('parent gone'));
}

main().catch((error: unknown) => {
  process.stderr.write(
    `local stack failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
