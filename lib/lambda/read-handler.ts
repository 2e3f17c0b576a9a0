import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyStructuredResultV2,
  Context,
} from 'aws-lambda';
import { createDocumentClient } from '../aws/dynamodb-client';
import { dynamoDbRecordQueries } from '../aws/dynamodb/dynamodb-store';
import { logger } from '../aws/logger';
import { loadReadApiConfig } from '../config/read-api';
import { answerReadApi } from '../read-api/answer';

/** Kept back from the invocation's remaining time to answer (503 when the records came too late). */
const ANSWER_MARGIN_MS = 1_000;
/** The remaining time assumed without a context: the function's timeout in serverless.yml. */
const NO_CONTEXT_MS = 10_000;

const JSON_TYPE = { 'content-type': 'application/json; charset=utf-8' };

/** Whether `error` is a call given up at the deadline (aborted, or timed out on the way). */
const outOfTime = (error: unknown, until: number): boolean =>
  Date.now() >= until ||
  (error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError'));

/**
 * The read API Lambda handler (`GET /v1/...` behind IAM authorisation, deployed with
 * `--param readApi=true`): configuration read and the client built once per container. Every
 * DynamoDB call ends by the remaining time less ANSWER_MARGIN_MS; a request whose records did not
 * come by then is answered 503 with Retry-After, as a retry may well succeed.
 */
export function readHandler(): (
  event: APIGatewayProxyEventV2,
  /** Lambda always passes it; a caller without one gets the function's timeout. */
  context?: Pick<Context, 'getRemainingTimeInMillis'>,
) => Promise<APIGatewayProxyStructuredResultV2> {
  const config = loadReadApiConfig();
  const db = createDocumentClient();
  return async (event, context) => {
    const remaining = context?.getRemainingTimeInMillis() ?? NO_CONTEXT_MS;
    const until = Date.now() + Math.max(0, remaining - ANSWER_MARGIN_MS);
    const method = event.requestContext?.http?.method ?? 'GET';
    const path = event.rawPath ?? '/';
    try {
      const answer = await answerReadApi(
        { records: dynamoDbRecordQueries(db, config.tables, until) },
        method,
        path,
        new URLSearchParams(event.rawQueryString ?? ''),
      );
      return {
        statusCode: answer.status,
        headers: { ...JSON_TYPE, ...answer.headers },
        body: JSON.stringify(answer.body),
      };
    } catch (error) {
      logger.error('read API failed', {
        path,
        error: error instanceof Error ? error.message : String(error),
      });
      if (outOfTime(error, until))
        return {
          statusCode: 503,
          headers: { ...JSON_TYPE, 'retry-after': '1' },
          body: JSON.stringify({ error: 'the records could not be read in time, retry later' }),
        };
      return {
        statusCode: 500,
        headers: JSON_TYPE,
        body: JSON.stringify({ error: 'internal error: see the function log' }),
      };
    }
  };
}
