import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, Context } from 'aws-lambda';

/** API Gateway HTTP API's own payload limit. */
const API_GATEWAY_MAX_BYTES = 10 * 1024 * 1024;

/**
 * How long the gateway waits for a client that sends slowly: all of the request line and headers
 * within 10 s, the whole request within 30 s (API Gateway's own longest integration time), or the
 * answer is 408 and the connection is closed. docs/configuration.md states them.
 */
const SLOW_CLIENT_LIMITS = { headersMs: 10_000, requestMs: 30_000 } as const;

/**
 * Invocations run at once. Lambda runs each in a container of its own; here they share one
 * process and one SDK client (50 sockets), so the rest wait their turn in the gateway, as they
 * would wait for a container, instead of timing out inside the SDK's connection pool.
 */
const CONCURRENT_INVOCATIONS = 32;

/** Runs at most `limit` tasks at once, the others in arrival order. */
function concurrencyLimit(limit: number): <T>(task: () => Promise<T>) => Promise<T> {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async (task) => {
    if (running >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    else running += 1;
    try {
      return await task();
    } finally {
      const next = waiting.shift();
      if (next !== undefined) next();
      else running -= 1;
    }
  };
}

export type HttpHandler = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyResultV2>;

export interface LocalGateway {
  readonly port: number;
  close(): Promise<void>;
}

const TEXT_TYPE =
  /^(text\/|application\/(json|[\w.+-]+\+json|xml|javascript|x-www-form-urlencoded))/i;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Like API Gateway: text content types arrive as text, anything else (or invalid UTF-8) as base64. */
function encodeBody(
  body: Buffer,
  contentType: string | undefined,
): { body?: string; isBase64Encoded: boolean } {
  if (body.length === 0) return { isBase64Encoded: false };
  if (contentType !== undefined && TEXT_TYPE.test(contentType)) {
    try {
      return { body: utf8.decode(body), isBase64Encoded: false };
    } catch {
      // not text after all: fall through to base64, as the exact bytes must reach the handler
    }
  }
  return { body: body.toString('base64'), isBase64Encoded: true };
}

function matchRoute(routes: string[], method: string, path: string): string | undefined {
  const exact = `${method} ${path}`;
  if (routes.includes(exact)) return exact;
  if (routes.includes(`ANY ${path}`)) return `ANY ${path}`;
  return routes.includes('$default') ? '$default' : undefined;
}

/**
 * The path exactly as sent. WHATWG URL parsing would resolve `..` and `.` segments, which API
 * Gateway does not do: `/webhooks/../webhooks/jobs` is no route there, so it must be none here.
 */
function rawPath(target: string): string {
  const query = target.indexOf('?');
  const path = query === -1 ? target : target.slice(0, query);
  return path.startsWith('/') ? path : `/${path}`;
}

function toHttpApiEvent(
  req: IncomingMessage,
  body: Buffer,
  routeKey: string,
  requestId: string,
): APIGatewayProxyEventV2 {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const path = rawPath(req.url ?? '/');
  const headers: Record<string, string> = {};
  for (const [name, values] of Object.entries(req.headersDistinct)) {
    if (values !== undefined) headers[name] = values.join(',');
  }
  const now = new Date();
  const method = req.method ?? 'GET';
  return {
    version: '2.0',
    routeKey,
    rawPath: path,
    rawQueryString: url.search.replace(/^\?/, ''),
    headers,
    ...(url.search !== '' && { queryStringParameters: Object.fromEntries(url.searchParams) }),
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: 'local',
      http: {
        method,
        path,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId,
      routeKey,
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    ...encodeBody(body, headers['content-type']),
  };
}

export function lambdaContext(
  functionName: string,
  requestId: string,
  timeoutSeconds: number,
): Context {
  const deadline = Date.now() + timeoutSeconds * 1000;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

function send(res: ServerResponse, result: APIGatewayProxyResultV2): void {
  if (typeof result === 'string' || result === undefined || result === null) {
    res.writeHead(200, { 'content-type': 'application/json' }).end(result ?? '');
    return;
  }
  if (!('statusCode' in result) && !('body' in result)) {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(result));
    return;
  }
  const body = result.body ?? '';
  res
    .writeHead(result.statusCode ?? 200, result.headers as Record<string, string>)
    .end(result.isBase64Encoded ? Buffer.from(body, 'base64') : body);
}

const jsonError = (res: ServerResponse, status: number, error: string): void => {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ error }));
};

/**
 * Serves `routes` the way an HTTP API does: builds a payload 2.0 event with the raw body and
 * headers intact and invokes the real handler.
 */
interface GatewayOptions {
  host: string;
  port: number;
  functionName: string;
  timeoutSeconds: number;
  routes: string[];
  handler: HttpHandler;
  /** Logs a failed invocation with the request id its 500 names. */
  onError: (error: unknown, requestId: string) => void;
  /** Slow-client limits; SLOW_CLIENT_LIMITS unless a test asks for shorter ones. */
  limits?: { headersMs: number; requestMs: number };
  /**
   * Requests the local stack answers itself before the routes (the dashboard): true when it did.
   * A deployed API has nothing of the kind.
   */
  local?: (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;
}

/**
 * A failed invocation (or local answer): API Gateway answers a bare 500; this one names the
 * request id that the log line has, and nothing of the error itself.
 */
function internalError(
  options: GatewayOptions,
  res: ServerResponse,
  error: unknown,
  requestId: string,
): void {
  options.onError(error, requestId);
  jsonError(res, 500, `internal error (request ${requestId}): see the log`);
}

/** Answers a request on its route with the handler, as API Gateway invokes a function. */
function routeRequest(
  options: GatewayOptions,
  invoke: ReturnType<typeof concurrencyLimit>,
  req: IncomingMessage,
  res: ServerResponse,
  body: Buffer,
): void {
  const method = req.method ?? 'GET';
  const routeKey = matchRoute(options.routes, method, rawPath(req.url ?? '/'));
  if (routeKey === undefined) return jsonError(res, 404, 'not found');
  const requestId = randomUUID();
  const event = toHttpApiEvent(req, body, routeKey, requestId);
  invoke(() =>
    options.handler(event, lambdaContext(options.functionName, requestId, options.timeoutSeconds)),
  )
    .then((result) => send(res, result))
    .catch((error: unknown) => internalError(options, res, error, requestId));
}

export async function startLocalGateway(options: GatewayOptions): Promise<LocalGateway> {
  const limits = options.limits ?? SLOW_CLIENT_LIMITS;
  const invoke = concurrencyLimit(CONCURRENT_INVOCATIONS);
  const serverOptions = {
    headersTimeout: limits.headersMs,
    requestTimeout: limits.requestMs,
    // Node checks both limits on this interval (30 s by default, which would stretch them).
    connectionsCheckingInterval: Math.min(1000, limits.headersMs),
  };
  const server: Server = createServer(serverOptions, (req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > API_GATEWAY_MAX_BYTES) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('end', () => {
      if (tooLarge) return jsonError(res, 413, 'request larger than the API Gateway limit');
      if (options.local === undefined) return route();
      options.local(req, res).then(
        (handled) => {
          if (!handled) route();
        },
        (error: unknown) => internalError(options, res, error, randomUUID()),
      );
    });
    const route = (): void => routeRequest(options, invoke, req, res, Buffer.concat(chunks));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new Error(
              `port ${options.port} on ${options.host} is already in use: stop what listens there, or set PORT to another port (0 picks a free one)`,
            )
          : error,
      ),
    );
    // A burst of connections (hotglue's jobs on the hour) must wait in the kernel's queue, not be
    // dropped from it: Node's default backlog is 511.
    server.listen({ port: options.port, host: options.host, backlog: 4096 }, resolve);
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}
