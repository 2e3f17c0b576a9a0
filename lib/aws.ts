import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';

/**
 * SDK clients, created once per container. An endpoint override (AWS_ENDPOINT_URL_SQS, as the
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

/**
 * The DynamoDB document client. Retries with the SDK's standard back-off; a short socket
 * timeout so that a consumer fails a record (for SQS to retry) rather than hanging.
 */
export function createDocumentClient(): DynamoDBDocumentClient {
  const client = new DynamoDBClient({
    maxAttempts: 4,
    requestHandler: { connectionTimeout: 1_000, requestTimeout: 5_000 },
  });
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}
