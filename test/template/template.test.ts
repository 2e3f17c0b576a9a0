/* eslint-disable @typescript-eslint/no-explicit-any -- CloudFormation JSON is untyped; the assertions check its shape */
import { writeFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { RegoEngine, TemplateFile } from '@aws/cloudformation-validate';
import { CreateQueueCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { parseEnvelope } from '../../lib/webhook/envelope';
import { getJob } from '../../lib/aws/dynamodb/queries';
import { createProjectTables, documentClient, startDynalite } from '../support/dynamo-servers';
import { envelopeOf, hmacHex, httpApiEvent, payloadOf, sqsRecord } from '../support/events';
import { startFauxqsProcess } from '../support/processes';
import { runBundle } from '../support/run-bundle';
import { unzip } from '../support/unzip';
import { CANARY, packageService, packagingEnv } from '../support/package-service';
import { packageProd } from '../support/template';
import { localSqsClient } from '../../lib/local/local-stack-facts';
import { resolveConditionals } from '../../lib/local/service-definition';
import { MAX_RECEIVE_COUNT } from '../../lib/aws/resource-names';
import { dynamoDbEventStore } from '../../lib/aws/dynamodb/dynamodb-store';
import { startFakeHotglueApi } from '../support/fake-hotglue-api';
import { startFakeEventBridge } from '../support/fake-eventbridge';
import { startFakeSsm } from '../support/fake-ssm';
import { startRecordingProxy, type RecordedCall } from '../support/recording-proxy';
import { jobLifecycle, stored } from '../support/lifecycle';
import { listDeadLetters } from '../../lib/aws/dead-letters';

type Resource = {
  Type: string;
  Properties: Record<string, any>;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
  Condition?: string;
};
type Template = {
  Resources: Record<string, Resource>;
  Outputs: Record<string, { Value: unknown }>;
  Conditions?: Record<string, unknown>;
  Parameters?: Record<string, any>;
};

const FUNCTIONS = [
  'Ingest',
  'ConsumeJobs',
  'ConsumeDiscover',
  'ConsumeConnections',
  'Reconcile',
  'Read',
] as const;
const KINDS = [
  ['Jobs', 'jobs'],
  ['Discover', 'discover'],
  ['Connections', 'connections'],
] as const;

/**
 * Packages `stage` with no AWS credentials at all, and every secret variable set to CANARY, which
 * must appear nowhere in the output.
 */
async function packageStage(
  stage: string,
  dir: string,
  extraArgs: string[] = [],
): Promise<{ template: Template; text: string }> {
  await packageService(stage, dir, packagingEnv(), extraArgs);
  const text = await readFile(join(dir, 'cloudformation-template-update-stack.json'), 'utf8');
  return { template: JSON.parse(text) as Template, text };
}

let template: Template;
let text: string;
let prod: Template;
let prodDir: string;
/** The ci stage's package: the template and the function zips, in a folder of this suite's own. */
let ciDir: string;

beforeAll(async () => {
  prodDir = await mkdtemp(join(tmpdir(), 'hgw-prod-'));
  ciDir = await mkdtemp(join(tmpdir(), 'hgw-ci-'));
  // prod: a stage file, and a parameter set at package time (the consumers' concurrency cap).
  await packageProd(prodDir);
  prod = JSON.parse(
    await readFile(join(prodDir, 'cloudformation-template-update-stack.json'), 'utf8'),
  ) as Template;
  ({ template, text } = await packageStage('ci', ciDir));
}, 120_000);

afterAll(async () => {
  await rm(prodDir, { recursive: true, force: true });
  await rm(ciDir, { recursive: true, force: true });
});

const resource = (id: string): Resource => {
  const found = template.Resources[id];
  if (found === undefined) throw new Error(`no resource ${id}`);
  return found;
};
const ofType = (t: Template, type: string) =>
  Object.entries(t.Resources).filter(([, r]) => r.Type === type);
const getAtt = (id: string, attribute = 'Arn') => ({ 'Fn::GetAtt': [id, attribute] });
/** Each table's indexes and attribute definitions, as CloudFormation evaluates them. */
const layout = () =>
  Object.fromEntries(
    ['JobsTable', 'DiscoverTable', 'ConnectionsTable'].map((t) => {
      const props = resolveConditionals(resource(t).Properties, { resources: template }) as {
        GlobalSecondaryIndexes: {
          IndexName: string;
          KeySchema: { AttributeName: string }[];
          Projection?: unknown;
        }[];
        AttributeDefinitions: { AttributeName: string }[];
      };
      return [
        t,
        {
          indexes: props.GlobalSecondaryIndexes,
          attributes: props.AttributeDefinitions.map((a) => a.AttributeName),
        },
      ];
    }),
  );
/** A local queue as the template makes the kinds' queues: FIFO, in high-throughput mode. */
const fifoQueue = (name: string) => ({
  QueueName: `${name}.fifo`,
  Attributes: {
    FifoQueue: 'true',
    DeduplicationScope: 'messageGroup',
    FifoThroughputLimit: 'perMessageGroupId',
  },
});

/**
 * A role's policy statements as CloudFormation reads them: a statement that is AWS::NoValue (the
 * customer key's, without one) is no statement.
 */
const statementsOf = (role: Resource): any[] =>
  (role.Properties.Policies as { PolicyDocument: { Statement: any[] } }[])
    .flatMap((p) => p.PolicyDocument.Statement)
    .filter((st) => st.Ref !== 'AWS::NoValue');

/**
 * Whether `roleId`'s policy allows a call a bundle made: its action, and for a DynamoDB Query of an
 * index, on that index's ARN (IAM does not let a table's ARN cover its indexes).
 */
function roleAllows(roleId: string, call: RecordedCall): boolean {
  const statements = statementsOf(resource(roleId)) as {
    Action: string | string[];
    Resource: unknown;
  }[];
  return statements.some((st) => {
    const actions = Array.isArray(st.Action) ? st.Action : [st.Action];
    if (!actions.includes(call.action)) return false;
    const resource = JSON.stringify(st.Resource);
    // `<table>/index/*` covers every index of the table, as IAM matches the wildcard.
    return (
      call.indexName === undefined ||
      resource.includes(`/index/${call.indexName}`) ||
      resource.includes('/index/*')
    );
  });
}

/** The calls of `calls` that `roleId` would refuse (deduplicated), for a readable failure. */
const refusedCalls = (roleId: string, calls: RecordedCall[]): string[] => [
  ...new Set(
    calls
      .filter((c) => !roleAllows(roleId, c))
      .map((c) => `${c.action}${c.indexName ? ` on index ${c.indexName}` : ''}`),
  ),
];

/** A metric an alarm watches: its namespace, name and dimensions. */
type WatchedMetric = {
  Namespace: string;
  MetricName: string;
  Dimensions: { Name: string; Value: unknown }[];
};

/** Every metric an alarm watches: its own, or each of its metric math's. */
function watchedMetrics(alarm: Record<string, any>): WatchedMetric[] {
  if (alarm.Metrics === undefined) return [alarm as WatchedMetric];
  return (alarm.Metrics as { MetricStat?: { Metric: WatchedMetric } }[])
    .filter((m) => m.MetricStat !== undefined)
    .map((m) => m.MetricStat?.Metric as WatchedMetric);
}

/** The EMF metric lines a bundle printed that carry `metric`. */
const emfLinesWith = (out: string, metric: string): Record<string, any>[] =>
  out
    .split('\n')
    .filter((l) => l.includes('"_aws"'))
    .map((l) => JSON.parse(l) as Record<string, any>)
    .filter((m) => m[metric] !== undefined);

/** Whether an EMF line publishes exactly the metric an alarm watches. */
function emfMatches(line: Record<string, any>, watched: WatchedMetric): boolean {
  const [directive] = line._aws.CloudWatchMetrics as {
    Namespace: string;
    Dimensions: string[][];
  }[];
  const names = watched.Dimensions.map((d) => d.Name).sort();
  return (
    directive?.Namespace === watched.Namespace &&
    JSON.stringify([...(directive.Dimensions[0] ?? [])].sort()) === JSON.stringify(names) &&
    watched.Dimensions.every((d) => line[d.Name] === d.Value)
  );
}

describe('packaged template (stage ci, no AWS credentials)', () => {
  it('passes @aws/cloudformation-validate with zero errors, for ci and for prod', () => {
    const engine = new RegoEngine();
    try {
      for (const dir of [ciDir, prodDir]) {
        const report = engine.validateStandard(
          new TemplateFile(join(dir, 'cloudformation-template-update-stack.json')),
        );
        const errors = report.diagnostics.filter(
          (d) => d.severity === 'ERROR' || d.severity === 'FATAL',
        );
        expect(errors.map((d) => `${d.ruleId} ${d.message}`)).toEqual([]);
        expect(report.diagnostics.length).toBeGreaterThan(0); // the validator did run its rules
      }
    } finally {
      engine.free();
    }
  }, 60_000);

  it('catches a broken reference (the validator is not a rubber stamp)', () => {
    const engine = new RegoEngine();
    try {
      const broken = structuredClone(template);
      (broken.Resources.IngestLambdaFunction as Resource).Properties.Role = getAtt('NoSuchRole');
      const file = join(prodDir, 'broken.json');
      writeFileSync(file, JSON.stringify(broken));
      const report = engine.validateStandard(new TemplateFile(file));
      const errors = report.diagnostics.filter(
        (d) => d.severity === 'ERROR' || d.severity === 'FATAL',
      );
      expect(errors.map((d) => d.message).join('\n')).toContain('NoSuchRole');
    } finally {
      engine.free();
    }
  }, 60_000);

  it('runs every function on nodejs22.x, arm64, with log retention', () => {
    for (const fn of FUNCTIONS) {
      const props = resource(`${fn}LambdaFunction`).Properties;
      expect(props.Runtime).toBe('nodejs22.x');
      expect(props.Architectures).toEqual(['arm64']);
      expect(props.FunctionName).toMatch(/^hotglue-webhooks-ci-/);
      expect(resource(`${fn}LogGroup`).Properties.RetentionInDays).toBeGreaterThan(0);
    }
  });

  it('routes every webhook path to ingest, with throttling on the stage', () => {
    const routes = ofType(template, 'AWS::ApiGatewayV2::Route')
      .map(([, r]) => r.Properties.RouteKey)
      .sort();
    expect(routes).toEqual([
      '$default',
      'GET /health',
      'POST /webhooks',
      'POST /webhooks/connections',
      'POST /webhooks/discover',
      'POST /webhooks/jobs',
    ]);
    const settings = resource('HttpApiStage').Properties.DefaultRouteSettings;
    expect(settings.ThrottlingRateLimit).toBeGreaterThan(0);
    expect(settings.ThrottlingBurstLimit).toBeGreaterThanOrEqual(settings.ThrottlingRateLimit);
    // A burst as large as the local burst check (2,000 job events at once) passes untouched;
    // API Gateway's account-wide burst is 5,000, which a stage cannot exceed.
    expect(settings.ThrottlingBurstLimit).toBeGreaterThanOrEqual(2_000);
    expect(settings.ThrottlingBurstLimit).toBeLessThanOrEqual(5_000);
  });

  it.each(KINDS)(
    'gives the %s consumer its FIFO queue, batch settings, a concurrency cap and partial batch failures',
    (Kind) => {
      const mappings = ofType(template, 'AWS::Lambda::EventSourceMapping')
        .filter(([, m]) =>
          JSON.stringify(m.Properties.FunctionName).includes(`Consume${Kind}LambdaFunction`),
        )
        .map(([, m]) => m.Properties);
      const fifo = mappings.find(
        (m) => JSON.stringify(m.EventSourceArn) === JSON.stringify(getAtt(`${Kind}FifoQueue`)),
      );
      expect(fifo?.BatchSize).toBe(10);
      // FIFO event sources take no batching window.
      expect(fifo?.MaximumBatchingWindowInSeconds).toBeUndefined();
      expect(fifo?.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
      expect(fifo?.ScalingConfig).toEqual({ MaximumConcurrency: 100 });
      // Exactly one trigger: its own FIFO queue.
      expect(mappings).toHaveLength(1);
      // Three consumers at the cap leave most of an account's default 1,000 to ingest.
      expect(3 * 100).toBeLessThanOrEqual(1_000 / 2);
    },
  );

  it('caps every consumer trigger by the consumerMaxConcurrency parameter', () => {
    const caps = ofType(prod, 'AWS::Lambda::EventSourceMapping').map(
      ([, m]) => m.Properties.ScalingConfig,
    );
    expect(caps).toHaveLength(3);
    for (const cap of caps) expect(cap).toEqual({ MaximumConcurrency: 7 });
  });

  it.each(KINDS)(
    'makes the %s queue FIFO in high-throughput mode, with an encrypted FIFO DLQ after 3+ receives and 6x the consumer timeout',
    (Kind) => {
      const queue = resource(`${Kind}FifoQueue`).Properties;
      const dlq = resource(`${Kind}FifoDeadLetterQueue`).Properties;
      expect(queue.FifoQueue).toBe(true);
      expect(queue.DeduplicationScope).toBe('messageGroup');
      expect(queue.FifoThroughputLimit).toBe('perMessageGroupId');
      expect(queue.ContentBasedDeduplication).toBeUndefined();
      expect(dlq.FifoQueue).toBe(true);
      expect(queue.SqsManagedSseEnabled).toBe(true);
      expect(dlq.SqsManagedSseEnabled).toBe(true);
      expect(dlq.MessageRetentionPeriod).toBe(14 * 24 * 3600);
      expect(queue.RedrivePolicy.deadLetterTargetArn).toEqual(getAtt(`${Kind}FifoDeadLetterQueue`));
      expect(queue.RedrivePolicy.maxReceiveCount).toBeGreaterThanOrEqual(3);
      // What `dlq list` says of a letter SQS moved itself.
      expect(queue.RedrivePolicy.maxReceiveCount).toBe(MAX_RECEIVE_COUNT);
      const timeout = resource(`Consume${Kind}LambdaFunction`).Properties.Timeout as number;
      expect(queue.VisibilityTimeout).toBeGreaterThanOrEqual(6 * timeout);
      expect(queue.QueueName).toBe(`hotglue-webhooks-ci-${Kind.toLowerCase()}.fifo`);
      expect(dlq.QueueName).toBe(`hotglue-webhooks-ci-${Kind.toLowerCase()}-dlq.fifo`);
    },
  );

  it.each(KINDS)(
    'keeps the %s table: PITR, the AWS-owned key, Retain policies, on-demand billing, time to live',
    (Kind) => {
      const table = resource(`${Kind}Table`);
      expect(table.DeletionPolicy).toBe('Retain');
      expect(table.UpdateReplacePolicy).toBe('Retain');
      expect(table.Properties.BillingMode).toBe('PAY_PER_REQUEST');
      expect(table.Properties.PointInTimeRecoverySpecification).toEqual({
        PointInTimeRecoveryEnabled: true,
      });
      // No SSESpecification: DynamoDB encrypts with the AWS-owned key, at no charge.
      const effective = resolveConditionals(table.Properties, { resources: template }) as any;
      expect(effective.SSESpecification).toBeUndefined();
      expect(effective.WarmThroughput).toBeUndefined();
      expect(table.Properties.TimeToLiveSpecification).toEqual({
        AttributeName: 'expires_at',
        Enabled: true,
      });
      expect(table.Properties.TableName).toBe(`hotglue-webhooks-ci-${Kind.toLowerCase()}-table`);
      const consumer = resource(`Consume${Kind}LambdaFunction`);
      expect(consumer.Properties.Environment.Variables.HISTORY_RETENTION_DAYS).toBe('400');
      // Records are kept for ever unless the stage asks otherwise.
      expect(consumer.Properties.Environment.Variables.RECORD_RETENTION_DAYS).toBe('0');
    },
  );

  it.each(KINDS)(
    'gives the %s consumer the URL of its own FIFO dead-letter queue, for records that can never succeed',
    (Kind, kind) => {
      const env = resource(`Consume${Kind}LambdaFunction`).Properties.Environment.Variables;
      expect(env[`${kind.toUpperCase()}_DEAD_LETTER_QUEUE_URL`]).toEqual({
        Ref: `${Kind}FifoDeadLetterQueue`,
      });
      const others = Object.entries(env).filter(
        ([name]) => name.endsWith('_QUEUE_URL') && !name.startsWith(kind.toUpperCase()),
      );
      expect(others).toEqual([]);
    },
  );

  it('protects tables from deletion on prod but not on dev-like stages', () => {
    for (const [Kind] of KINDS) {
      expect(resource(`${Kind}Table`).Properties.DeletionProtectionEnabled).toBe(false);
      expect(prod.Resources[`${Kind}Table`]?.Properties.DeletionProtectionEnabled).toBe(true);
      expect(prod.Resources[`${Kind}Table`]?.Properties.TableName).toBe(
        `hotglue-webhooks-prod-${Kind.toLowerCase()}-table`,
      );
    }
  });

  describe('index layout', () => {
    const names = () =>
      Object.fromEntries(
        Object.entries(layout()).map(([t, l]) => [t, l.indexes.map((i) => i.IndexName).sort()]),
      );

    it('has the sharded indexes only, and the jobs’ sparse watch index with its attributes', () => {
      expect(names()).toEqual({
        JobsTable: [
          'by-flow-shard',
          'by-job-id',
          'by-status-shard',
          'by-tenant',
          'by-updated',
          'by-watch-shard',
        ],
        DiscoverTable: ['all', 'by-flow-shard', 'by-tenant'],
        ConnectionsTable: ['all', 'by-flow-shard', 'by-tenant'],
      });
      const watch = layout().JobsTable?.indexes.find((i) => i.IndexName === 'by-watch-shard');
      expect(watch).toMatchObject({
        Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['tenant', 'poll'] },
      });
      expect(template.Parameters?.IndexStep).toBeUndefined();
    });

    it('defines exactly the attributes the keys use', () => {
      for (const { indexes, attributes } of Object.values(layout())) {
        const used = new Set([
          'pk',
          'sk',
          ...indexes.flatMap((i) => i.KeySchema.map((k) => k.AttributeName)),
        ]);
        expect(attributes.sort()).toEqual([...used].sort());
      }
    });
  });

  describe('least privilege', () => {
    const statements = (roleId: string) =>
      statementsOf(resource(roleId)) as Record<string, unknown>[];
    const arrayOf = (v: unknown) => (Array.isArray(v) ? v : [v]);
    const normalized = (roleId: string) =>
      statements(roleId).map((s) => ({
        Effect: s.Effect,
        Action: arrayOf(s.Action).sort(),
        Resource: arrayOf(s.Resource),
      }));
    const ssmArn = (name: string) => ({
      'Fn::Sub': `arn:\${AWS::Partition}:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter/hotglue-webhooks/ci/webhook-secret/${name}`,
    });

    it('gives each function its own role', () => {
      for (const fn of FUNCTIONS)
        expect(resource(`${fn}LambdaFunction`).Properties.Role).toEqual(getAtt(`${fn}Role`));
      expect(template.Resources.IamRoleLambdaExecution).toBeUndefined();
    });

    it('lets ingest write its logs, send to the three queues and read its four secret parameters, nothing else', () => {
      expect(normalized('IngestRole')).toEqual([
        {
          Effect: 'Allow',
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          Resource: [getAtt('IngestLogGroup')],
        },
        {
          Effect: 'Allow',
          Action: ['sqs:SendMessage'],
          Resource: [
            getAtt('JobsFifoQueue'),
            getAtt('DiscoverFifoQueue'),
            getAtt('ConnectionsFifoQueue'),
          ],
        },
        {
          Effect: 'Allow',
          Action: ['ssm:GetParameters'],
          Resource: ['shared', 'jobs', 'discover', 'connections'].map(ssmArn),
        },
      ]);
    });

    it.each(KINDS)(
      'lets the %s consumer use only its own queues, its own table and the bus',
      (Kind) => {
        expect(normalized(`Consume${Kind}Role`)).toEqual([
          {
            Effect: 'Allow',
            Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
            Resource: [getAtt(`Consume${Kind}LogGroup`)],
          },
          {
            Effect: 'Allow',
            // What Lambda's event source mapping calls; never ChangeMessageVisibility.
            Action: ['sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ReceiveMessage'],
            Resource: [getAtt(`${Kind}FifoQueue`)],
          },
          {
            Effect: 'Allow',
            // A record that can never succeed, to its own DLQ at once, and to no other queue.
            Action: ['sqs:SendMessage'],
            Resource: [getAtt(`${Kind}FifoDeadLetterQueue`)],
          },
          {
            Effect: 'Allow',
            Action: [
              'dynamodb:BatchGetItem',
              'dynamodb:GetItem',
              'dynamodb:PutItem',
              'dynamodb:UpdateItem',
            ],
            Resource: [getAtt(`${Kind}Table`)],
          },
          { Effect: 'Allow', Action: ['events:PutEvents'], Resource: [getAtt('NotificationBus')] },
        ]);
      },
    );

    it('lets reconcile read running jobs, note stale ones, send to the jobs queue and the bus, and read its key, nothing else', () => {
      expect(normalized('ReconcileRole')).toEqual([
        {
          Effect: 'Allow',
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          Resource: [getAtt('ReconcileLogGroup')],
        },
        {
          Effect: 'Allow',
          Action: ['dynamodb:Query'],
          Resource: [{ 'Fn::Join': ['', [getAtt('JobsTable'), '/index/by-watch-shard']] }],
        },
        {
          Effect: 'Allow',
          Action: ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:UpdateItem'],
          Resource: [getAtt('JobsTable')],
        },
        { Effect: 'Allow', Action: ['events:PutEvents'], Resource: [getAtt('NotificationBus')] },
        { Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: [getAtt('JobsFifoQueue')] },
        {
          Effect: 'Allow',
          Action: ['ssm:GetParameter'],
          Resource: [
            {
              'Fn::Sub': `arn:\${AWS::Partition}:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter/hotglue-webhooks/ci/hotglue-api-key`,
            },
          ],
        },
      ]);
    });

    it('has no wildcard action or resource in any IAM policy', () => {
      for (const [, role] of ofType(template, 'AWS::IAM::Role')) {
        const json = JSON.stringify(role.Properties.Policies);
        expect(json).not.toMatch(/"Action":"\*"|"Action":\["\*"|"[a-z0-9]+:\*"/);
        expect(json).not.toMatch(/"Resource":"\*"|"\*"\]/);
      }
    });
  });

  describe('secrets', () => {
    it('never contains a webhook secret or the hotglue API key, even one set at package time', () => {
      expect(text).not.toContain(CANARY);
    });

    it('gives ingest only the SSM parameter path, and no function a secret variable', () => {
      for (const fn of FUNCTIONS) {
        const variables = Object.keys(
          resource(`${fn}LambdaFunction`).Properties.Environment?.Variables ?? {},
        );
        expect(
          variables.filter(
            (v) => v.startsWith('WEBHOOK_SECRET') && v !== 'WEBHOOK_SECRETS_SSM_PATH',
          ),
        ).toEqual([]);
      }
      expect(
        resource('IngestLambdaFunction').Properties.Environment.Variables.WEBHOOK_SECRETS_SSM_PATH,
      ).toBe('/hotglue-webhooks/ci/webhook-secret');
    });
  });

  describe('observability', () => {
    it.each(KINDS)('alarms on any message in the %s dead-letter queues', (Kind) => {
      for (const [alarmId, queueId] of [
        [`${Kind}DeadLetterAlarm`, `${Kind}FifoDeadLetterQueue`],
      ] as const) {
        const alarm = resource(alarmId).Properties;
        expect(alarm).toMatchObject({
          Namespace: 'AWS/SQS',
          MetricName: 'ApproximateNumberOfMessagesVisible',
          Threshold: 0,
          ComparisonOperator: 'GreaterThanThreshold',
        });
        expect(alarm.Dimensions).toEqual([
          { Name: 'QueueName', Value: getAtt(queueId, 'QueueName') },
        ]);
        expect(alarm.AlarmActions).toEqual([{ Ref: 'AlarmTopic' }]);
      }
    });

    it.each(FUNCTIONS)('alarms on %s errors', (fn) => {
      const alarm = resource(`${fn}ErrorsAlarm`).Properties;
      expect(alarm).toMatchObject({
        Namespace: 'AWS/Lambda',
        MetricName: 'Errors',
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
      });
      expect(alarm.Dimensions).toEqual([
        { Name: 'FunctionName', Value: { Ref: `${fn}LambdaFunction` } },
      ]);
      expect(alarm.AlarmActions).toEqual([{ Ref: 'AlarmTopic' }]);
    });

    it('counts throttled requests (429) from the API’s access log and alarms on them and on 5xx', () => {
      const stage = resource('HttpApiStage').Properties;
      expect(stage.AccessLogSettings.DestinationArn).toEqual(getAtt('HttpApiLogGroup', 'Arn'));
      const format = JSON.parse(stage.AccessLogSettings.Format) as Record<string, string>;
      expect(format.status).toBe('$context.status');
      // Nothing a request carries besides its route: no header (a signature), no body.
      expect(Object.values(format).filter((v) => /header|body|querystring/i.test(v))).toEqual([]);
      expect(resource('HttpApiLogGroup').Properties.RetentionInDays).toBeGreaterThan(0);
      // Vended logs need no entry in the account's CloudWatch Logs resource policy.
      expect(resource('HttpApiLogGroup').Properties.LogGroupName).toBe(
        '/aws/vendedlogs/http-api/hotglue-webhooks-ci',
      );
      const filter = resource('ThrottledRequestsMetricFilter').Properties;
      expect(filter.LogGroupName).toEqual({ Ref: 'HttpApiLogGroup' });
      expect(filter.FilterPattern).toMatch(/\$\.status = "429"/);
      const [metric] = filter.MetricTransformations;
      const throttled = resource('ApiThrottledAlarm').Properties;
      expect(throttled).toMatchObject({
        Namespace: metric.MetricNamespace,
        MetricName: metric.MetricName,
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        AlarmActions: [{ Ref: 'AlarmTopic' }],
      });
      const errors = resource('Api5xxAlarm').Properties;
      expect(errors).toMatchObject({
        Namespace: 'AWS/ApiGateway',
        MetricName: '5xx',
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        AlarmActions: [{ Ref: 'AlarmTopic' }],
      });
      expect(errors.Dimensions).toEqual([{ Name: 'ApiId', Value: { Ref: 'HttpApi' } }]);
    });

    it('subscribes the alarm e-mail only when one is given', () => {
      const subscription = resource('AlarmEmailSubscription');
      expect(subscription.Condition).toBe('HasAlarmEmail');
      expect(subscription.Properties).toMatchObject({
        Protocol: 'email',
        Endpoint: { Ref: 'AlarmEmail' },
        TopicArn: { Ref: 'AlarmTopic' },
      });
      expect(template.Parameters?.AlarmEmail?.Default).toBe('');
    });

    it('names the metrics namespace for Powertools, with the stage in it', () => {
      for (const fn of FUNCTIONS) {
        expect(
          resource(`${fn}LambdaFunction`).Properties.Environment.Variables
            .POWERTOOLS_METRICS_NAMESPACE,
        ).toBe('HotglueWebhooks/ci');
      }
    });

    const alarms = () => ofType(template, 'AWS::CloudWatch::Alarm').map(([, a]) => a.Properties);
    const watching = (namespace: string, metricName: string) =>
      alarms().filter((a) =>
        watchedMetrics(a).some((m) => m.Namespace === namespace && m.MetricName === metricName),
      );
    const toTopic = { AlarmActions: [{ Ref: 'AlarmTopic' }], OKActions: [{ Ref: 'AlarmTopic' }] };

    it('alarms on the age of the oldest message of every queue that triggers a consumer', () => {
      const queues = ofType(template, 'AWS::Lambda::EventSourceMapping').map(
        ([, m]) => m.Properties.EventSourceArn['Fn::GetAtt'][0] as string,
      );
      expect(queues).toHaveLength(3); // the three FIFO queues
      for (const queue of queues) {
        const found = watching('AWS/SQS', 'ApproximateAgeOfOldestMessage').filter(
          (a) =>
            JSON.stringify(a.Dimensions) ===
            JSON.stringify([{ Name: 'QueueName', Value: getAtt(queue, 'QueueName') }]),
        );
        expect(found).toHaveLength(1);
        expect(found[0]).toMatchObject({
          Statistic: 'Maximum',
          Threshold: 600,
          ComparisonOperator: 'GreaterThanThreshold',
          ...toTopic,
        });
      }
    });

    it('alarms on Lambda throttles of every function', () => {
      const functions = ofType(template, 'AWS::Lambda::Function').map(([id]) => id);
      expect(functions).toHaveLength(FUNCTIONS.length);
      for (const fn of functions) {
        const found = watching('AWS/Lambda', 'Throttles').filter(
          (a) =>
            JSON.stringify(a.Dimensions) ===
            JSON.stringify([{ Name: 'FunctionName', Value: { Ref: fn } }]),
        );
        expect(found).toHaveLength(1);
        expect(found[0]).toMatchObject({ Threshold: 0, Statistic: 'Sum', ...toTopic });
      }
    });

    it.each(KINDS)(
      'alarms on DynamoDB throttling of the %s table and its indexes, for every call the roles make on it',
      (Kind) => {
        const table = { Ref: `${Kind}Table` };
        // The operations some role may call on this table or its indexes.
        const operations = new Set(
          ofType(template, 'AWS::IAM::Role').flatMap(([, role]) =>
            statementsOf(role)
              .filter((st) => JSON.stringify(st.Resource).includes(`"${Kind}Table"`))
              .flatMap((st) => [st.Action].flat() as string[])
              .filter((a) => a.startsWith('dynamodb:'))
              .map((a) => a.slice('dynamodb:'.length)),
          ),
        );
        expect(operations.size).toBeGreaterThan(0);
        const found = alarms().filter((a) =>
          watchedMetrics(a).some(
            (m) =>
              m.Namespace === 'AWS/DynamoDB' &&
              JSON.stringify(m.Dimensions[0]) ===
                JSON.stringify({ Name: 'TableName', Value: table }),
          ),
        );
        expect(found).toHaveLength(1);
        const alarm = found[0] ?? {};
        const metrics = watchedMetrics(alarm);
        const throttledOps = metrics
          .filter((m) => m.MetricName === 'ThrottledRequests')
          .map((m) => m.Dimensions.find((d) => d.Name === 'Operation')?.Value);
        expect(throttledOps).toEqual(expect.arrayContaining([...operations]));
        expect(metrics.map((m) => m.MetricName)).toEqual(
          expect.arrayContaining(['ReadThrottleEvents', 'WriteThrottleEvents']),
        );
        // One expression adds them all up; it alone is what the alarm compares.
        const returned = (alarm.Metrics as { ReturnData: boolean; Expression?: string }[]).filter(
          (m) => m.ReturnData,
        );
        expect(returned).toHaveLength(1);
        expect(returned[0]?.Expression).toMatch(/SUM\(.*METRICS\(\)/);
        expect(alarm).toMatchObject({ Threshold: 0, ...toTopic });
      },
    );

    it.each(KINDS)('alarms on records the %s consumer failed, within minutes', (Kind, kind) => {
      const env = resource(`Consume${Kind}LambdaFunction`).Properties.Environment.Variables;
      const alarm = resource(`Consume${Kind}FailedRecordsAlarm`).Properties;
      expect(alarm).toMatchObject({
        Namespace: env.POWERTOOLS_METRICS_NAMESPACE,
        MetricName: 'failed',
        Dimensions: [
          { Name: 'service', Value: env.POWERTOOLS_SERVICE_NAME },
          { Name: 'kind', Value: kind },
        ],
        Statistic: 'Sum',
        Period: 60,
        Threshold: 0,
        ...toTopic,
      });
      // Sooner than the dead-letter alarm (5 receives of 180 s).
      expect(alarm.Period * alarm.EvaluationPeriods).toBeLessThan(5 * 180);
    });

    it('alarms on webhooks refused for their signature, on every webhook route', () => {
      const env = resource('IngestLambdaFunction').Properties.Environment.Variables;
      const alarm = resource('BadSignaturesAlarm').Properties;
      const metrics = watchedMetrics(alarm);
      expect(
        metrics.map((m) => m.Dimensions.find((d) => d.Name === 'route')?.Value).sort(),
      ).toEqual(['auto', 'connections', 'discover', 'jobs']);
      for (const m of metrics) {
        expect(m).toMatchObject({
          Namespace: env.POWERTOOLS_METRICS_NAMESPACE,
          MetricName: 'rejected',
        });
        expect(m.Dimensions).toEqual(
          expect.arrayContaining([
            { Name: 'service', Value: env.POWERTOOLS_SERVICE_NAME },
            { Name: 'reason', Value: 'bad_signature' },
          ]),
        );
      }
      expect(alarm).toMatchObject({ Threshold: 5, ...toTopic });
    });
  });

  describe('reconciliation', () => {
    const variables = () => resource('ReconcileLambdaFunction').Properties.Environment.Variables;

    it('runs reconcile every 15 minutes by default, with no retry of a failed run', () => {
      const rules = ofType(template, 'AWS::Events::Rule').filter(([, r]) =>
        JSON.stringify(r.Properties.Targets).includes('ReconcileLambdaFunction'),
      );
      expect(rules).toHaveLength(1);
      const [ruleId, rule] = rules[0] as [string, Resource];
      expect(rule.Properties).toMatchObject({
        ScheduleExpression: 'rate(15 minutes)',
        State: 'ENABLED',
      });
      expect(rule.Properties.Targets[0].Arn).toEqual(getAtt('ReconcileLambdaFunction'));
      const permissions = ofType(template, 'AWS::Lambda::Permission').map(([, r]) => r.Properties);
      expect(permissions).toContainEqual(
        expect.objectContaining({
          Principal: 'events.amazonaws.com',
          SourceArn: getAtt(ruleId),
          FunctionName: getAtt('ReconcileLambdaFunction'),
        }),
      );
      const [[, invokeConfig] = []] = ofType(template, 'AWS::Lambda::EventInvokeConfig');
      expect(invokeConfig?.Properties).toMatchObject({
        FunctionName: { Ref: 'ReconcileLambdaFunction' },
        MaximumRetryAttempts: 0,
      });
    });

    it('gives reconcile its table, queue, threshold, API URL and only the name of the key parameter', () => {
      expect(variables()).toMatchObject({
        JOBS_TABLE: { Ref: 'JobsTable' },
        JOBS_QUEUE_URL: { Ref: 'JobsFifoQueue' },
        RECONCILE_AFTER: '2h',
        RECONCILE_LOST_AFTER: '7d',
        HOTGLUE_API_URL: 'https://api.hotglue.com',
        HOTGLUE_API_KEY_PARAMETER: '/hotglue-webhooks/ci/hotglue-api-key',
      });
      expect(variables().HOTGLUE_API_KEY).toBeUndefined();
      // A run stops starting polls 30 s before its timeout; the timeout leaves it room to poll.
      expect(resource('ReconcileLambdaFunction').Properties.Timeout).toBeGreaterThanOrEqual(120);
    });

    it('alarms when StaleJobs stays above 0 for an hour', () => {
      const alarm = resource('StaleJobsAlarm').Properties;
      expect(alarm).toMatchObject({
        Namespace: variables().POWERTOOLS_METRICS_NAMESPACE,
        MetricName: 'StaleJobs',
        // Powertools adds the service dimension to every metric it publishes.
        Dimensions: [{ Name: 'service', Value: variables().POWERTOOLS_SERVICE_NAME }],
        Statistic: 'Minimum',
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        AlarmActions: [{ Ref: 'AlarmTopic' }],
      });
      expect(alarm.Period * alarm.EvaluationPeriods).toBe(3600);
      expect(alarm.DatapointsToAlarm).toBe(alarm.EvaluationPeriods);
    });
  });

  describe('notifications', () => {
    it('creates the stage’s bus, exports its name, and lets consumers and reconcile put events only on it', () => {
      expect(resource('NotificationBus')).toMatchObject({
        Type: 'AWS::Events::EventBus',
        Properties: { Name: 'hotglue-webhooks-ci' },
      });
      expect(template.Outputs.NotificationBusName).toMatchObject({
        Value: { Ref: 'NotificationBus' },
        Export: { Name: 'hotglue-webhooks-ci-notification-bus' },
      });
      const putters: string[] = [];
      for (const [id, role] of ofType(template, 'AWS::IAM::Role')) {
        for (const policy of [{ PolicyDocument: { Statement: statementsOf(role) } }])
          for (const st of policy.PolicyDocument.Statement as {
            Action: unknown;
            Resource: unknown;
          }[]) {
            const actions = Array.isArray(st.Action) ? st.Action : [st.Action];
            if (!actions.some((a) => String(a).startsWith('events:'))) continue;
            putters.push(id);
            expect(actions).toEqual(['events:PutEvents']);
            expect(st.Resource).toEqual(getAtt('NotificationBus'));
          }
      }
      expect(putters.sort()).toEqual(
        [
          'ConsumeConnectionsRole',
          'ConsumeDiscoverRole',
          'ConsumeJobsRole',
          'ReconcileRole',
        ].sort(),
      );
      for (const fn of ['ConsumeJobs', 'ConsumeDiscover', 'ConsumeConnections', 'Reconcile'])
        expect(
          resource(`${fn}LambdaFunction`).Properties.Environment.Variables.EVENT_BUS_NAME,
        ).toBe(resource('NotificationBus').Properties.Name);
    });

    it('routes Job Failed to the alert e-mail through a readable input transformer, on prod too', () => {
      for (const t of [template, prod]) {
        const rule = t.Resources.JobFailedAlertRule as Resource;
        expect(rule.Condition).toBe('HasAlertEmail');
        expect(rule.Properties.EventBusName).toEqual({ Ref: 'NotificationBus' });
        expect(rule.Properties.EventPattern).toEqual({
          source: ['hotglue-webhooks'],
          'detail-type': ['Job Failed'],
        });
        const [target] = rule.Properties.Targets;
        expect(target.Arn).toEqual({ Ref: 'AlertTopic' });
        expect(target.DeadLetterConfig).toEqual({ Arn: getAtt('NotificationsDeadLetterQueue') });
        expect(target.InputTransformer.InputTemplate).toBe(
          '"Job <job_id> of tenant <tenant> failed at <status>: <error>"',
        );
        expect(target.InputTransformer.InputPathsMap).toEqual({
          job_id: '$.detail.job_id',
          tenant: '$.detail.tenant',
          status: '$.detail.status',
          error: '$.detail.error',
        });
        expect(t.Resources.AlertTopic?.Condition).toBe('HasAlertEmail');
        expect(t.Resources.AlertEmailSubscription?.Properties).toMatchObject({
          Protocol: 'email',
          Endpoint: { Ref: 'AlertEmail' },
        });
        expect(t.Parameters?.AlertEmail?.Default).toBe('');
      }
      // Each alert's detail-type has its rule, each rule one readable sentence.
      const alerted = ofType(template, 'AWS::Events::Rule')
        .filter(([, r]) => r.Condition === 'HasAlertEmail')
        .flatMap(([, r]) => r.Properties.EventPattern['detail-type']);
      expect(alerted.sort()).toEqual(
        ['Connection Unlinked', 'Discover Failed', 'Job Failed', 'Job Stale'].sort(),
      );
      // EventBridge may publish to the topic only from this stage's rules.
      const [statement] = resource('AlertTopicPolicy').Properties.PolicyDocument.Statement;
      expect(statement).toMatchObject({
        Principal: { Service: 'events.amazonaws.com' },
        Action: 'sns:Publish',
        Resource: { Ref: 'AlertTopic' },
      });
    });

    it('dead-letters what a rule cannot deliver, and alarms on it', () => {
      const [statement] = resource('NotificationsDeadLetterQueuePolicy').Properties.PolicyDocument
        .Statement;
      expect(statement).toMatchObject({
        Principal: { Service: 'events.amazonaws.com' },
        Action: 'sqs:SendMessage',
        Resource: getAtt('NotificationsDeadLetterQueue'),
      });
      expect(JSON.stringify(statement.Condition)).toContain('rule/hotglue-webhooks-ci/*');
      expect(resource('NotificationsDeadLetterAlarm').Properties.Dimensions).toEqual([
        { Name: 'QueueName', Value: getAtt('NotificationsDeadLetterQueue', 'QueueName') },
      ]);
    });
  });

  it('keeps every dead-letter queue on remove and on replacement, but not after a failed first deploy', () => {
    const redriveTargets = ofType(template, 'AWS::SQS::Queue')
      .map(([, q]) => q.Properties.RedrivePolicy?.deadLetterTargetArn?.['Fn::GetAtt']?.[0])
      .filter((id): id is string => id !== undefined);
    const ruleTargets = ofType(template, 'AWS::Events::Rule')
      .flatMap(([, r]) => r.Properties.Targets as { DeadLetterConfig?: { Arn: unknown } }[])
      .map((t) => (t.DeadLetterConfig?.Arn as { 'Fn::GetAtt'?: string[] })?.['Fn::GetAtt']?.[0])
      .filter((id): id is string => id !== undefined);
    const deadLetterQueues = [...new Set([...redriveTargets, ...ruleTargets])];
    expect(deadLetterQueues).toHaveLength(4); // 3 FIFO, the notifications'
    for (const id of deadLetterQueues)
      expect([id, resource(id).DeletionPolicy]).toEqual([id, 'RetainExceptOnCreate']);
    // Whatever a template retains on delete, it also retains when an update replaces it.
    for (const [id, r] of Object.entries(template.Resources).filter(([, r]) =>
      r.DeletionPolicy?.startsWith('Retain'),
    ))
      expect([id, r.UpdateReplacePolicy]).toEqual([id, 'Retain']);
  });

  it('tells the alarm topic when every notifying alarm is OK again', () => {
    const alarms = ofType(template, 'AWS::CloudWatch::Alarm');
    expect(alarms.length).toBeGreaterThan(20);
    for (const [id, alarm] of alarms) {
      expect([id, alarm.Properties.AlarmActions]).toEqual([id, [{ Ref: 'AlarmTopic' }]]);
      expect([id, alarm.Properties.OKActions]).toEqual([id, alarm.Properties.AlarmActions]);
    }
  });

  it('outputs the auto-detecting and the per-kind webhook URLs', () => {
    const url = (path: string) => ({ 'Fn::Join': ['', [getAtt('HttpApi', 'ApiEndpoint'), path]] });
    expect(template.Outputs.WebhookUrl?.Value).toEqual(url('/webhooks'));
    expect(template.Outputs.JobsWebhookUrl?.Value).toEqual(url('/webhooks/jobs'));
    expect(template.Outputs.DiscoverWebhookUrl?.Value).toEqual(url('/webhooks/discover'));
    expect(template.Outputs.ConnectionsWebhookUrl?.Value).toEqual(url('/webhooks/connections'));
  });
});

/** The Powertools variables the template gives a function (its metrics' namespace and service). */
function powertoolsOf(fn: string): Record<string, string> {
  const variables = resource(`${fn}LambdaFunction`).Properties.Environment.Variables;
  return {
    POWERTOOLS_SERVICE_NAME: variables.POWERTOOLS_SERVICE_NAME,
    POWERTOOLS_METRICS_NAMESPACE: variables.POWERTOOLS_METRICS_NAMESPACE,
  };
}

/** Unzips a packaged function and invokes its handler once in a bare Node process. */
async function invokeBundle(
  zip: string,
  file: string,
  event: unknown,
  env: Record<string, string>,
): Promise<any> {
  return (await invokeBundleWithOutput(zip, file, event, env)).result;
}

/** As invokeBundle, also returning what the process printed (its logs and EMF metric lines). */
async function invokeBundleWithOutput(
  zip: string,
  file: string,
  event: unknown,
  env: Record<string, string>,
): Promise<{ result: any; out: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'hgw-bundle-'));
  try {
    for (const [name, content] of unzip(await readFile(join(ciDir, zip)))) {
      await mkdir(dirname(join(dir, name)), { recursive: true });
      await writeFile(join(dir, name), content);
    }
    const out = await runBundle(dir, file, event, env);
    const line = out.split('\n').find((l) => l.startsWith('RESULT:'));
    if (line === undefined) throw new Error(`bundle ${zip} failed:\n${out}`);
    return { result: JSON.parse(line.slice('RESULT:'.length)), out };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('packaged function bundles, run in a bare Node process against the local emulators', () => {
  // One fauxqs for the block (a process of its own, a second or so of CPU to start): each test
  // makes queues of its own names on it.
  let fauxqs: Awaited<ReturnType<typeof startFauxqsProcess>>;
  beforeAll(async () => {
    fauxqs = await startFauxqsProcess();
  });
  afterAll(() => fauxqs?.stop());

  it('ingest.zip verifies and queues an event on fauxqs', async () => {
    const proxy = await startRecordingProxy(fauxqs.endpoint);
    const sqs = localSqsClient(fauxqs.endpoint, 'us-east-1');
    try {
      const urls: Record<string, string> = {};
      for (const kind of ['jobs', 'discover', 'connections']) {
        urls[kind] =
          (await sqs.send(new CreateQueueCommand(fifoQueue(`bundle-${kind}`)))).QueueUrl ?? '';
      }
      const env = {
        AWS_ENDPOINT_URL_SQS: proxy.endpoint,
        JOBS_QUEUE_URL: urls.jobs ?? '',
        DISCOVER_QUEUE_URL: urls.discover ?? '',
        CONNECTIONS_QUEUE_URL: urls.connections ?? '',
        WEBHOOK_SECRET: 'bundle-secret',
        ...powertoolsOf('Ingest'),
      };
      const body = JSON.stringify(payloadOf('discover'));
      const accepted = await invokeBundle(
        'ingest.zip',
        'functions/ingest.js',
        httpApiEvent({
          path: '/webhooks',
          body,
          headers: { 'x-hub-signature': hmacHex('bundle-secret', body) },
        }),
        env,
      );
      expect(accepted.statusCode).toBe(202);
      const got = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: urls.discover, WaitTimeSeconds: 1 }),
      );
      expect(parseEnvelope(got.Messages?.[0]?.Body ?? '').body.toString()).toBe(body);
      const refused = await invokeBundleWithOutput(
        'ingest.zip',
        'functions/ingest.js',
        httpApiEvent({ path: '/webhooks', body }),
        env,
      );
      expect(refused.result.statusCode).toBe(401);
      // The refusal is counted on a metric the bad-signatures alarm watches.
      const watched = watchedMetrics(resource('BadSignaturesAlarm').Properties);
      const [line] = emfLinesWith(refused.out, 'rejected');
      expect(line).toBeDefined();
      expect(watched.some((m) => emfMatches(line ?? {}, m))).toBe(true);
      expect(proxy.calls.map((c) => c.action)).toContain('sqs:SendMessage');
      expect(refusedCalls('IngestRole', proxy.calls)).toEqual([]);
    } finally {
      sqs.destroy();
      await proxy.close();
    }
  }, 60_000);

  it('ingest.zip answers 202 on its first request while SSM throttles its first calls', async () => {
    const ssm = await startFakeSsm();
    const ssmProxy = await startRecordingProxy(ssm.endpoint);
    const sqs = localSqsClient(fauxqs.endpoint, 'us-east-1');
    try {
      const url = (await sqs.send(new CreateQueueCommand(fifoQueue('bundle-ssm-jobs')))).QueueUrl;
      const path = '/hotglue-webhooks/ci/webhook-secret';
      ssm.put(`${path}/shared`, 'ssm-secret');
      // Parameter Store past its 40 requests a second: the cold start's first five reads refused.
      ssm.throttle(5);
      const body = JSON.stringify(payloadOf('jobs'));
      const answer = await invokeBundle(
        'ingest.zip',
        'functions/ingest.js',
        httpApiEvent({
          path: '/webhooks/jobs',
          body,
          headers: { 'x-hub-signature': hmacHex('ssm-secret', body) },
        }),
        {
          AWS_ENDPOINT_URL_SQS: fauxqs.endpoint,
          AWS_ENDPOINT_URL_SSM: ssmProxy.endpoint,
          JOBS_QUEUE_URL: url ?? '',
          DISCOVER_QUEUE_URL: url ?? '',
          CONNECTIONS_QUEUE_URL: url ?? '',
          WEBHOOK_SECRETS_SSM_PATH:
            resource('IngestLambdaFunction').Properties.Environment.Variables
              .WEBHOOK_SECRETS_SSM_PATH,
        },
      );
      expect(answer.statusCode).toBe(202);
      // One read per instance, tried again after each throttle: five refused, the sixth answered.
      expect(ssm.calls).toEqual([
        ...Array.from({ length: 5 }, () => ({ operation: 'GetParameters', throttled: true })),
        { operation: 'GetParameters', throttled: false },
      ]);
      expect(refusedCalls('IngestRole', ssmProxy.calls)).toEqual([]);
      const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 1 }));
      expect(parseEnvelope(got.Messages?.[0]?.Body ?? '').body.toString()).toBe(body);
    } finally {
      sqs.destroy();
      await ssmProxy.close();
      await ssm.close();
    }
  }, 60_000);

  it.each([
    ['consumeJobs.zip', 'functions/consume-jobs.js', 'jobs', 'JOBS_TABLE'],
    ['consumeDiscover.zip', 'functions/consume-discover.js', 'discover', 'DISCOVER_TABLE'],
    [
      'consumeConnections.zip',
      'functions/consume-connections.js',
      'connections',
      'CONNECTIONS_TABLE',
    ],
  ] as const)(
    '%s stores a record on dynalite and moves a poison record to its DLQ on fauxqs, within its role',
    async (zip, file, kind, variable) => {
      const dynamo = await startDynalite();
      const proxy = await startRecordingProxy(dynamo.endpoint);
      const bus = await startFakeEventBridge();
      const busProxy = await startRecordingProxy(bus.endpoint);
      const sqsProxy = await startRecordingProxy(fauxqs.endpoint);
      const sqs = localSqsClient(fauxqs.endpoint, 'us-east-1');
      try {
        const tables = await createProjectTables(dynamo.endpoint);
        const dlq =
          (
            await sqs.send(
              new CreateQueueCommand({
                QueueName: `bundle-${kind}-dlq.fifo`,
                Attributes: { FifoQueue: 'true' },
              }),
            )
          ).QueueUrl ?? '';
        const payload = payloadOf(kind);
        const good = sqsRecord(envelopeOf(kind, payload), { messageId: 'good' });
        const poison = sqsRecord('not an envelope', { messageId: 'poison' });
        poison.attributes.MessageGroupId = 'bundle-group';
        const Kind = `${kind[0]?.toUpperCase()}${kind.slice(1)}`;
        // The variable the template gives the consumer its DLQ by.
        const [dlqVariable] = Object.entries(
          resource(`Consume${Kind}LambdaFunction`).Properties.Environment.Variables,
        ).find(
          ([, v]) => JSON.stringify(v) === JSON.stringify({ Ref: `${Kind}FifoDeadLetterQueue` }),
        ) ?? [''];
        const env = {
          AWS_ENDPOINT_URL_DYNAMODB: proxy.endpoint,
          AWS_ENDPOINT_URL_EVENTBRIDGE: busProxy.endpoint,
          AWS_ENDPOINT_URL_SQS: sqsProxy.endpoint,
          EVENT_BUS_NAME: 'bundle-bus',
          [variable]: tables[kind],
          [dlqVariable]: dlq,
          ...powertoolsOf(`Consume${Kind}`),
        };
        const { result, out } = await invokeBundleWithOutput(
          zip,
          file,
          { Records: [good, poison] },
          env,
        );
        // The poison record left at once: reported done, in the DLQ with why.
        expect(result).toEqual({ batchItemFailures: [] });
        const [letter] = await listDeadLetters(sqs, kind, dlq, 10);
        expect(letter).toMatchObject({
          reason: 'message body is not JSON',
          sourceMessageId: 'poison',
        });
        expect(emfLinesWith(out, 'deadLettered')[0]?.deadLettered).toBe(1);
        // Every DynamoDB and SQS call the bundle made is one its role allows.
        expect(proxy.calls.map((c) => c.action)).toContain('dynamodb:PutItem');
        expect(sqsProxy.calls.map((c) => c.action)).toEqual(['sqs:SendMessage']);
        // The sample event is a first sight of its entity in a notifying state: one event on
        // the bus, with the deterministic id in its detail.
        expect(bus.entries).toHaveLength(1);
        expect(bus.entries[0]).toMatchObject({
          EventBusName: 'bundle-bus',
          Source: 'hotglue-webhooks',
        });
        expect(JSON.parse(bus.entries[0]?.Detail ?? '{}').notification_id).toMatch(
          /^[0-9a-f-]{36}$/,
        );
        expect(busProxy.calls.map((c) => c.action)).toEqual(['events:PutEvents']);
        expect(
          refusedCalls(`Consume${Kind}Role`, [
            ...proxy.calls,
            ...busProxy.calls,
            ...sqsProxy.calls,
          ]),
        ).toEqual([]);
        if (kind === 'jobs') {
          const db = documentClient(dynamo.endpoint);
          expect((await getJob(db, tables.jobs, String(payload.s3_root)))?.status).toBe(
            payload.status,
          );
          db.destroy();
        }

        // A DLQ that cannot take the letter: the poison record fails (SQS delivers it again),
        // counted on the metric the failed-records alarm watches.
        const failing = await invokeBundleWithOutput(
          zip,
          file,
          { Records: [poison] },
          { ...env, [dlqVariable]: `${dlq}-missing` },
        );
        expect(failing.result).toEqual({ batchItemFailures: [{ itemIdentifier: 'poison' }] });
        const [failed] = emfLinesWith(failing.out, 'failed');
        expect(failed?.failed).toBe(1);
        const [watched] = watchedMetrics(resource(`Consume${Kind}FailedRecordsAlarm`).Properties);
        expect(emfMatches(failed ?? {}, watched as WatchedMetric)).toBe(true);
      } finally {
        sqs.destroy();
        await sqsProxy.close();
        await busProxy.close();
        await bus.close();
        await proxy.close();
        await dynamo.stop();
      }
    },
    60_000,
  );
  it('reconcile.zip counts stale jobs with no key, then repairs one once the key parameter exists', async () => {
    const dynamo = await startDynalite();
    const ssm = await startFakeSsm();
    const api = await startFakeHotglueApi('bundle-api-key');
    const bus = await startFakeEventBridge();
    const proxies = await Promise.all(
      [dynamo.endpoint, fauxqs.endpoint, ssm.endpoint, bus.endpoint].map(startRecordingProxy),
    );
    const [dynamoProxy, sqsProxy, ssmProxy, busProxy] = proxies as [
      (typeof proxies)[number],
      (typeof proxies)[number],
      (typeof proxies)[number],
      (typeof proxies)[number],
    ];
    const sqs = localSqsClient(fauxqs.endpoint, 'us-east-1');
    const db = documentClient(dynamo.endpoint);
    try {
      const tables = await createProjectTables(dynamo.endpoint);
      const queueUrl =
        (await sqs.send(new CreateQueueCommand(fifoQueue('bundle-reconcile-jobs')))).QueueUrl ?? '';
      const s3Root = 'bundle/stale-job';
      const events = jobLifecycle(['JOB_CREATED', 'SYNC_STARTED'], {
        s3Root,
        start: new Date(Date.now() - 3 * 3_600_000),
      });
      const store = dynamoDbEventStore(db, { jobs: tables.jobs });
      for (const e of events) await store.store('jobs', stored(e));
      // hotglue's answer names the flow `flow`, as its documented sample does.
      const { flow_id: flow, ...answer }: Record<string, unknown> = {
        ...events.at(-1),
        status: 'JOB_COMPLETED',
      };
      api.answer(s3Root, { status: 200, body: { ...answer, flow } });

      // The function's own variables from the template, pointed at the local servers.
      const declared = resource('ReconcileLambdaFunction').Properties.Environment.Variables;
      const env = {
        AWS_ENDPOINT_URL_DYNAMODB: dynamoProxy.endpoint,
        AWS_ENDPOINT_URL_SQS: sqsProxy.endpoint,
        AWS_ENDPOINT_URL_SSM: ssmProxy.endpoint,
        AWS_ENDPOINT_URL_EVENTBRIDGE: busProxy.endpoint,
        EVENT_BUS_NAME: declared.EVENT_BUS_NAME,
        JOBS_TABLE: tables.jobs,
        JOBS_QUEUE_URL: queueUrl,
        HOTGLUE_API_URL: api.url,
        HOTGLUE_API_KEY_PARAMETER: declared.HOTGLUE_API_KEY_PARAMETER,
        RECONCILE_AFTER: declared.RECONCILE_AFTER,
        POWERTOOLS_SERVICE_NAME: declared.POWERTOOLS_SERVICE_NAME,
        POWERTOOLS_METRICS_NAMESPACE: declared.POWERTOOLS_METRICS_NAMESPACE,
      };
      const scheduled = { source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} };

      const unconfigured = await invokeBundleWithOutput(
        'reconcile.zip',
        'functions/reconcile.js',
        scheduled,
        env,
      );
      expect(unconfigured.result).toMatchObject({ staleJobs: 1, configured: false, polled: 0 });
      expect(unconfigured.out).toMatch(/reconciliation is not configured/);
      expect(api.requests).toEqual([]);
      // Stale with no key still tells: one Job Stale on the stage's bus.
      expect(bus.entries.map((e) => [e.EventBusName, e.DetailType])).toEqual([
        [declared.EVENT_BUS_NAME, 'Job Stale'],
      ]);
      // The metric the StaleJobsAlarm watches: its namespace, name and dimensions.
      const alarm = resource('StaleJobsAlarm').Properties;
      const emf = unconfigured.out
        .split('\n')
        .filter((l) => l.includes('"_aws"'))
        .map((l) => JSON.parse(l) as Record<string, any>)
        .find((m) => m.StaleJobs !== undefined);
      expect(emf?.StaleJobs).toBe(1);
      expect(emf?._aws.CloudWatchMetrics[0]).toMatchObject({
        Namespace: alarm.Namespace,
        Dimensions: [alarm.Dimensions.map((d: { Name: string }) => d.Name)],
      });
      for (const d of alarm.Dimensions as { Name: string; Value: string }[])
        expect(emf?.[d.Name]).toBe(d.Value);

      ssm.put(declared.HOTGLUE_API_KEY_PARAMETER, 'bundle-api-key');
      const configured = await invokeBundleWithOutput(
        'reconcile.zip',
        'functions/reconcile.js',
        scheduled,
        env,
      );
      expect(configured.result).toMatchObject({
        staleJobs: 1,
        configured: true,
        outcomes: { updated: 1 },
      });
      expect(ssm.asked.at(-1)).toEqual({
        name: '/hotglue-webhooks/ci/hotglue-api-key',
        withDecryption: true,
      });
      expect(api.requests.map((r) => [r.jobRoot, r.apiKey])).toEqual([[s3Root, 'bundle-api-key']]);
      expect(configured.out).not.toContain('bundle-api-key');
      // Once per episode: the second run sends no second Job Stale.
      expect(bus.entries).toHaveLength(1);
      const got = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 1 }),
      );
      const envelope = parseEnvelope(got.Messages?.[0]?.Body ?? '');
      expect(envelope.envelope.source).toBe('reconcile');
      expect(JSON.parse(envelope.body.toString())).toMatchObject({
        s3_root: s3Root,
        status: 'JOB_COMPLETED',
        flow_id: flow,
      });
      const calls = proxies.flatMap((p) => p.calls);
      expect(calls.map((c) => c.action)).toEqual(
        expect.arrayContaining(['dynamodb:Query', 'sqs:SendMessage', 'ssm:GetParameter']),
      );
      expect(refusedCalls('ReconcileRole', calls)).toEqual([]);
    } finally {
      await Promise.all(proxies.map((p) => p.close()));
      await bus.close();
      db.destroy();
      sqs.destroy();
      await api.close();
      await ssm.close();
      await dynamo.stop();
    }
  }, 60_000);

  it('read.zip answers /v1 from dynalite within its read-only role', async () => {
    const dynamo = await startDynalite();
    const proxy = await startRecordingProxy(dynamo.endpoint);
    const db = documentClient(dynamo.endpoint);
    try {
      const tables = await createProjectTables(dynamo.endpoint);
      const s3Root = 'bundle/read/1';
      const store = dynamoDbEventStore(db, tables);
      for (const e of jobLifecycle(['JOB_CREATED', 'SYNC_FAILED'], { s3Root, tenant: 'read-t' }))
        await store.store('jobs', stored(e));
      const declared = resource('ReadLambdaFunction').Properties.Environment.Variables;
      expect(Object.keys(declared)).toEqual(
        expect.arrayContaining(['JOBS_TABLE', 'DISCOVER_TABLE', 'CONNECTIONS_TABLE']),
      );
      const env = {
        AWS_ENDPOINT_URL_DYNAMODB: proxy.endpoint,
        JOBS_TABLE: tables.jobs,
        DISCOVER_TABLE: tables.discover,
        CONNECTIONS_TABLE: tables.connections,
        POWERTOOLS_SERVICE_NAME: declared.POWERTOOLS_SERVICE_NAME,
      };
      const get = (path: string, query = '') =>
        invokeBundle(
          'read.zip',
          'functions/read.js',
          {
            ...httpApiEvent({ method: 'GET', path }),
            rawQueryString: query,
          },
          env,
        ) as Promise<{ statusCode: number; body: string }>;
      const list = await get('/v1/jobs', 'tenant=read-t');
      expect(list.statusCode).toBe(200);
      expect(JSON.parse(list.body)).toMatchObject({
        items: [{ s3_root: s3Root, status: 'SYNC_FAILED' }],
        next: null,
      });
      const job = await get(`/v1/jobs/${encodeURIComponent(s3Root)}`);
      expect(JSON.parse(job.body).history).toHaveLength(2);
      expect((await get('/v1/jobs', 'colour=red')).statusCode).toBe(400);
      expect(refusedCalls('ReadRole', proxy.calls)).toEqual([]);
      expect(proxy.calls.map((c) => c.action)).toEqual(expect.arrayContaining(['dynamodb:Query']));
    } finally {
      await proxy.close();
      db.destroy();
      await dynamo.stop();
    }
  }, 60_000);
});
