import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { readHandler } from '../../lib/lambda/read-handler';
import { openApiDocument } from '../../lib/read-api/openapi';
import { openApiChecker } from '../support/openapi-answers';

/**
 * The read Lambda's own answers, the ones only a stage gives (503 when DynamoDB did not answer in
 * the function's time, 500 for a backend's error), and its 405, each as the OpenAPI document
 * lists it for the route: status, headers and body.
 */

const check = openApiChecker(openApiDocument());

const event = (method: string, path: string, query = ''): APIGatewayProxyEventV2 =>
  ({
    rawPath: path,
    rawQueryString: query,
    requestContext: { http: { method } },
  }) as unknown as APIGatewayProxyEventV2;

/** Runs `body` with the read function's variables and DynamoDB at `endpoint`. */
async function withEnv<T>(endpoint: string, body: () => Promise<T>): Promise<T> {
  const saved = { ...process.env };
  Object.assign(process.env, {
    JOBS_TABLE: 'jobs',
    DISCOVER_TABLE: 'discover',
    CONNECTIONS_TABLE: 'connections',
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_ENDPOINT_URL_DYNAMODB: endpoint,
  });
  try {
    return await body();
  } finally {
    process.env = saved;
  }
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function answerOf(
  endpoint: string,
  method: string,
  path: string,
  remainingMs: number,
): Promise<{ status: number; headers: Record<string, string>; body: unknown }> {
  return withEnv(endpoint, async () => {
    const answer = await readHandler()(event(method, path), {
      getRemainingTimeInMillis: () => remainingMs,
    });
    const status = answer.statusCode ?? 0;
    const headers = Object.fromEntries(
      Object.entries(answer.headers ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)]),
    );
    const body = JSON.parse(answer.body ?? 'null') as unknown;
    check({ method, url: path, status, headers, body });
    return { status, headers, body };
  });
}

describe('the read Lambda’s answers, as the document lists them', () => {
  it('answers 503 with Retry-After when DynamoDB does not answer within the function’s time', async () => {
    const sockets: Socket[] = [];
    const hung = createServer((socket) => void sockets.push(socket));
    try {
      const answer = await answerOf(await listen(hung), 'GET', '/v1/jobs', 1_300);
      expect(answer).toMatchObject({ status: 503, headers: { 'retry-after': '1' } });
    } finally {
      for (const socket of sockets) socket.destroy();
      hung.close();
    }
  });

  it('answers 500 without the backend’s text when DynamoDB fails', async () => {
    const closed = createServer();
    const endpoint = await listen(closed);
    await new Promise((resolve) => closed.close(resolve));
    const answer = await answerOf(endpoint, 'GET', '/v1/summary', 10_000);
    expect(answer).toEqual({
      status: 500,
      headers: expect.any(Object),
      body: { error: 'internal error: see the function log' },
    });
  }, 20_000);

  it('answers 405 with Allow: GET, HEAD, and the document without reading the tables', async () => {
    expect(await answerOf('http://127.0.0.1:9', 'POST', '/v1/jobs', 10_000)).toMatchObject({
      status: 405,
      headers: { allow: 'GET, HEAD' },
    });
    expect((await answerOf('http://127.0.0.1:9', 'GET', '/v1/openapi.json', 10_000)).status).toBe(
      200,
    );
  });
});
