import type { Kind } from '../webhook/kinds';
import { httpUrl, integer, name, optionalHttpUrl, readEnv, withDefault, type Env } from './env';
import { loadNotificationTarget, type NotificationTarget } from './notifications';

const tableVariable = (kind: Kind): string => `${kind.toUpperCase()}_TABLE`;
/** One variable per kind, as the local stack runs the three consumers in one process. */
const deadLetterVariable = (kind: Kind): string => `${kind.toUpperCase()}_DEAD_LETTER_QUEUE_URL`;

/** A consumer function's configuration (docs/configuration.md lists every variable). */
export interface ConsumerConfig {
  /** The table of the kind this consumer stores. */
  table: string;
  /** The kind's FIFO dead-letter queue, where a record that can never succeed goes at once. */
  deadLetterQueueUrl: string;
  /** An SQS endpoint override (the local stack's emulator), which must win over queue URL hosts. */
  sqsEndpoint?: string;
  /** Days a history item is kept (its `expires_at`); 0 keeps it for ever. */
  historyRetentionDays: number;
  /** Days a finished job's or unlinked connection's record is kept after its last event; 0: for ever. */
  recordRetentionDays: number;
  /**
   * Where notifications go: the stage's EventBridge bus (deployed), else the local stack's log,
   * NOTIFY_URL and the file `notifications tail` reads.
   */
  notifications: NotificationTarget;
  metricsNamespace: string;
}

/** Reads the consumer's configuration once, at cold start; throws a ConfigError when it cannot work. */
export function loadConsumerConfig(kind: Kind, env: Env = process.env): ConsumerConfig {
  const read = readEnv(env, {
    [tableVariable(kind)]: name(),
    [deadLetterVariable(kind)]: httpUrl(),
    AWS_ENDPOINT_URL_SQS: optionalHttpUrl(),
    AWS_ENDPOINT_URL: optionalHttpUrl(),
    HISTORY_RETENTION_DAYS: integer(0, 36_500, 400),
    RECORD_RETENTION_DAYS: integer(0, 36_500, 0),
    POWERTOOLS_METRICS_NAMESPACE: withDefault('HotglueWebhooks'),
  });
  const sqsEndpoint = (read.AWS_ENDPOINT_URL_SQS ?? read.AWS_ENDPOINT_URL) as string | undefined;
  return {
    table: read[tableVariable(kind)] as string,
    deadLetterQueueUrl: read[deadLetterVariable(kind)] as string,
    ...(sqsEndpoint !== undefined && { sqsEndpoint }),
    historyRetentionDays: read.HISTORY_RETENTION_DAYS as number,
    recordRetentionDays: read.RECORD_RETENTION_DAYS as number,
    notifications: loadNotificationTarget(env),
    metricsNamespace: read.POWERTOOLS_METRICS_NAMESPACE as string,
  };
}
