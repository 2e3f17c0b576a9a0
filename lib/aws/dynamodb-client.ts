import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { REQUEST_HANDLER } from './request-limits';

/**
 * The DynamoDB document client. Retries with the SDK's standard back-off; a request that takes
 * longer than REQUEST_HANDLER's timeout fails (and is retried), and each caller ends its calls at
 * its own deadline, so that a consumer fails a record (for SQS to retry) rather than hanging.
 */
export function createDocumentClient(): DynamoDBDocumentClient {
  return toDocumentClient(
    new DynamoDBClient({
      maxAttempts: 4,
      requestHandler: REQUEST_HANDLER,
    }),
  );
}

/**
 * The document client the stores use over `client`: undefined attributes are left out, and a map
 * is written as one whatever its keys (a payload's `constructor` key would otherwise fail the
 * write as a class instance).
 */
export const toDocumentClient = (client: DynamoDBClient): DynamoDBDocumentClient =>
  DynamoDBDocumentClient.from(client, { marshallOptions: MARSHALL_OPTIONS });

/** How the stores marshal items (see toDocumentClient). */
export const MARSHALL_OPTIONS = { removeUndefinedValues: true, convertClassInstanceToMap: true };
