import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { IngestRequest, IngestResponse } from '../ingest/handle-ingest';

/** Decodes an API Gateway body to the exact bytes that were sent. */
function decodeBody(body: string | undefined | null, isBase64Encoded: boolean): Buffer {
  if (body === undefined || body === null) return Buffer.alloc(0);
  return isBase64Encoded ? Buffer.from(body, 'base64') : Buffer.from(body, 'utf8');
}

/** Turns an HTTP API (payload 2.0) event into an IngestRequest, keeping the body's exact bytes. */
export function fromHttpApiEvent(
  event: APIGatewayProxyEventV2,
  now: Date = new Date(),
): IngestRequest {
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(event.headers ?? {}))
    headers[name.toLowerCase()] = value;
  const epoch = event.requestContext?.timeEpoch;
  return {
    method: event.requestContext?.http?.method ?? 'GET',
    path: event.rawPath ?? event.requestContext?.http?.path ?? '/',
    headers,
    body: decodeBody(event.body, event.isBase64Encoded ?? false),
    requestId: event.requestContext?.requestId ?? 'unknown',
    receivedAt: typeof epoch === 'number' && epoch > 0 ? new Date(epoch) : now,
  };
}

export function toHttpApiResult(response: IngestResponse): APIGatewayProxyStructuredResultV2 {
  return { statusCode: response.statusCode, headers: response.headers, body: response.body };
}
