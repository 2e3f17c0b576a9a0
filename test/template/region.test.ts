import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from '../support/processes';

/** What `serverless print --path <path>` prints for a configuration value (no AWS needed). */
async function printed(
  path: string,
  env: Record<string, string>,
  args: string[] = [],
): Promise<string> {
  const base: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env))
    if (!name.startsWith('AWS_') && value !== undefined) base[name] = value;
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [
      join(ROOT, 'node_modules', 'serverless', 'bin', 'serverless.js'),
      'print',
      '--path',
      path,
      ...args,
    ],
    { cwd: ROOT, env: { ...base, ...env, SLS_TELEMETRY_DISABLED: '1' } },
  );
  return stdout.trim();
}

describe('the deploy region', () => {
  it('follows AWS_REGION, lets --region win over it, and is us-east-1 without either', async () => {
    const [fromEnv, fromFlag, fallback] = await Promise.all([
      printed('provider.region', { AWS_REGION: 'eu-west-1' }),
      printed('provider.region', { AWS_REGION: 'eu-west-1' }, ['--region', 'ap-south-1']),
      printed('provider.region', {}),
    ]);
    expect(fromEnv).toBe('eu-west-1');
    expect(fromFlag).toBe('ap-south-1');
    expect(fallback).toBe('us-east-1');
  }, 60_000);
});

describe('the stack tags', () => {
  it('carry the service and the stage, and the tags param on top', async () => {
    const [plain, tagged] = await Promise.all([
      printed('provider.stackTags', {}, ['--stage', 'prod', '--format', 'json']),
      printed('provider.stackTags', {}, [
        '--stage',
        'dev',
        '--format',
        'json',
        '--param',
        'tags=team=data, cost-center=42',
      ]),
    ]);
    expect(JSON.parse(plain)).toEqual({ service: 'hotglue-webhooks', stage: 'prod' });
    expect(JSON.parse(tagged)).toEqual({
      service: 'hotglue-webhooks',
      stage: 'dev',
      team: 'data',
      'cost-center': '42',
    });
  }, 60_000);
});
