import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * The DynamoDB document client. Retries with the SDK's standard back-off; a short socket
 * timeout so that a consumer fails a record (for SQS to retry) rather than hanging.
 */
export function createDocumentClient(): DynamoDBDocumentClient {
  return toDocumentClient(
    new DynamoDBClient({
      maxAttempts: 4,
      requestHandler: { connectionTimeout: 1_000, requestTimeout: 5_000 },
    }),
  );
}

/** The document client the stores use over `client` (undefined attributes are left out). */
export const toDocumentClient = (client: DynamoDBClient): DynamoDBDocumentClient =>
  DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
