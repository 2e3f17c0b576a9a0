import { Logger } from '@aws-lambda-powertools/logger';

/**
 * The one structured logger (Powertools, JSON lines). It implements the cores' Log port; callers
 * pass the request id or SQS message id on every line and never a body, a signature or a secret.
 */
export const logger = new Logger({ serviceName: 'hotglue-webhooks' });
