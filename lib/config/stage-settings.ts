import { stackTags, StackTagsError, type UserTag } from './stack-tags';

/**
 * A stage's settings: `stages/<stage>.yml`, which `serverless.yml` reads for the stage being
 * packaged or deployed (through stage-settings-resolver.cjs), with `--param name=value` on top for
 * that one run. Everything here is checked before the framework builds anything, so that a deploy
 * fails on a bad setting in one line, not half-way through CloudFormation.
 */

/** The stage-name rule, and its limit: the longest name a stage becomes part of must still fit. */
const STAGE_CHARACTERS = /^[A-Za-z0-9-]+$/;

/**
 * Every name the stage becomes part of, with the service's own, and AWS's limit for it. The
 * longest Lambda function name decides: `hotglue-webhooks-<stage>-consumeConnections` ≤ 64.
 * The template test checks these against the packaged template's names.
 * @internal exported for the tests
 */
export const STAGE_NAMES: readonly {
  what: string;
  name: (stage: string) => string;
  max: number;
}[] = [
  {
    what: 'Lambda function name',
    name: (s) => `hotglue-webhooks-${s}-consumeConnections`,
    max: 64,
  },
  { what: 'SQS queue name', name: (s) => `hotglue-webhooks-${s}-connections-dlq.fifo`, max: 80 },
  { what: 'SQS queue name', name: (s) => `hotglue-webhooks-${s}-notifications-dlq`, max: 80 },
  { what: 'CloudFormation stack name', name: (s) => `hotglue-webhooks-${s}`, max: 128 },
  { what: 'API Gateway name', name: (s) => `${s}-hotglue-webhooks`, max: 128 },
  { what: 'DynamoDB table name', name: (s) => `hotglue-webhooks-${s}-connections-table`, max: 255 },
  { what: 'SNS topic name', name: (s) => `hotglue-webhooks-${s}-alarms`, max: 256 },
  { what: 'EventBridge bus name', name: (s) => `hotglue-webhooks-${s}`, max: 256 },
];

/** The longest stage name every resource name still fits (28). */
export const MAX_STAGE_LENGTH = Math.min(
  ...STAGE_NAMES.map(({ name, max }) => max - name('').length),
);

/** Stages whose tables may be deleted (deletion protection off by default). */
const DEV_LIKE_STAGES = new Set(['dev', 'local', 'test', 'ci']);

/** A new on-demand table serves this many write units a second until it has seen more. */
export const NEW_TABLE_WRITE_UNITS = 4000;

/**
 * Write units a table takes per new record, where each of its indexes takes one (bench (h)):
 * a new job writes 3 on the jobs table, a discover state or connection 2 on its own. An index of
 * a table warmed to W so takes W / this in a burst, and is warmed only past a new table's 4,000.
 */
const TABLE_UNITS_PER_INDEX_UNIT = { jobs: 3, records: 2 } as const;

export class StageSettingsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StageSettingsError';
  }
}

type Raw = Exclude<unknown, null | undefined>;

/** A value's refusal: the rule it breaks. */
class Rule {
  constructor(readonly rule: string) {}
}

/** One key: its default for a stage, and how a raw value (file or --param) becomes its value. */
interface Key<T> {
  fallback: (stage: string) => T;
  read: (raw: Raw) => T | Rule;
}

/** A scalar's text, trimmed; undefined for a list or a map (no setting but tags takes one). */
const scalar = (raw: Raw): string | undefined =>
  typeof raw === 'object' ? undefined : String(raw).trim();

const bool = (raw: Raw): boolean | Rule => {
  const value = scalar(raw)?.toLowerCase();
  return value === 'true' ? true : value === 'false' ? false : new Rule('must be true or false');
};

const integer =
  (min: number, max: number) =>
  (raw: Raw): number | Rule => {
    const value = scalar(raw) ?? '';
    const n = Number(value);
    return /^\d+$/.test(value) && n >= min && n <= max
      ? n
      : new Rule(`must be a whole number from ${min} to ${max}`);
  };

/** Text matching `pattern`; '' (none) only where `optional`. */
const text =
  (pattern: RegExp, rule: string, optional = true) =>
  (raw: Raw): string | Rule => {
    const value = scalar(raw);
    if (value === undefined) return new Rule(rule);
    return (optional && value === '') || pattern.test(value) ? value : new Rule(rule);
  };

/** An e-mail address, roughly: no spaces or commas, one @, a dot in the domain. */
const EMAIL = /^[^\s@,]+@[^\s@,]+\.[^\s@,]+$/;
const DURATION = /^\d+[mhd]$/;

const warmWriteUnits = (raw: Raw): number | Rule => {
  const n = integer(0, 1_000_000)(raw);
  return typeof n === 'number' && n !== 0 && n < NEW_TABLE_WRITE_UNITS
    ? new Rule(`must be 0 (off) or at least ${NEW_TABLE_WRITE_UNITS}, what a new table serves`)
    : n;
};

/** Tags as `k=v,k2=v2`, or as a map of scalars in the stage file (taken pair by pair). */
const tagList = (raw: Raw): string | UserTag[] | Rule => {
  if (typeof raw !== 'object') return String(raw);
  if (Array.isArray(raw)) return new Rule('must be a map (key: value), or key=value pairs');
  const pairs = Object.entries(raw as Record<string, unknown>).map(
    ([k, v]) => [k, v === null || v === undefined ? '' : scalar(v)] as const,
  );
  return pairs.some(([, v]) => v === undefined)
    ? new Rule('values must be text, not lists or maps')
    : (pairs as UserTag[]);
};

/** AWS's schedule expressions, as osls checks them. */
const SCHEDULE =
  /^rate\((?:1 (?:minute|hour|day)|(?:1\d+|[2-9]\d*) (?:minute|hour|day)s)\)$|^cron\(\S+ \S+ \S+ \S+ \S+ \S+\)$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;

const KEYS = {
  alarmEmail: { fallback: () => '', read: text(EMAIL, 'must be one e-mail address') },
  alertEmail: { fallback: () => '', read: text(EMAIL, 'must be one e-mail address') },
  allowUnsigned: { fallback: () => false, read: bool },
  signatureJsonFallback: { fallback: () => false, read: bool },
  deletionProtection: { fallback: (stage: string) => !DEV_LIKE_STAGES.has(stage), read: bool },
  historyRetentionDays: { fallback: () => 400, read: integer(0, 36_500) },
  recordRetentionDays: { fallback: () => 0, read: integer(0, 36_500) },
  throttlingRateLimit: { fallback: () => 2000, read: integer(1, 1_000_000) },
  throttlingBurstLimit: { fallback: () => 5000, read: integer(1, 1_000_000) },
  consumerMaxConcurrency: { fallback: () => 100, read: integer(2, 1000) },
  reconcileRate: {
    fallback: () => 'rate(15 minutes)',
    read: text(SCHEDULE, 'must be rate(N minutes|hours|days) or cron(six fields)', false),
  },
  reconcileAfter: {
    fallback: () => '2h',
    read: text(DURATION, 'must be like 30m, 2h or 7d', false),
  },
  reconcileLostAfter: {
    fallback: () => '7d',
    read: text(DURATION, 'must be like 30m, 2h or 7d', false),
  },
  hotglueApiUrl: {
    fallback: () => 'https://api.hotglue.com',
    // The reconcile function sends the API key there: never over plain http.
    read: text(/^https:\/\/\S+$/, 'must be an https:// URL', false),
  },
  queueAgeAlarmSeconds: { fallback: () => 600, read: integer(60, 1_209_600) },
  badSignatureAlarmThreshold: { fallback: () => 5, read: integer(1, 1_000_000) },
  readApi: { fallback: () => false, read: bool },
  tags: { fallback: (): string | UserTag[] => [], read: tagList },
  warmWriteUnitsPerSecond: { fallback: () => 0, read: warmWriteUnits },
  tableKmsKeyArn: {
    fallback: () => '',
    read: text(
      /^arn:aws:kms:[a-z0-9-]+:\d{12}:key\/[\w-]+$/,
      'must be a KMS key ARN (arn:aws:kms:…)',
    ),
  },
  region: {
    fallback: () => '',
    read: text(REGION, 'must be an AWS region, e.g. eu-west-1'),
  },
} satisfies Record<string, Key<unknown>>;

type Keys = typeof KEYS;
export type SettingName = keyof Keys;
export type Settings = { [K in SettingName]: ReturnType<Keys[K]['fallback']> };

/** Every key a stage file may hold, in the order stages/example.yml documents them. */
export const SETTING_NAMES = Object.keys(KEYS) as SettingName[];

const isName = (name: string): name is SettingName => Object.hasOwn(KEYS, name);

export interface StageInput {
  stage: string;
  /** The stage file's path as the user sees it, and its values (undefined: no file). */
  file: { path: string; values: Record<string, unknown> | undefined };
  /** `--param name=value` entries, in order (the last one of a name wins). */
  params: readonly string[];
  /** `--region`, if given. */
  regionOption: string | undefined;
  env: Record<string, string | undefined>;
}

/** CloudFormation's "leave this property out" (or this list item). */
const NO_VALUE = { Ref: 'AWS::NoValue' } as const;

/**
 * With a customer managed key, DynamoDB uses the key on behalf of the caller: the functions' roles
 * that read or write the tables may use it only through DynamoDB in the stage's region.
 */
const tableKeyStatement = (key: string, region: string): object =>
  key === ''
    ? NO_VALUE
    : {
        Effect: 'Allow',
        Action: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey*', 'kms:DescribeKey'],
        Resource: key,
        Condition: { StringEquals: { 'kms:ViaService': `dynamodb.${region}.amazonaws.com` } },
      };

export interface StageSettings {
  settings: Settings;
  /** Properties of the template that a setting adds or leaves out (NO_VALUE). */
  template: {
    warmThroughput: object;
    jobsIndexWarmThroughput: object;
    recordIndexWarmThroughput: object;
    tableEncryption: object;
    /** The roles' statement for a customer key, through DynamoDB only (NO_VALUE without one). */
    tableKeyStatement: object;
  };
  /** `service`, `stage` and the user's tags. */
  stackTags: Record<string, string>;
  region: string;
  /** Where the region came from, for the line printed as a deploy starts. */
  regionSource: string;
  warnings: string[];
}

function checkStage(stage: string): void {
  if (!STAGE_CHARACTERS.test(stage))
    throw new StageSettingsError(
      `stage "${stage}": use only letters, digits and hyphens (it becomes part of AWS resource names)`,
    );
  if (stage.length > MAX_STAGE_LENGTH) {
    const { what, name, max } = STAGE_NAMES.find((n) => n.name(stage).length > n.max) ?? {
      ...STAGE_NAMES[0]!,
    };
    throw new StageSettingsError(
      `stage "${stage}" is ${stage.length} characters; at most ${MAX_STAGE_LENGTH} fit every resource name (${what} "${name(stage)}" would pass AWS's ${max})`,
    );
  }
}

function readOne(name: SettingName, raw: unknown, source: string): unknown {
  if (raw === null || raw === undefined) return undefined;
  const value = KEYS[name].read(raw);
  if (value instanceof Rule) throw new StageSettingsError(`${source}: ${name} ${value.rule}`);
  return value;
}

function fromParams(params: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const param of params) {
    const at = param.indexOf('=');
    const name = at < 0 ? param : param.slice(0, at);
    if (at < 0) throw new StageSettingsError(`--param ${name}: use --param name=value`);
    if (name === 'region')
      throw new StageSettingsError('--param region: use --region, which the deploy itself reads');
    if (!isName(name))
      throw new StageSettingsError(
        `--param ${name}: no such setting (stages/example.yml lists them all)`,
      );
    out[name] = param.slice(at + 1);
  }
  return out;
}

/**
 * The region: --region, else AWS_REGION, else AWS_DEFAULT_REGION, else the stage file's, else
 * us-east-1; each checked. A stage file that names one region while the environment names
 * another is refused unless --region chooses: a shell left on another region would otherwise
 * deploy a second copy of the stage there, apart from its SSM secrets.
 */
function resolveRegion(input: StageInput, fileRegion: string): [string, string] {
  const { regionOption, env } = input;
  const candidates: [string, string][] = (
    [
      [regionOption, '--region'],
      [env.AWS_REGION, 'AWS_REGION'],
      [env.AWS_DEFAULT_REGION, 'AWS_DEFAULT_REGION'],
      [fileRegion, `region in ${input.file.path}`],
    ] as const
  )
    .map(([value, source]) => [(value ?? '').trim(), source] as [string, string])
    .filter(([value]) => value !== '');
  for (const [value, source] of candidates)
    if (!REGION.test(value))
      throw new StageSettingsError(`${source} "${value}" is no AWS region (e.g. eu-west-1)`);
  const [found] = candidates;
  if (found === undefined)
    return [
      'us-east-1',
      `the default: no --region, AWS_REGION, AWS_DEFAULT_REGION or region in ${input.file.path}`,
    ];
  if (found[1] !== '--region' && fileRegion !== '' && found[0] !== fileRegion)
    throw new StageSettingsError(
      `${found[1]} is ${found[0]} but ${input.file.path} says region ${fileRegion}: pass --region to choose`,
    );
  return found;
}

/** The file's values, which must be a map of settings (or nothing). */
function fileValues(file: StageInput['file']): Record<string, unknown> {
  const { values } = file;
  if (values === undefined || values === null) return {};
  if (typeof values !== 'object' || Array.isArray(values))
    throw new StageSettingsError(`${file.path}: must be a map of settings (key: value)`);
  return values;
}

/**
 * A stage's settings: the defaults, then its file, then `--param` for this one run. Throws a
 * StageSettingsError (one line, naming the key and where it came from) for a bad stage name, an
 * unknown key, a value that breaks its rule, or tags AWS would refuse.
 */
export function stageSettings(input: StageInput): StageSettings {
  checkStage(input.stage);
  const settings = Object.fromEntries(
    SETTING_NAMES.map((name) => [name, KEYS[name].fallback(input.stage)]),
  ) as Record<SettingName, unknown>;
  for (const [name, raw] of Object.entries(fileValues(input.file))) {
    if (!isName(name))
      throw new StageSettingsError(
        `${input.file.path}: "${name}" is no setting (stages/example.yml lists them all)`,
      );
    const value = readOne(name, raw, input.file.path);
    if (value !== undefined) settings[name] = value;
  }
  for (const [name, raw] of Object.entries(fromParams(input.params))) {
    settings[name as SettingName] = readOne(name as SettingName, raw, `--param ${name}`);
  }
  const typed = settings as Settings;
  let tags: Record<string, string>;
  try {
    tags = stackTags('hotglue-webhooks', input.stage, typed.tags);
  } catch (error) {
    if (error instanceof StackTagsError) throw new StageSettingsError(error.message);
    throw error;
  }
  const [region, regionSource] = resolveRegion(input, typed.region);
  const keyRegion = typed.tableKmsKeyArn.split(':')[3];
  if (keyRegion !== undefined && keyRegion !== region)
    throw new StageSettingsError(
      `tableKmsKeyArn is a key in ${keyRegion}, but the stage deploys to ${region}: DynamoDB needs a key of the table's region`,
    );
  const warnings: string[] = [];
  if (typed.alarmEmail === '')
    warnings.push(
      `stage ${input.stage} has no alarm recipient: set alarmEmail in ${input.file.path} (or subscribe to the AlarmTopicArn output yourself)`,
    );
  const warm = (units: number) =>
    units <= NEW_TABLE_WRITE_UNITS ? NO_VALUE : { WriteUnitsPerSecond: units };
  const indexWarm = (ratio: number) =>
    warm(Math.ceil(typed.warmWriteUnitsPerSecond / ratio / 1000) * 1000);
  const template = {
    warmThroughput: warm(typed.warmWriteUnitsPerSecond),
    jobsIndexWarmThroughput: indexWarm(TABLE_UNITS_PER_INDEX_UNIT.jobs),
    recordIndexWarmThroughput: indexWarm(TABLE_UNITS_PER_INDEX_UNIT.records),
    tableEncryption:
      typed.tableKmsKeyArn === ''
        ? NO_VALUE
        : { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: typed.tableKmsKeyArn },
    tableKeyStatement: tableKeyStatement(typed.tableKmsKeyArn, region),
  };
  return { settings: typed, template, stackTags: tags, region, regionSource, warnings };
}
