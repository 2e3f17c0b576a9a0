import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCliConfig, stageRegion } from '../../lib/config/cli';
import {
  MAX_STAGE_LENGTH,
  stageSettings,
  StageSettingsError,
  type StageInput,
} from '../../lib/config/stage-settings';

const input = (over: Partial<StageInput> = {}): StageInput => ({
  stage: 'prod',
  file: { path: 'stages/prod.yml', values: undefined },
  params: [],
  regionOption: undefined,
  env: {},
  ...over,
});
const file = (values: Record<string, unknown>) => ({ path: 'stages/prod.yml', values });

describe('stageSettings', () => {
  it('takes the defaults, then the stage file, then --param for this one run', () => {
    const plain = stageSettings(input()).settings;
    expect(plain.alarmEmail).toBe('');
    expect(plain.deletionProtection).toBe(true);
    const fromFile = stageSettings(
      input({ file: file({ alarmEmail: 'ops@example.com', consumerMaxConcurrency: 150 }) }),
    ).settings;
    expect(fromFile).toEqual({
      ...plain,
      alarmEmail: 'ops@example.com',
      consumerMaxConcurrency: 150,
    });
    const overridden = stageSettings(
      input({
        file: file({ alarmEmail: 'ops@example.com', readApi: true }),
        params: ['alarmEmail=oncall@example.com', 'readApi=false'],
      }),
    ).settings;
    expect(overridden.alarmEmail).toBe('oncall@example.com');
    expect(overridden.readApi).toBe(false);
    expect(overridden.consumerMaxConcurrency).toBe(plain.consumerMaxConcurrency);
    // A --param is text: "true" must become the boolean the read API's resolver compares with.
    expect(stageSettings(input({ params: ['readApi=true'] })).settings.readApi).toBe(true);
  });

  it('turns deletion protection off by default on the dev-like stages only', () => {
    for (const stage of ['dev', 'local', 'test', 'ci'])
      expect(stageSettings(input({ stage })).settings.deletionProtection).toBe(false);
    expect(stageSettings(input({ stage: 'staging' })).settings.deletionProtection).toBe(true);
  });

  it('warns, naming the file and the key, when no one receives the alarms', () => {
    expect(stageSettings(input()).warnings).toEqual([
      expect.stringMatching(/alarmEmail in stages\/prod\.yml/),
    ]);
    expect(stageSettings(input({ file: file({ alarmEmail: 'a@b.io' }) })).warnings).toEqual([]);
  });

  it('takes the region from --region, AWS_REGION, AWS_DEFAULT_REGION, the file, in that order', () => {
    const region = (over: Partial<StageInput>) => {
      const { region: r, regionSource } = stageSettings(input(over));
      return [r, regionSource];
    };
    const env = { AWS_REGION: 'eu-west-1', AWS_DEFAULT_REGION: 'eu-central-1' };
    expect(
      region({ regionOption: 'ap-south-1', env, file: file({ region: 'us-west-2' }) }),
    ).toEqual(['ap-south-1', '--region']);
    expect(region({ env })).toEqual(['eu-west-1', 'AWS_REGION']);
    expect(region({ env: { AWS_DEFAULT_REGION: 'eu-central-1' } })).toEqual([
      'eu-central-1',
      'AWS_DEFAULT_REGION',
    ]);
    expect(region({ file: file({ region: 'us-west-2' }) })).toEqual([
      'us-west-2',
      'region in stages/prod.yml',
    ]);
    // The environment agreeing with the file is no conflict.
    expect(
      region({ env: { AWS_REGION: 'us-west-2' }, file: file({ region: 'us-west-2' }) }),
    ).toEqual(['us-west-2', 'AWS_REGION']);
    expect(region({})[0]).toBe('us-east-1');
  });

  it('gives tags as a map or as pairs, with the stack’s own', () => {
    const expected = {
      service: 'hotglue-webhooks',
      stage: 'prod',
      team: 'data',
      'cost-center': '42',
    };
    expect(
      stageSettings(input({ file: file({ tags: { team: 'data', 'cost-center': 42 } }) })).stackTags,
    ).toEqual(expected);
    expect(stageSettings(input({ params: ['tags=team=data,cost-center=42'] })).stackTags).toEqual(
      expected,
    );
    // A map is taken pair by pair: an '=' in a key or value is no separator there.
    expect(
      stageSettings(input({ file: file({ tags: { 'k=v': 'x=y' } }) })).stackTags,
    ).toMatchObject({
      'k=v': 'x=y',
    });
  });

  it('warms the tables, and the indexes whose share passes a new index’s, only when asked', () => {
    const none = { Ref: 'AWS::NoValue' };
    expect(stageSettings(input()).template).toEqual({
      warmThroughput: none,
      jobsIndexWarmThroughput: none,
      recordIndexWarmThroughput: none,
      tableEncryption: none,
      tableKeyStatement: none,
    });
    const key = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    const template = (warmWriteUnitsPerSecond: number) =>
      stageSettings(
        input({
          file: file({ warmWriteUnitsPerSecond, tableKmsKeyArn: key, region: 'eu-west-1' }),
        }),
      ).template;
    // 12,000 on the tables: a jobs index takes a third (4,000, what it has), a discover or
    // connections index half (6,000).
    expect(template(12000)).toEqual({
      warmThroughput: { WriteUnitsPerSecond: 12000 },
      jobsIndexWarmThroughput: none,
      recordIndexWarmThroughput: { WriteUnitsPerSecond: 6000 },
      tableEncryption: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: key },
      // The roles may use the key only through DynamoDB, in the stage's region.
      tableKeyStatement: expect.objectContaining({
        Resource: key,
        Condition: { StringEquals: { 'kms:ViaService': 'dynamodb.eu-west-1.amazonaws.com' } },
      }),
    });
    expect(template(7000).recordIndexWarmThroughput).toEqual(none);
    expect(template(30000).jobsIndexWarmThroughput).toEqual({ WriteUnitsPerSecond: 10000 });
  });

  it.each([
    ['a stage one character too long', { stage: 'a'.repeat(MAX_STAGE_LENGTH + 1) }, /at most 28/],
    ['a stage with a slash', { stage: 'a/b' }, /letters, digits and hyphens/],
    ['a stage with an underscore', { stage: 'qa_1' }, /letters, digits and hyphens/],
    [
      'an unknown key in the file',
      { file: file({ alarmEmial: 'x@y.io' }) },
      /stages\/prod\.yml: "alarmEmial" is no setting/,
    ],
    ['an unknown --param', { params: ['indexStep=5'] }, /--param indexStep: no such setting/],
    [
      'a bad e-mail',
      { file: file({ alarmEmail: 'ops at example' }) },
      /alarmEmail must be one e-mail/,
    ],
    [
      'a bad boolean',
      { params: ['readApi=yes'] },
      /--param readApi: readApi must be true or false/,
    ],
    ['a concurrency out of range', { file: file({ consumerMaxConcurrency: 1 }) }, /from 2 to 1000/],
    [
      'a warm figure below a new table’s',
      { file: file({ warmWriteUnitsPerSecond: 3999 }) },
      /at least 4000/,
    ],
    [
      'a tag key equal to the stack’s but for case',
      { params: ['tags=Stage=x'] },
      /"Stage" is set by the stack itself/,
    ],
    [
      'two tag keys equal but for case',
      { file: file({ tags: 'Team=a,team=b' }) },
      /"team" and "Team"/,
    ],
    [
      'two tag keys equal but for case, as a map',
      { file: file({ tags: { Team: 'a', team: 'b' } }) },
      /"team" and "Team"/,
    ],
    ['a bad region', { file: file({ region: 'Europe' }) }, /must be an AWS region/],
    [
      'a bad region from the environment',
      { env: { AWS_REGION: 'EU-WEST-1' } },
      /AWS_REGION "EU-WEST-1" is no AWS region/,
    ],
    ['a bad --region', { regionOption: 'mars-1' }, /--region "mars-1" is no AWS region/],
    [
      'an environment region that is not the file’s',
      { env: { AWS_REGION: 'us-east-1' }, file: file({ region: 'eu-west-1' }) },
      /AWS_REGION is us-east-1 but stages\/prod\.yml says region eu-west-1: pass --region/,
    ],
    [
      'a key of another region',
      {
        file: file({
          tableKmsKeyArn: 'arn:aws:kms:us-east-1:123456789012:key/ab-12',
          region: 'eu-west-1',
        }),
      },
      /key in us-east-1, but the stage deploys to eu-west-1/,
    ],
    ['--param without a value', { params: ['readApi'] }, /--param readApi: use --param name=value/],
    ['--param region', { params: ['region=eu-west-1'] }, /use --region/],
    ['tags as a list', { file: file({ tags: ['a=b'] }) }, /tags must be a map/],
    [
      'a tag value that is a map',
      { file: file({ tags: { team: { a: 1 } } }) },
      /values must be text/,
    ],
    ['a number given as a list', { file: file({ historyRetentionDays: [1] }) }, /whole number/],
    [
      'a schedule AWS refuses',
      { file: file({ reconcileRate: 'rate(1 minutes)' }) },
      /rate\(N minutes/,
    ],
    [
      'a stage file that is a list',
      { file: { path: 'stages/prod.yml', values: ['a'] as never } },
      /must be a map of settings/,
    ],
  ] as const)('refuses %s in one line', (_, over, reason) => {
    const run = () => stageSettings(input(over as Partial<StageInput>));
    expect(run).toThrow(StageSettingsError);
    expect(run).toThrow(reason);
    expect(run).toThrow(/^[^\n]+$/);
  });

  it('allows the longest stage that fits', () => {
    expect(stageSettings(input({ stage: 'a'.repeat(MAX_STAGE_LENGTH) })).settings).toBeDefined();
  });
});

describe('stageRegion (the CLI’s --stage)', () => {
  it('finds a stage where a deploy put it: flag, environment, stage file, us-east-1', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'hgw-cli-region-'));
    try {
      mkdirSync(join(cwd, 'stages'));
      writeFileSync(
        join(cwd, 'stages', 'prod.yml'),
        "alarmEmail: a@b.io\nregion: 'eu-west-3' # Paris\n",
      );
      const fromEnv = loadCliConfig({ AWS_DEFAULT_REGION: 'eu-central-1' }, cwd);
      const none = loadCliConfig({}, cwd);
      expect(stageRegion(fromEnv, 'ap-south-1', cwd, 'prod')).toBe('ap-south-1');
      expect(stageRegion(fromEnv, undefined, cwd, 'prod')).toBe('eu-central-1');
      expect(stageRegion(none, undefined, cwd, 'prod')).toBe('eu-west-3');
      expect(stageRegion(none, undefined, cwd, 'dev')).toBe('us-east-1');
      expect(stageRegion(none, undefined, cwd, '../prod')).toBe('us-east-1');
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });
});

describe('stageRegion with a region the CLI cannot read', () => {
  it('asks for --region rather than guess', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'hgw-cli-region-'));
    try {
      mkdirSync(join(cwd, 'stages'));
      writeFileSync(join(cwd, 'stages', 'prod.yml'), 'region: ${env:DEPLOY_REGION}\n');
      writeFileSync(join(cwd, 'stages', 'dev.yml'), 'region: ~ # none\n');
      const none = loadCliConfig({}, cwd);
      expect(() => stageRegion(none, undefined, cwd, 'prod')).toThrow(/pass --region/);
      expect(stageRegion(none, 'eu-west-1', cwd, 'prod')).toBe('eu-west-1');
      expect(stageRegion(none, undefined, cwd, 'dev')).toBe('us-east-1');
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });
});
