import { SQSClient } from '@aws-sdk/client-sqs';

/**
 * The SQS client, created once per container (one module per client keeps each bundle to the
 * SDK it uses). With an endpoint override (AWS_ENDPOINT_URL_SQS, as the local stack sets), the
 * override must win over the host in a queue URL, which local emulators make up.
 */
export function createSqsClient(options: { endpoint?: string } = {}): SQSClient {
  return new SQSClient({
    maxAttempts: 3,
    requestHandler: { connectionTimeout: 1_000, requestTimeout: 5_000 },
    ...(options.endpoint !== undefined && { useQueueUrlAsEndpoint: false }),
  });
}
