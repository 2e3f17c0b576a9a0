import { SQSClient } from '@aws-sdk/client-sqs';

/**
 * The SQS client, created once per container (one module per client keeps each bundle to the
 * SDK it uses). An endpoint override (AWS_ENDPOINT_URL_SQS, as the
 * local stack sets) must win over the host in a queue URL, which local emulators make up.
 */
export function createSqsClient(env: Record<string, string | undefined> = process.env): SQSClient {
  const local = env.AWS_ENDPOINT_URL_SQS !== undefined || env.AWS_ENDPOINT_URL !== undefined;
  return new SQSClient({
    maxAttempts: 3,
    requestHandler: { connectionTimeout: 1_000, requestTimeout: 5_000 },
    ...(local ? { useQueueUrlAsEndpoint: false } : {}),
  });
}
