import { SQSClient } from '@aws-sdk/client-sqs';
import { REQUEST_HANDLER } from './request-limits';

/**
 * The SQS client, created once per container (one module per client keeps each bundle to the
 * SDK it uses). With an endpoint override (AWS_ENDPOINT_URL_SQS, as the local stack sets), the
 * override must win over the host in a queue URL, which local emulators make up.
 */
export function createSqsClient(options: { endpoint?: string } = {}): SQSClient {
  return new SQSClient({
    maxAttempts: 3,
    requestHandler: REQUEST_HANDLER,
    ...(options.endpoint !== undefined && { useQueueUrlAsEndpoint: false }),
  });
}
