import { resolve } from 'node:path';
import { KINDS } from '../webhook/kinds';
import { SECRET_LENGTH_RULE, weakSecretNames } from '../ports/secret-source';
import {
  ConfigError,
  duration,
  flag,
  integer,
  optionalHttpUrl,
  readEnv,
  secretList,
  withDefault,
  type Env,
} from './env';
import { SHARED_SECRET_VARIABLE, secretVariable } from './ingest';
import { hotglueApiUrl } from './reconcile';

/** The data folder, relative to the project, unless DATA_DIR says otherwise. */
export const DEFAULT_DATA_DIR = '.data';

/** `npm start`'s configuration (docs/configuration.md lists every variable). */
export interface LocalStackConfig {
  dataDir: string;
  host: string;
  /** Webhook port; 0 picks a free one. */
  port: number;
  dynamodbPort: number;
  sqsPort: number;
  stage: string;
  /** The region the handlers see; serverless.yml's when unset. */
  region?: string;
  retryDelaySeconds: number;
  visibilityTimeoutSeconds?: number;
  pollersPerQueue: number;
  /** True when any webhook secret variable is set: the stack then generates none. */
  secretsConfigured: boolean;
  /** WEBHOOK_SECRET, shown in the ready line when set. */
  sharedSecret?: string;
  allowUnsigned: boolean;
  /**
   * The warning to print at start when a webhook secret is shorter than the rule wants and
   * WEBHOOK_ALLOW_WEAK_SECRET allows it (without it, loading the configuration fails).
   */
  weakSecretWarning?: string;
  /** NOTIFY_URL: where each notification is POSTed; unset, they are only logged. */
  notifyUrl?: string;
  /**
   * DynamoDB's per-partition limits, modelled in front of dynalite (see partition-model.ts):
   * units per second per key value; absent, nothing is throttled.
   */
  partitionLimits?: { writeUnits: number; readUnits: number };
  /** Reconciliation with hotglue's job-status API, run every `intervalMs`; absent without a key. */
  reconcile?: {
    apiUrl: string;
    apiKey: string;
    intervalMs: number;
    afterMs: number;
    lostAfterMs: number;
  };
}

const port = (fallback: number) =>
  integer(0, 65535, fallback, 'must be a port number (0 picks a free port)');

/**
 * The secret variables holding a secret shorter than the rule wants: a ConfigError naming them
 * and the rule (in one line), or with `allowWeak` the warning to print instead. `npm start` is
 * where a secret is chosen, so it is checked there; a deployed ingest only warns (see
 * warnOfWeakSecrets), as it must take what was set in hotglue.
 */
function weakSecretCheck(env: Env, allowWeak: boolean): string | undefined {
  const variables = [SHARED_SECRET_VARIABLE, ...KINDS.map(secretVariable)];
  const lists = readEnv(env, Object.fromEntries(variables.map((v) => [v, secretList()])));
  const weak = weakSecretNames(lists as Record<string, string[]>);
  if (weak.length === 0) return undefined;
  const what = `${weak.join(', ')} breaks the rule: ${SECRET_LENGTH_RULE}`;
  if (!allowWeak)
    throw new ConfigError(
      `invalid configuration: ${what} (WEBHOOK_ALLOW_WEAK_SECRET=true starts anyway, with a warning)`,
    );
  return `warning: ${what}; started anyway (WEBHOOK_ALLOW_WEAK_SECRET=true)`;
}

/** Reads the local stack's configuration; throws a ConfigError naming every bad variable. */
export function loadLocalStackConfig(projectDir: string, env: Env = process.env): LocalStackConfig {
  const read = readEnv(env, {
    DATA_DIR: withDefault(resolve(projectDir, DEFAULT_DATA_DIR)),
    HOST: withDefault('127.0.0.1'),
    PORT: port(3000),
    DYNAMODB_PORT: port(8000),
    SQS_PORT: port(9324),
    LOCAL_STAGE: withDefault('local'),
    AWS_REGION: withDefault(''),
    LOCAL_RETRY_DELAY_SECONDS: integer(0, 43_200, 5),
    LOCAL_VISIBILITY_TIMEOUT_SECONDS: integer(0, 43_200, undefined),
    LOCAL_POLLERS_PER_QUEUE: integer(1, 64, 2),
    WEBHOOK_ALLOW_UNSIGNED: flag(),
    WEBHOOK_SIGNATURE_JSON_FALLBACK: flag(),
    WEBHOOK_ALLOW_WEAK_SECRET: flag(),
    HOTGLUE_API_URL: hotglueApiUrl(),
    RECONCILE_INTERVAL: duration('15m'),
    RECONCILE_AFTER: duration('2h'),
    RECONCILE_LOST_AFTER: duration('7d'),
    NOTIFY_URL: optionalHttpUrl(),
    LOCAL_PARTITION_WRITE_UNITS: integer(0, 1_000_000, 0),
    LOCAL_PARTITION_READ_UNITS: integer(0, 3_000_000, 0),
  });
  const weakSecretWarning = weakSecretCheck(env, read.WEBHOOK_ALLOW_WEAK_SECRET);
  const apiKey = (env.HOTGLUE_API_KEY ?? '').trim();
  const shared = (env[SHARED_SECRET_VARIABLE] ?? '').trim();
  return {
    dataDir: resolve(read.DATA_DIR),
    host: read.HOST,
    port: read.PORT,
    dynamodbPort: read.DYNAMODB_PORT,
    sqsPort: read.SQS_PORT,
    stage: read.LOCAL_STAGE,
    ...(read.AWS_REGION !== '' && { region: read.AWS_REGION }),
    retryDelaySeconds: read.LOCAL_RETRY_DELAY_SECONDS,
    ...(read.LOCAL_VISIBILITY_TIMEOUT_SECONDS !== undefined && {
      visibilityTimeoutSeconds: read.LOCAL_VISIBILITY_TIMEOUT_SECONDS,
    }),
    pollersPerQueue: read.LOCAL_POLLERS_PER_QUEUE,
    secretsConfigured: [SHARED_SECRET_VARIABLE, ...KINDS.map(secretVariable)].some(
      (v) => (env[v] ?? '') !== '',
    ),
    ...(shared !== '' && { sharedSecret: shared }),
    allowUnsigned: read.WEBHOOK_ALLOW_UNSIGNED,
    ...(weakSecretWarning !== undefined && { weakSecretWarning }),
    ...(read.NOTIFY_URL !== undefined && { notifyUrl: read.NOTIFY_URL }),
    ...(read.LOCAL_PARTITION_WRITE_UNITS > 0 && {
      partitionLimits: {
        writeUnits: read.LOCAL_PARTITION_WRITE_UNITS,
        readUnits: read.LOCAL_PARTITION_READ_UNITS || 3 * read.LOCAL_PARTITION_WRITE_UNITS,
      },
    }),
    ...(apiKey !== '' &&
      read.RECONCILE_INTERVAL > 0 && {
        reconcile: {
          apiUrl: read.HOTGLUE_API_URL,
          apiKey,
          intervalMs: read.RECONCILE_INTERVAL,
          afterMs: read.RECONCILE_AFTER,
          lostAfterMs: read.RECONCILE_LOST_AFTER,
        },
      }),
  };
}
