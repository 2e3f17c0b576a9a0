import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { packageService } from '../support/package-service';
import { ROOT } from '../support/processes';

/** What `serverless package` keeps of the service it resolved (serverless-state.json). */
type ServerlessState = { service: { custom: { settings: Record<string, unknown> } } };

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

describe('the deploy region and the stack tags', () => {
  // The whole order, the stage file and the refusals are unit-tested (test/unit/stage-settings);
  // these prints check that serverless.yml takes the region and the tags from the settings.
  it('takes --region over AWS_REGION, AWS_DEFAULT_REGION when it is alone, and tags the stack with the service, the stage and the tags setting on top', async () => {
    const [fromFlag, provider] = await Promise.all([
      printed('provider.region', { AWS_REGION: 'eu-west-1' }, ['--region', 'ap-south-1']),
      printed('provider', { AWS_DEFAULT_REGION: 'eu-central-1' }, [
        '--stage',
        'dev',
        '--format',
        'json',
        '--param',
        'tags=team=data, cost-center=42',
      ]),
    ]);
    expect(fromFlag).toBe('ap-south-1');
    const { region, stackTags } = JSON.parse(provider) as { region: string; stackTags: unknown };
    expect(region).toBe('eu-central-1');
    expect(stackTags).toEqual({
      service: 'hotglue-webhooks',
      stage: 'dev',
      team: 'data',
      'cost-center': '42',
    });
  }, 60_000);
});

describe('stages/example.yml', () => {
  it('documents every setting, each at its default (read by the real resolver)', async () => {
    // The defaults: a stage with no settings file (ci), as the template suite packages it.
    const dir = await mkdtemp(join(tmpdir(), 'hgw-region-ci-'));
    const [example, defaults] = await Promise.all([
      printed('custom.settings', {}, ['--stage', 'example', '--format', 'json']),
      packageService('ci', dir)
        .then(() => readFile(join(dir, 'serverless-state.json'), 'utf8'))
        .then((state) =>
          JSON.stringify((JSON.parse(state) as ServerlessState).service.custom.settings),
        )
        .finally(() => rm(dir, { recursive: true, force: true })),
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
    // ci is a dev-like stage: its one default of its own is deletion protection, off. The example
    // is of any other stage, where it is on.
    expect(defaultSettings.deletionProtection).toBe(false);
    expect(exampleSettings).toEqual({ ...defaultSettings, deletionProtection: true });
  }, 60_000);
});
