import { SSMClient } from '@aws-sdk/client-ssm';
import { REQUEST_HANDLER } from './request-limits';

/**
 * An SSM client for a function, created once per container: each request ends with a
 * TimeoutError after REQUEST_HANDLER's timeout, and is tried at most `maxAttempts` times (ingest
 * retries throttles itself, within its own deadline: see ssmSecretSource).
 */
export const createSsmClient = (maxAttempts: number): SSMClient =>
  new SSMClient({ maxAttempts, requestHandler: REQUEST_HANDLER });
