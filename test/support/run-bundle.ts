import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './processes';

/**
 * Runs the handler of a packaged bundle (`file` in the unzipped folder `dir`) in a bare Node
 * process (test/support/invoke-bundle.cjs), with `event` on its stdin and only PATH, a region,
 * dummy credentials and `env` in its environment; gives everything it printed (its RESULT:,
 * ERROR: and ELAPSED: lines, its logs). With `timeMs`, the context's remaining time: a process
 * still running 20 s past it is killed, to be reported rather than waited on.
 */
export async function runBundle(
  dir: string,
  file: string,
  event: unknown,
  env: Record<string, string>,
  timeMs?: number,
): Promise<string> {
  const child = spawn(
    process.execPath,
    [
      join(ROOT, 'test', 'support', 'invoke-bundle.cjs'),
      join(dir, file),
      ...(timeMs === undefined ? [] : ['handler', `${timeMs}`]),
    ],
    {
      cwd: dir,
      env: {
        PATH: process.env.PATH ?? '',
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'local',
        AWS_SECRET_ACCESS_KEY: 'local',
        ...env,
      },
    },
  );
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  child.stdin.end(JSON.stringify(event));
  const killer =
    timeMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), timeMs + 20_000);
  await new Promise((resolve) => child.on('close', resolve));
  clearTimeout(killer);
  return out;
}
