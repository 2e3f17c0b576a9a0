import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { createDocumentClient } from '../aws/dynamodb-client';
import { dynamoDbRecordQueries } from '../aws/dynamodb/dynamodb-store';
import { logger } from '../aws/logger';
import { loadReadApiConfig } from '../config/read-api';
import { answerReadApi } from '../read-api/answer';

/**
 * The read API Lambda handler (`GET /v1/...` behind IAM authorisation, deployed with
 * `--param readApi=true`): configuration read and the client built once per container.
 */
export function readHandler(): (
  event: APIGatewayProxyEventV2,
) => Promise<APIGatewayProxyStructuredResultV2> {
  const config = loadReadApiConfig();
  const records = dynamoDbRecordQueries(createDocumentClient(), config.tables);
  return async (event) => {
    const method = event.requestContext?.http?.method ?? 'GET';
    const path = event.rawPath ?? '/';
    try {
      const answer = await answerReadApi(
        { records },
        method,
        path,
        new URLSearchParams(event.rawQueryString ?? ''),
      );
      return {
        statusCode: answer.status,
        headers: { 'content-type': 'application/json; charset=utf-8' },
        body: JSON.stringify(answer.body),
      };
    } catch (error) {
      logger.error('read API failed', {
        path,
        error: error instanceof Error ? error.message : String(error),
      });
      return {
        statusCode: 500,
        headers: { 'content-type': 'application/json; charset=utf-8' },
        body: JSON.stringify({ error: 'internal error: see the function log' }),
      };
    }
  };
}
