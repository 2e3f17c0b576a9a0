/* eslint-disable @typescript-eslint/no-explicit-any -- CloudFormation JSON is untyped; the assertions check its shape */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAX_STAGE_LENGTH } from '../../lib/config/stage-settings';
import { resolveConditionals } from '../../lib/local/service-definition';
import { packageService, packagingEnv, runServerless } from '../support/package-service';
import { PROD } from '../support/template';

type Resource = { Type: string; Properties: Record<string, any>; Condition?: string };
type Template = { Resources: Record<string, Resource>; Parameters?: Record<string, any> };

/** `serverless package` of `stage` with no AWS variables at all; its template, stderr, or failure. */
async function packaged(
  stage: string,
  options: { args?: string[]; stageFile?: string } = {},
): Promise<{ template?: Template; stderr: string; failed: boolean; files: string[] }> {
  const dir = await mkdtemp(join(tmpdir(), `hgw-settings-${stage.slice(0, 8)}-`));
  try {
    await packageService(stage, dir, packagingEnv(), options.args ?? [], options.stageFile);
    const text = await readFile(join(dir, 'cloudformation-template-update-stack.json'), 'utf8');
    return { template: JSON.parse(text) as Template, stderr: '', failed: false, files: [] };
  } catch (error) {
    const { stderr = '', stdout = '' } = error as { stderr?: string; stdout?: string };
    return { stderr: `${stderr}${stdout}`, failed: true, files: await readdir(dir) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A template's resources of `type`, their properties as CloudFormation reads them (no NoValue). */
const ofType = (t: Template, type: string) =>
  Object.entries(t.Resources)
    .filter(([, r]) => r.Type === type)
    .map(
      ([id, r]) =>
        [
          id,
          { ...r, Properties: resolveConditionals(r.Properties, { resources: t }) as any },
        ] as const,
    );

let fresh: Template;
let prod: Template;
let prodOverridden: Template;
const KEY = 'arn:aws:kms:eu-west-1:123456789012:key/0a1b2c3d-aaaa-bbbb-cccc-0123456789ab';
/** Its stage file: an alarm e-mail, the read API, warm tables at 12,000 write units. */
const PROD_FILE = PROD.file;

beforeAll(async () => {
  const results = await Promise.all([
    packaged('ci'),
    packaged('prod', { stageFile: PROD_FILE, args: PROD.args }),
    packaged('prod', {
      stageFile: PROD_FILE,
      args: [
        '--param',
        'alarmEmail=oncall@example.com',
        '--param',
        `tableKmsKeyArn=${KEY}`,
        '--region',
        'eu-west-1',
      ],
    }),
  ]);
  for (const r of results) if (r.failed) throw new Error(r.stderr);
  [fresh, prod, prodOverridden] = results.map((r) => r.template as Template) as [
    Template,
    Template,
    Template,
  ];
}, 180_000);

describe('a fresh stage at its defaults (ci, the template suite’s package)', () => {
  it('has at most 90 resources', () => {
    expect(Object.keys(fresh.Resources).length).toBeLessThanOrEqual(90);
  });

  it('has no standard queue except the notifications DLQ', () => {
    const standard = ofType(fresh, 'AWS::SQS::Queue')
      .filter(([, q]) => q.Properties.FifoQueue !== true)
      .map(([id]) => id);
    expect(standard).toEqual(['NotificationsDeadLetterQueue']);
  });

  it('has exactly one queue trigger per consumer, and no step parameter', () => {
    const triggers = ofType(fresh, 'AWS::Lambda::EventSourceMapping').map(([, m]) =>
      JSON.stringify(m.Properties.FunctionName),
    );
    const consumers = ofType(fresh, 'AWS::Lambda::Function')
      .map(([id]) => id)
      .filter((id) => id.startsWith('Consume'));
    expect(consumers).toHaveLength(3);
    for (const id of consumers)
      expect([id, triggers.filter((t) => t.includes(`"${id}"`)).length]).toEqual([id, 1]);
    expect(triggers).toHaveLength(3);
    expect(Object.keys(fresh.Parameters ?? {}).sort()).toEqual(['AlarmEmail', 'AlertEmail']);
  });

  it('subscribes no e-mail, adds no /v1 route and leaves the tables cold', () => {
    expect(fresh.Parameters?.AlarmEmail?.Default).toBe('');
    expect(
      ofType(fresh, 'AWS::ApiGatewayV2::Route').filter(([, r]) =>
        String(r.Properties.RouteKey).includes('/v1'),
      ),
    ).toEqual([]);
    for (const [id, table] of ofType(fresh, 'AWS::DynamoDB::Table'))
      expect([id, table.Properties.WarmThroughput]).toEqual([id, undefined]);
  });

  it('lets every name the stage is part of fit its AWS limit at the longest stage allowed', () => {
    // Each name, grown from "ci" to the longest stage the checks allow, against AWS's limit.
    const grown = (name: string) => name.length - 'ci'.length + MAX_STAGE_LENGTH;
    const names = (type: string, property: string) =>
      ofType(fresh, type).map(([, r]) => String(r.Properties[property]));
    const limits: [string, string, number][] = [
      ['AWS::Lambda::Function', 'FunctionName', 64],
      ['AWS::SQS::Queue', 'QueueName', 80],
      ['AWS::DynamoDB::Table', 'TableName', 255],
      ['AWS::SNS::Topic', 'TopicName', 256],
      ['AWS::CloudWatch::Alarm', 'AlarmName', 255],
      ['AWS::Events::EventBus', 'Name', 256],
    ];
    let tightest = Infinity;
    for (const [type, property, max] of limits) {
      const found = names(type, property);
      expect(found.length).toBeGreaterThan(0);
      for (const name of found) {
        expect([name, grown(name) <= max]).toEqual([name, true]);
        tightest = Math.min(tightest, max - grown(name));
      }
    }
    // One more character would break a name: the limit is as long as it can be.
    expect(tightest).toBe(0);
  });
});

describe('stages/prod.yml', () => {
  it('subscribes its alarm e-mail, deploys the GET /v1 routes and warms all three tables at 12,000', () => {
    expect(prod.Parameters?.AlarmEmail?.Default).toBe('ops@example.com');
    expect(prod.Resources.AlarmEmailSubscription?.Condition).toBe('HasAlarmEmail');
    const v1 = ofType(prod, 'AWS::ApiGatewayV2::Route').filter(([, r]) =>
      String(r.Properties.RouteKey).startsWith('GET /v1'),
    );
    expect(v1.length).toBeGreaterThan(0);
    const tables = ofType(prod, 'AWS::DynamoDB::Table');
    expect(tables).toHaveLength(3);
    for (const [id, table] of tables) {
      expect([id, table.Properties.WarmThroughput]).toEqual([id, { WriteUnitsPerSecond: 12000 }]);
      // An index takes one write unit per new record: a third of the jobs table's, half of the
      // others'. Only those past a new index's 4,000 are warmed.
      const indexWarm = id === 'JobsTable' ? undefined : { WriteUnitsPerSecond: 6000 };
      for (const index of table.Properties.GlobalSecondaryIndexes as any[])
        expect([id, index.IndexName, index.WarmThroughput]).toEqual([
          id,
          index.IndexName,
          indexWarm,
        ]);
    }
  });

  it('is overridden by --param for that one package only', () => {
    expect(prodOverridden.Parameters?.AlarmEmail?.Default).toBe('oncall@example.com');
    // The rest of the file still holds; what was not overridden comes from the file.
    expect(
      ofType(prodOverridden, 'AWS::DynamoDB::Table').map(
        ([, t]) => t.Properties.WarmThroughput?.WriteUnitsPerSecond,
      ),
    ).toEqual([12000, 12000, 12000]);
  });

  it('keeps the AWS-owned key unless the stage names its own, which the table roles use through DynamoDB only', () => {
    for (const [id, table] of ofType(prodOverridden, 'AWS::DynamoDB::Table')) {
      expect([id, table.Properties.SSESpecification]).toEqual([
        id,
        { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: KEY },
      ]);
    }
    const keyUsers = (t: Template) =>
      ofType(t, 'AWS::IAM::Role')
        .filter(([, r]) => JSON.stringify(r.Properties.Policies).includes('kms:Decrypt'))
        .map(([id]) => id)
        .sort();
    // Every role that reads or writes a table, and no other.
    const tableUsers = ofType(prodOverridden, 'AWS::IAM::Role')
      .filter(([, r]) => JSON.stringify(r.Properties.Policies).includes('"dynamodb:'))
      .map(([id]) => id)
      .sort();
    expect(tableUsers.length).toBeGreaterThanOrEqual(5);
    expect(keyUsers(prodOverridden)).toEqual(tableUsers);
    expect(keyUsers(prod)).toEqual([]);
    expect(JSON.stringify(prodOverridden.Resources.ReadRole?.Properties.Policies)).toContain(
      'dynamodb.eu-west-1.amazonaws.com',
    );
    for (const [id, table] of ofType(prod, 'AWS::DynamoDB::Table'))
      expect([id, table.Properties.SSESpecification]).toEqual([id, undefined]);
  });
});

/**
 * Each refusal: what, the stage, how it is packaged, what its one line must say. One per way a
 * setting comes in (the stage's name, too long or of a character the resolver does not read a
 * file for, `--param`, the stage file), through the real `serverless package`: every rule of the resolver is a unit test (test/unit/stage-settings.test.ts), and each
 * run here costs a framework start (about 4 s of CPU).
 */
const REFUSALS = [
  [
    'a 43-character stage, naming it and the limit',
    'a'.repeat(43),
    {},
    [/"a{43}"/, /43 characters/, new RegExp(`at most ${MAX_STAGE_LENGTH}`)],
  ],
  [
    'a stage with a character AWS names refuse (the resolver reads no stage file for it)',
    'qa_1',
    {},
    [/"qa_1"/, /letters, digits and hyphens/],
  ],
  [
    'a tag equal to the stack’s own but for case',
    'qa',
    { args: ['--param', 'tags=Stage=x'] },
    [/"Stage"/, /case/],
  ],
  [
    'an unknown key in the stage file',
    'qa',
    { stageFile: 'alarmEmial: ops@example.com\n' },
    [/stages\/qa\.yml/, /"alarmEmial"/],
  ],
] as const;

describe('refused before anything is built', () => {
  // The refusals exit before anything is built: run them at once.
  let results: Awaited<ReturnType<typeof packaged>>[];
  beforeAll(async () => {
    results = await Promise.all(
      REFUSALS.map(([, stage, options]) =>
        packaged(stage, options as { args?: string[]; stageFile?: string }),
      ),
    );
  }, 120_000);

  it.each(REFUSALS.map(([what, , , reasons], at) => [what, at, reasons] as const))(
    '%s: one line, a non-zero exit, nothing packaged',
    (_, at, reasons) => {
      const result = results[at];
      expect(result?.failed).toBe(true);
      const lines = (result?.stderr ?? '')
        .split('\n')
        .filter((l) => l.startsWith('hotglue-webhooks:'));
      expect(lines).toHaveLength(1);
      for (const reason of reasons) expect(lines[0]).toMatch(reason);
      expect(result?.files).toEqual([]);
    },
  );
});

describe('a stage file that holds no settings', () => {
  it('empty, or of comments only, gives the defaults', async () => {
    const printed = await Promise.all(
      ['', '# region: eu-west-1\n# alarmEmail: ops@example.com\n'].map((stageFile) =>
        runServerless(
          ['print', '--path', 'custom.settings.consumerMaxConcurrency'],
          'empty',
          process.env,
          stageFile,
        ),
      ),
    );
    expect(printed.map(({ stdout }) => stdout.trim())).toEqual(['100', '100']);
  }, 60_000);
});
