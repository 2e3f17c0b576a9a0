import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

/**
 * What the local stack needs from serverless.yml, read through `serverless print` so that the
 * deployed and the local resources come from one definition. Intrinsics (`Ref`, `Fn::GetAtt`)
 * stay unresolved here; the stack resolves them against the local emulators.
 */
export interface ServiceDefinition {
  service: string;
  stage: string;
  region: string;
  providerEnvironment: Record<string, unknown>;
  functions: FunctionSpec[];
  queues: QueueSpec[];
  tables: TableSpec[];
}

interface FunctionSpec {
  key: string;
  /** e.g. `functions/ingest.handler` */
  handler: string;
  timeoutSeconds: number;
  environment: Record<string, unknown>;
  httpRoutes: string[];
  /** Schedule expressions, e.g. `rate(15 minutes)`: the local stack runs its own loop instead. */
  schedules: string[];
  /** Its SQS event sources, in the order serverless.yml lists them (none for most functions). */
  sqs: SqsTrigger[];
  /** How many events trigger it, of any type (0: nothing runs it on this stage). */
  eventCount: number;
}

interface SqsTrigger {
  queueLogicalId: string;
  batchSize: number;
  maximumBatchingWindow: number;
  reportBatchItemFailures: boolean;
}

export interface QueueSpec {
  logicalId: string;
  name: string;
  /** SQS attributes as CreateQueue takes them (strings), without RedrivePolicy. */
  attributes: Record<string, string>;
  deadLetter?: { logicalId: string; maxReceiveCount: number };
}

export interface TableSpec {
  logicalId: string;
  /** CloudFormation properties of the AWS::DynamoDB::Table. */
  properties: Record<string, unknown>;
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (typeof v === 'object' && v !== null ? (v as Json) : {});

/**
 * Runs `serverless print` (about 4 s), cached under `cacheDir` by the content of serverless.yml and
 * of the stage's settings file (stages/<stage>.yml), and the region variables.
 */
export async function printServiceConfig(
  cwd: string,
  stage: string,
  cacheDir: string,
): Promise<Json> {
  const source = await readFile(join(cwd, 'serverless.yml'), 'utf8');
  const settings = await readFile(join(cwd, 'stages', `${stage}.yml`), 'utf8').catch(() => '');
  // The region comes from AWS_REGION, else AWS_DEFAULT_REGION, when --region is not given.
  const region = `${process.env.AWS_REGION ?? ''}/${process.env.AWS_DEFAULT_REGION ?? ''}`;
  // The values of the variables the stage file reads (${env:NAME}) are part of what is printed.
  const variables = [...settings.matchAll(/\$\{env:([A-Za-z_][A-Za-z0-9_]*)/g)]
    .map(([, name]) => `${name}=${process.env[name ?? ''] ?? ''}`)
    .join('\n');
  const digest = createHash('sha256')
    .update(`${stage}\n${region}\n${source}\n${settings}\n${variables}`)
    .digest('hex')
    .slice(0, 16);
  const cacheFile = join(cacheDir, `serverless-print-${digest}.json`);
  try {
    return JSON.parse(await readFile(cacheFile, 'utf8')) as Json;
  } catch {
    // not cached yet
  }
  const bin = join(cwd, 'node_modules', 'serverless', 'bin', 'serverless.js');
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [bin, 'print', '--stage', stage, '--format', 'json'],
    { cwd, maxBuffer: 16 * 1024 * 1024, env: { ...process.env, SLS_TELEMETRY_DISABLED: '1' } },
  );
  const printed = JSON.parse(stdout) as Json;
  await mkdir(cacheDir, { recursive: true });
  await writeFile(cacheFile, JSON.stringify(printed));
  return printed;
}

function logicalIdOfArn(value: unknown): string {
  const getAtt = obj(value)['Fn::GetAtt'];
  if (Array.isArray(getAtt) && getAtt[1] === 'Arn' && typeof getAtt[0] === 'string')
    return getAtt[0];
  if (typeof getAtt === 'string' && getAtt.endsWith('.Arn')) return getAtt.slice(0, -4);
  throw new Error(`expected !GetAtt <Resource>.Arn, got ${JSON.stringify(value)}`);
}

const QUEUE_ATTRIBUTES = [
  'DelaySeconds',
  'MaximumMessageSize',
  'MessageRetentionPeriod',
  'ReceiveMessageWaitTimeSeconds',
  'VisibilityTimeout',
  'SqsManagedSseEnabled',
  'FifoQueue',
  'ContentBasedDeduplication',
  'DeduplicationScope',
  'FifoThroughputLimit',
] as const;

function httpRoute(event: unknown): string | undefined {
  const spec = obj(event).httpApi;
  if (spec === undefined) return undefined;
  if (typeof spec === 'string') return spec === '*' ? '$default' : spec;
  const { method, path } = obj(spec);
  return `${String(method ?? '*').toUpperCase()} ${String(path)}`;
}

function scheduleOf(event: unknown): string | undefined {
  const spec = obj(event).schedule;
  if (spec === undefined) return undefined;
  if (typeof spec === 'string') return spec;
  const { rate } = obj(spec);
  return Array.isArray(rate) ? rate.map(String).join(', ') : String(rate);
}

/**
 * Evaluates the template's `Fn::If`s in `value` as CloudFormation would with the parameters'
 * defaults (the stage params serverless resolved into them): conditions built of `Fn::Equals`,
 * `Fn::Not`, `Fn::Or`, `Fn::And` and `Condition`, and `Ref: AWS::NoValue` dropped from lists and
 * maps. So the local tables get the index layout a deploy of the stage would.
 * @internal exported for the tests
 */
export function resolveConditionals(value: unknown, printed: Json): unknown {
  const resources = obj(printed.resources);
  const parameters = obj(resources.Parameters);
  const conditions = obj(resources.Conditions);
  const scalar = (v: unknown): unknown => {
    const ref = obj(v).Ref;
    return typeof ref === 'string' ? obj(parameters[ref]).Default : v;
  };
  const test = (c: unknown): boolean => {
    const o = obj(c);
    if (typeof o.Condition === 'string') return test(conditions[o.Condition]);
    const [op, args] = Object.entries(o)[0] ?? [];
    const list = Array.isArray(args) ? args : [];
    switch (op) {
      case 'Fn::Equals':
        return String(scalar(list[0])) === String(scalar(list[1]));
      case 'Fn::Not':
        return !test(list[0]);
      case 'Fn::Or':
        return list.some(test);
      case 'Fn::And':
        return list.every(test);
      default:
        throw new Error(`cannot evaluate condition ${JSON.stringify(c)} locally`);
    }
  };
  const noValue = (v: unknown) => obj(v).Ref === 'AWS::NoValue';
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk).filter((x) => !noValue(x));
    if (typeof v !== 'object' || v === null) return v;
    const branch = (v as Json)['Fn::If'];
    if (Array.isArray(branch) && typeof branch[0] === 'string')
      return walk(test(conditions[branch[0]]) ? branch[1] : branch[2]);
    return Object.fromEntries(
      Object.entries(v as Json)
        .map(([k, x]) => [k, walk(x)] as const)
        .filter(([, x]) => !noValue(x)),
    );
  };
  return walk(value);
}

/** Extracts functions, queues and tables from the output of `serverless print`. */
export function extractDefinition(printed: Json): ServiceDefinition {
  const provider = obj(printed.provider);
  const resources = obj(obj(printed.resources).Resources);
  const functions: FunctionSpec[] = Object.entries(obj(printed.functions)).map(([key, raw]) => {
    const fn = obj(raw);
    const events = Array.isArray(fn.events) ? fn.events : [];
    const sqs = events
      .map((e) => obj(e).sqs)
      .filter((s) => s !== undefined)
      .map(obj)
      .map((trigger) => ({
        queueLogicalId: logicalIdOfArn(trigger.arn),
        batchSize: Number(trigger.batchSize ?? 10),
        maximumBatchingWindow: Number(trigger.maximumBatchingWindow ?? 0),
        reportBatchItemFailures: trigger.functionResponseType === 'ReportBatchItemFailures',
      }));
    return {
      key,
      handler: String(fn.handler),
      timeoutSeconds: Number(fn.timeout ?? provider.timeout ?? 6),
      environment: obj(fn.environment),
      httpRoutes: events.map(httpRoute).filter((r): r is string => r !== undefined),
      schedules: events.map(scheduleOf).filter((r): r is string => r !== undefined),
      sqs,
      eventCount: events.length,
    };
  });
  const queues: QueueSpec[] = [];
  const tables: TableSpec[] = [];
  for (const [logicalId, raw] of Object.entries(resources)) {
    const resource = obj(raw);
    const properties = obj(resource.Properties);
    if (resource.Type === 'AWS::SQS::Queue') {
      const attributes: Record<string, string> = {};
      for (const name of QUEUE_ATTRIBUTES) {
        if (properties[name] !== undefined) attributes[name] = String(properties[name]);
      }
      const redrive =
        properties.RedrivePolicy === undefined ? undefined : obj(properties.RedrivePolicy);
      queues.push({
        logicalId,
        name: String(properties.QueueName),
        attributes,
        ...(redrive && {
          deadLetter: {
            logicalId: logicalIdOfArn(redrive.deadLetterTargetArn),
            maxReceiveCount: Number(redrive.maxReceiveCount),
          },
        }),
      });
    } else if (resource.Type === 'AWS::DynamoDB::Table') {
      tables.push({ logicalId, properties: obj(resolveConditionals(properties, printed)) });
    }
  }
  return {
    service: String(printed.service),
    stage: String(provider.stage),
    region: String(provider.region),
    providerEnvironment: obj(provider.environment),
    functions,
    queues,
    tables,
  };
}

/** Resolves `Ref`, `Fn::GetAtt … Arn` and `Fn::Join` against the local resources. */
export function resolveIntrinsic(
  value: unknown,
  refs: Map<string, { ref: string; arn: string }>,
): string {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
    return String(value);
  }
  const o = obj(value);
  if (typeof o.Ref === 'string') {
    const found = refs.get(o.Ref);
    if (found === undefined) throw new Error(`no local resource for Ref ${o.Ref}`);
    return found.ref;
  }
  if (o['Fn::GetAtt'] !== undefined) {
    const id = logicalIdOfArn(value);
    const found = refs.get(id);
    if (found === undefined) throw new Error(`no local resource for GetAtt ${id}`);
    return found.arn;
  }
  const join = o['Fn::Join'];
  if (Array.isArray(join) && typeof join[0] === 'string' && Array.isArray(join[1])) {
    return join[1].map((part) => resolveIntrinsic(part, refs)).join(join[0]);
  }
  throw new Error(`cannot resolve ${JSON.stringify(value)} locally`);
}
