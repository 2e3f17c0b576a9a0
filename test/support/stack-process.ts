import { spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { keepPrints, seedPrints } from './print-seed';
import { readLocalStackInfo, type LocalStackInfo } from '../../lib/local/local-stack-facts';

export interface StackChild {
  info: LocalStackInfo;
  child: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Starts the local stack (`npm start`'s program) in a child process on free ports with its own
 * data folder (seeded with the run's prints of serverless.yml, see print-seed.ts), quietly
 * (handlers log warnings only), and waits for its ready line.
 */
export async function startStackChild(
  dataDir: string,
  env: Record<string, string> = {},
): Promise<StackChild> {
  const root = resolve(__dirname, '..', '..');
  await seedPrints(dataDir);
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(root, 'lib', 'local', 'main.ts')],
    {
      cwd: root,
      env: {
        ...process.env,
        PORT: '0',
        DYNAMODB_PORT: '0',
        SQS_PORT: '0',
        DATA_DIR: dataDir,
        POWERTOOLS_LOG_LEVEL: 'WARN',
        LOCAL_RETRY_DELAY_SECONDS: '1',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const tail: string[] = [];
  const ready = new Promise<void>((resolvePromise, reject) => {
    const onLine = (line: string) => {
      tail.push(line);
      if (tail.length > 50) tail.shift();
      if (line.startsWith('ready:')) resolvePromise();
    };
    createInterface({ input: child.stdout }).on('line', onLine);
    createInterface({ input: child.stderr }).on('line', onLine);
    child.once('exit', (code) =>
      reject(new Error(`the local stack exited (${code}):\n${tail.join('\n')}`)),
    );
  });
  await ready;
  await keepPrints(dataDir);
  const info = await readLocalStackInfo(dataDir);
  return {
    info,
    child,
    stop: () =>
      new Promise((resolvePromise) => {
        if (child.exitCode !== null) return resolvePromise();
        child.once('exit', () => resolvePromise());
        child.kill('SIGINT');
      }),
  };
}
