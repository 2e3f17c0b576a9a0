import type { Kind } from '../webhook/kinds';

/** The service name in serverless.yml; every resource name starts with it and the stage. */
const SERVICE = 'hotglue-webhooks';

/** Table names as serverless.yml derives them: `<service>-<stage>-<kind>-table`. */
export function tableName(stage: string, kind: Kind): string {
  return `${SERVICE}-${stage}-${kind}-table`;
}

/** The SSM SecureString holding a stage's hotglue API key (never in the template). */
export const hotglueApiKeyParameter = (stage: string): string =>
  `/${SERVICE}/${stage}/hotglue-api-key`;

/** The stage's notification bus and the dead-letter queue of its rules' targets. */
export const eventBusName = (stage: string): string => `${SERVICE}-${stage}`;
export const notificationsDeadLetterQueueName = (stage: string): string =>
  `${SERVICE}-${stage}-notifications-dlq`;

/**
 * Receives after which SQS moves a message to its kind's dead-letter queue by itself (the queues'
 * redrive policy: serverless.yml's `custom.maxReceiveCount`).
 */
export const MAX_RECEIVE_COUNT = 5;

/** FIFO queue names as serverless.yml derives them: `<service>-<stage>-<kind>.fifo`, `…-dlq.fifo`. */
export function queueName(stage: string, kind: Kind, deadLetter = false): string {
  return `${SERVICE}-${stage}-${kind}${deadLetter ? '-dlq' : ''}.fifo`;
}
