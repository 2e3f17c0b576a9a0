import { isUtf8 } from 'node:buffer';
import { createHmac } from 'node:crypto';
import type { APIGatewayProxyEventV2, SQSRecord } from 'aws-lambda';
import { buildEnvelope } from '../../lib/webhook/envelope';
import type { Kind } from '../../lib/webhook/kinds';
import { samplePayload } from '../../lib/webhook/samples';

/** An independent HMAC-SHA1 (the test oracle; not the code under test). */
export const hmacHex = (secret: string, body: string | Buffer): string =>
  createHmac('sha1', secret).update(body).digest('hex');

export function payloadOf(
  kind: Kind,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  return samplePayload(kind, { overrides });
}

/** A payload 2.0 event as API Gateway's HTTP API builds it. */
export function httpApiEvent(options: {
  method?: string;
  path: string;
  body?: string | Buffer;
  headers?: Record<string, string>;
  base64?: boolean;
  requestId?: string;
}): APIGatewayProxyEventV2 {
  const method = options.method ?? 'POST';
  const raw = options.body === undefined ? undefined : Buffer.from(options.body);
  // Bytes that are not UTF-8 can only reach a handler base64-encoded.
  const base64 = options.base64 === true || (raw !== undefined && !isUtf8(raw));
  return {
    version: '2.0',
    routeKey: `${method} ${options.path}`,
    rawPath: options.path,
    rawQueryString: '',
    headers: { 'content-type': 'application/json', ...options.headers },
    requestContext: {
      accountId: '123456789012',
      apiId: 'api',
      domainName: 'example.com',
      domainPrefix: 'api',
      http: {
        method,
        path: options.path,
        protocol: 'HTTP/1.1',
        sourceIp: '192.0.2.1',
        userAgent: 'test',
      },
      requestId: options.requestId ?? 'req-1',
      routeKey: `${method} ${options.path}`,
      stage: '$default',
      time: '29/Nov/2026:05:00:00 +0000',
      timeEpoch: Date.parse('2026-11-29T05:00:00Z'),
    },
    ...(raw !== undefined && { body: base64 ? raw.toString('base64') : raw.toString('utf8') }),
    isBase64Encoded: base64,
  } as APIGatewayProxyEventV2;
}

export function sqsRecord(body: string, overrides: Partial<SQSRecord> = {}): SQSRecord {
  return {
    messageId: overrides.messageId ?? `m-${Math.random().toString(36).slice(2)}`,
    receiptHandle: 'rh',
    body,
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: '1',
      SenderId: 'x',
      ApproximateFirstReceiveTimestamp: '1',
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:q',
    awsRegion: 'us-east-1',
    ...overrides,
  };
}

/** A FIFO batch as SQS hands it to a consumer: each message first received, in its group. */
export function fifoBatch(messages: { body: string; groupId: string }[]): SQSRecord[] {
  return messages.map((m, i) =>
    sqsRecord(m.body, {
      messageId: `m-${i}`,
      attributes: {
        ApproximateReceiveCount: '1',
        SentTimestamp: '1',
        SenderId: 'x',
        ApproximateFirstReceiveTimestamp: '1',
        MessageGroupId: m.groupId,
      },
    }),
  );
}

/** The queue message ingest would make of `payload`. */
export function envelopeOf(kind: Kind, payload: unknown): string {
  return buildEnvelope({
    kind,
    body: Buffer.from(JSON.stringify(payload)),
    receivedAt: new Date(),
    requestId: 'r',
    eventKey: '0'.repeat(64),
  });
}
