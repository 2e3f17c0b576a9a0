import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { readLocalStackInfo, type LocalStackInfo } from '../../lib/local/local-stack-facts';
import type { Kind } from '../../lib/webhook/kinds';
import { hmacHex } from './events';
import { keepPrints, seedPrints } from './print-seed';
import { LineWatcher, ROOT, spawnTs, waitForExit } from './processes';

export interface StackProcess {
  child: ChildProcess;
  output: LineWatcher;
  info: LocalStackInfo;
  dataDir: string;
  /** Cuts (or restores) the handlers' connection to SQS or DynamoDB. */
  setFault(service: 'sqs' | 'dynamodb', down: boolean): Promise<void>;
  /** Ctrl-C, as a user would; resolves with the exit code. */
  stop(): Promise<number | null>;
}

/**
 * Starts `npm start`'s program on free ports with its own data folder, seeded with the run's
 * prints of serverless.yml (print-seed.ts) unless `prints: 'own'` has it run `serverless print`.
 */
export async function startStack(
  dataDir: string,
  env: Record<string, string> = {},
  options: { prints?: 'seeded' | 'own' } = {},
): Promise<StackProcess> {
  if (options.prints !== 'own') await seedPrints(dataDir);
  const child = spawnTs('lib/local/main.ts', {
    ipc: true,
    env: {
      PORT: '0',
      DYNAMODB_PORT: '0',
      SQS_PORT: '0',
      DATA_DIR: dataDir,
      LOCAL_RETRY_DELAY_SECONDS: '1',
      WEBHOOK_SECRET: '',
      ...env,
    },
  });
  const output = new LineWatcher(child);
  await output.waitFor((l) => l.startsWith('ready:') || l.startsWith('local stack failed'), {
    after: 0,
    timeoutMs: 90_000,
    what: 'the ready line',
  });
  const failed = output.lines.find((l) => l.startsWith('local stack failed'));
  if (failed !== undefined) throw new Error(failed);
  await keepPrints(dataDir);
  const info = await readLocalStackInfo(dataDir);
  return {
    child,
    output,
    info,
    dataDir,
    setFault: (service, down) =>
      new Promise((resolve) => {
        child.once('message', () => resolve());
        child.send({ type: 'fault', service, down });
      }),
    stop: async () => {
      child.kill('SIGINT');
      return waitForExit(child, 20_000);
    },
  };
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `hotglue-webhooks` (the package's bin) as a user would, from the project folder. */
export function cli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'hotglue-webhooks.js'), ...args], {
    cwd: ROOT,
    env: { ...process.env, WEBHOOK_SECRET: '', ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

/** POSTs `payload` to the stack's route for `kind`, signed with `secret`; returns the answer's status. */
export async function postSigned(
  stack: StackProcess,
  kind: Kind,
  payload: Record<string, unknown>,
  secret: string,
): Promise<number> {
  const body = JSON.stringify(payload);
  const response = await fetch(stack.info.webhookUrls[kind], {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', 'x-hub-signature': hmacHex(secret, body) },
  });
  await response.arrayBuffer();
  return response.status;
}
