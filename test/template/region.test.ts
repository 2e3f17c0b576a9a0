import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from '../support/processes';

/** The region a deploy goes to: --region, else AWS_REGION, else us-east-1 (no AWS needed). */
async function printedRegion(env: Record<string, string>, args: string[] = []): Promise<string> {
  const base: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env))
    if (!name.startsWith('AWS_') && value !== undefined) base[name] = value;
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [
      join(ROOT, 'node_modules', 'serverless', 'bin', 'serverless.js'),
      'print',
      '--path',
      'provider.region',
      ...args,
    ],
    { cwd: ROOT, env: { ...base, ...env, SLS_TELEMETRY_DISABLED: '1' } },
  );
  return stdout.trim();
}

describe('the deploy region', () => {
  it('follows AWS_REGION, lets --region win over it, and is us-east-1 without either', async () => {
    const [fromEnv, fromFlag, fallback] = await Promise.all([
      printedRegion({ AWS_REGION: 'eu-west-1' }),
      printedRegion({ AWS_REGION: 'eu-west-1' }, ['--region', 'ap-south-1']),
      printedRegion({}),
    ]);
    expect(fromEnv).toBe('eu-west-1');
    expect(fromFlag).toBe('ap-south-1');
    expect(fallback).toBe('us-east-1');
  }, 60_000);
});
