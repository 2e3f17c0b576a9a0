import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
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
  it('is --region, else AWS_REGION, else AWS_DEFAULT_REGION, else us-east-1', async () => {
    const both = { AWS_REGION: 'eu-west-1', AWS_DEFAULT_REGION: 'eu-central-1' };
    const [fromFlag, fromEnv, fromDefault, fallback] = await Promise.all([
      printed('provider.region', both, ['--region', 'ap-south-1']),
      printed('provider.region', both),
      printed('provider.region', { AWS_DEFAULT_REGION: 'eu-central-1' }),
      printed('provider.region', {}),
    ]);
    expect(fromFlag).toBe('ap-south-1');
    expect(fromEnv).toBe('eu-west-1');
    expect(fromDefault).toBe('eu-central-1');
    expect(fallback).toBe('us-east-1');
  }, 60_000);
});

describe('stages/example.yml', () => {
  it('documents every setting, each at its default (read by the real resolver)', async () => {
    const [example, defaults] = await Promise.all([
      printed('custom.settings', {}, ['--stage', 'example', '--format', 'json']),
      printed('custom.settings', {}, ['--stage', 'no-file-stage', '--format', 'json']),
    ]);
    const source = await readFile(join(ROOT, 'stages', 'example.yml'), 'utf8');
    const documented = [...source.matchAll(/^(\w+):/gm)].map((m) => m[1]).sort();
    const { stackTags: _a, ...exampleSettings } = JSON.parse(example) as Record<string, unknown>;
    const { stackTags: _b, ...defaultSettings } = JSON.parse(defaults) as Record<string, unknown>;
    expect(documented).toEqual(
      Object.keys(defaultSettings)
        .filter((k) => k !== 'template')
        .sort(),
    );
    expect(exampleSettings).toEqual(defaultSettings);
  }, 60_000);
});

describe('the stack tags', () => {
  it('carry the service and the stage, and the tags setting on top', async () => {
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
