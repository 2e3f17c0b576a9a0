import { Logger } from '@aws-lambda-powertools/logger';

/**
 * The one structured logger. Callers pass the request id or SQS message id on every line and
 * never a body, a signature or a secret.
 */
export const logger = new Logger({ serviceName: 'hotglue-webhooks' });

export type LogFields = Record<string, string | number | boolean | null | undefined>;

/** The slice of a logger that core code uses, so that tests can record what is logged. */
export interface Log {
  info(message: string, fields: LogFields): void;
  warn(message: string, fields: LogFields): void;
  error(message: string, fields: LogFields): void;
}
