import { KINDS, type Kind } from '../webhook/kinds';
import {
  flag,
  optionalHttpUrl,
  readEnv,
  secretList,
  ssmPath,
  withDefault,
  httpUrl,
  type Env,
} from './env';

/** Environment variable holding the secrets of one kind, e.g. WEBHOOK_SECRET_JOBS. */
export const secretVariable = (kind: Kind): string => `WEBHOOK_SECRET_${kind.toUpperCase()}`;
/** Shared fallback used by every kind that has no secret of its own. */
export const SHARED_SECRET_VARIABLE = 'WEBHOOK_SECRET';
const queueUrlVariable = (kind: Kind): string => `${kind.toUpperCase()}_QUEUE_URL`;

/** The ingest function's configuration (docs/configuration.md lists every variable). */
export interface IngestConfig {
  /**
   * Where the secrets come from: SSM parameters under a path (deployed), or the environment
   * (local stack, tests): per kind the kind's own when set, else the shared ones; possibly none.
   */
  secrets:
    { source: 'ssm'; path: string } | { source: 'environment'; values: Record<Kind, string[]> };
  /** Accept unsigned events for a kind that has no secret. Off unless configured. */
  allowUnsigned: boolean;
  /** Also accept signatures over JSON.stringify(JSON.parse(body)). Off unless configured. */
  allowReserializedSignature: boolean;
  queueUrls: Record<Kind, string>;
  /** An SQS endpoint override (the local stack's emulator), which must win over queue URL hosts. */
  sqsEndpoint?: string;
  metricsNamespace: string;
}

/** The secrets of each kind from the environment: its own when set, else the shared ones. */
export function secretsFromEnv(env: Env): Record<Kind, string[]> {
  const lists = readEnv(env, {
    [SHARED_SECRET_VARIABLE]: secretList(),
    ...Object.fromEntries(KINDS.map((kind) => [secretVariable(kind), secretList()])),
  }) as Record<string, string[]>;
  const shared = lists[SHARED_SECRET_VARIABLE] ?? [];
  const entries = KINDS.map((kind) => {
    const own = lists[secretVariable(kind)] ?? [];
    return [kind, own.length > 0 ? own : shared] as const;
  });
  return Object.fromEntries(entries) as Record<Kind, string[]>;
}

/**
 * Reads and checks the ingest function's configuration once, at cold start. Throws a
 * ConfigError naming every problem (never a value) so that a broken deploy fails loudly.
 */
export function loadIngestConfig(env: Env = process.env): IngestConfig {
  const read = readEnv(env, {
    JOBS_QUEUE_URL: httpUrl(),
    DISCOVER_QUEUE_URL: httpUrl(),
    CONNECTIONS_QUEUE_URL: httpUrl(),
    WEBHOOK_SECRETS_SSM_PATH: ssmPath(),
    WEBHOOK_ALLOW_UNSIGNED: flag(),
    WEBHOOK_SIGNATURE_JSON_FALLBACK: flag(),
    AWS_ENDPOINT_URL_SQS: optionalHttpUrl(),
    AWS_ENDPOINT_URL: optionalHttpUrl(),
    POWERTOOLS_METRICS_NAMESPACE: withDefault('HotglueWebhooks'),
  });
  const queueUrls = Object.fromEntries(
    KINDS.map((kind) => [kind, read[queueUrlVariable(kind) as 'JOBS_QUEUE_URL']]),
  ) as Record<Kind, string>;
  const sqsEndpoint = read.AWS_ENDPOINT_URL_SQS ?? read.AWS_ENDPOINT_URL;
  return {
    secrets:
      read.WEBHOOK_SECRETS_SSM_PATH !== ''
        ? { source: 'ssm', path: read.WEBHOOK_SECRETS_SSM_PATH }
        : { source: 'environment', values: secretsFromEnv(env) },
    allowUnsigned: read.WEBHOOK_ALLOW_UNSIGNED,
    allowReserializedSignature: read.WEBHOOK_SIGNATURE_JSON_FALLBACK,
    queueUrls,
    ...(sqsEndpoint !== undefined && { sqsEndpoint }),
    metricsNamespace: read.POWERTOOLS_METRICS_NAMESPACE,
  };
}
