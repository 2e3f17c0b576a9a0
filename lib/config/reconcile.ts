import { DEFAULT_HOTGLUE_API_URL, HOTGLUE_API_URL_RULE, keySafeApiUrl } from '../aws/hotglue-api';
import {
  checkedUrl,
  duration,
  httpUrl,
  name,
  optionalHttpUrl,
  readEnv,
  withDefault,
  type Env,
  type Variable,
} from './env';
import { loadNotificationTarget, type NotificationTarget } from './notifications';

/**
 * HOTGLUE_API_URL: where the API key is sent, so https, or http only to a loopback host (a fake
 * of the API); hotglue's own API when unset.
 */
export const hotglueApiUrl = (): Variable<string> =>
  checkedUrl(DEFAULT_HOTGLUE_API_URL, keySafeApiUrl, HOTGLUE_API_URL_RULE);

/** The scheduled reconcile function's configuration (docs/configuration.md lists every variable). */
export interface ReconcileConfig {
  jobsTable: string;
  jobsQueueUrl: string;
  /** hotglue's API base URL: https, or http to a loopback host. */
  hotglueApiUrl: string;
  /** The SSM SecureString holding the API key; read at each run, never set in the template. */
  apiKeyParameter: string;
  /** A running job is stale after this long without an event. */
  afterMs: number;
  /** A job hotglue has not known (404) for this long is marked lost and polled no more. */
  lostAfterMs: number;
  /** Where `Job Stale` notifications go. */
  notifications: NotificationTarget;
  /** An SQS endpoint override, which must win over queue URL hosts (as for ingest). */
  sqsEndpoint?: string;
  metricsNamespace: string;
}

/** Reads the reconcile function's configuration once, at cold start; throws a ConfigError when it cannot work. */
export function loadReconcileConfig(env: Env = process.env): ReconcileConfig {
  const read = readEnv(env, {
    JOBS_TABLE: name(),
    JOBS_QUEUE_URL: httpUrl(),
    HOTGLUE_API_URL: hotglueApiUrl(),
    HOTGLUE_API_KEY_PARAMETER: name(),
    RECONCILE_AFTER: duration('2h'),
    RECONCILE_LOST_AFTER: duration('7d'),
    AWS_ENDPOINT_URL_SQS: optionalHttpUrl(),
    AWS_ENDPOINT_URL: optionalHttpUrl(),
    POWERTOOLS_METRICS_NAMESPACE: withDefault('HotglueWebhooks'),
  });
  const sqsEndpoint = read.AWS_ENDPOINT_URL_SQS ?? read.AWS_ENDPOINT_URL;
  return {
    jobsTable: read.JOBS_TABLE,
    jobsQueueUrl: read.JOBS_QUEUE_URL,
    hotglueApiUrl: read.HOTGLUE_API_URL,
    apiKeyParameter: read.HOTGLUE_API_KEY_PARAMETER,
    afterMs: read.RECONCILE_AFTER,
    lostAfterMs: read.RECONCILE_LOST_AFTER,
    notifications: loadNotificationTarget(env),
    ...(sqsEndpoint !== undefined && { sqsEndpoint }),
    metricsNamespace: read.POWERTOOLS_METRICS_NAMESPACE,
  };
}
