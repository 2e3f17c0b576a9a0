/** @internal exported for the tests */
export type LogFields = Record<string, string | number | boolean | null | undefined>;

/**
 * The structured log the cores write to. Callers pass the request id or SQS message id on every
 * line and never a body, a signature or a secret.
 */
export interface Log {
  info(message: string, fields: LogFields): void;
  warn(message: string, fields: LogFields): void;
  error(message: string, fields: LogFields): void;
}
