import { randomBytes, timingSafeEqual } from 'node:crypto';
import {
  Agent,
  createServer,
  request,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Where an emulator or a proxy of the local stack listens: a TCP port on 127.0.0.1, or a unix
 * socket (which no web page can reach). Only the gates below listen on TCP in a running stack.
 */
export type LocalAddress = { port: number } | { socketPath: string };

/** The endpoint an SDK client is given for a TCP address; `unix:<path>` names a socket. */
export const endpointOf = (address: LocalAddress): string =>
  'port' in address ? `http://127.0.0.1:${address.port}` : `unix:${address.socketPath}`;

/**
 * A fresh access key id for one run of the stack: 32 letters and digits (DynamoDB Local, too,
 * takes no other characters). The stack's clients, its handlers and the CLI sign with it.
 */
export const newAccessKeyId = (): string => `HGW${randomBytes(16).toString('hex').toUpperCase()}`;

/**
 * What a gate admits: requests to this port, signed with this access key id.
 * @internal exported for the tests
 */
export interface GateRule {
  port: number;
  accessKeyId: string;
}

/** The access key id of a SigV4 `Authorization` header (`AWS4-HMAC-SHA256 Credential=ID/…`). */
function accessKeyIdOf(authorization: string | undefined): string | undefined {
  return /^AWS4-HMAC-SHA256\s+Credential=([^/,\s]+)\//.exec(authorization ?? '')?.[1];
}

const sameText = (a: string, b: string): boolean => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

/** Whether HOST names this machine's loopback (127.0.0.0/8, ::1, localhost) and nothing else. */
export const isLoopbackHost = (host: string): boolean =>
  /^(localhost|127(\.\d{1,3}){3}|::1|\[::1\])$/i.test(host);

/** The Host values a loopback server on `port` is addressed by. */
const loopbackHosts = (port: number): string[] =>
  ['127.0.0.1', 'localhost', '[::1]'].flatMap((h) =>
    port === 80 ? [h, `${h}:80`] : `${h}:${port}`,
  );

/**
 * Why a request to a local emulator is refused, or undefined when it may pass. A web page's
 * request carries `Origin` whenever the page could read the answer (any cross-origin fetch, any
 * POST): refused, so that no page, from any origin, reads or writes the local tables and queues.
 * A Host that is not loopback with the gate's port is a name pointed at 127.0.0.1 by someone
 * else (DNS rebinding): refused. Then the SigV4 access key id must
 * be the stack's per-run one (the signature itself is not checked: the emulators do not know the
 * secret, and the key id is what only the stack's owner can read). `keyed: false` skips only that
 * last check.
 * @internal exported for the tests
 */
export function gateRefusal(
  headers: IncomingHttpHeaders,
  rule: GateRule,
  keyed = true,
): string | undefined {
  if (headers.origin !== undefined)
    return 'refused: a request with an Origin header (from a web page)';
  if (!loopbackHosts(rule.port).includes(String(headers.host ?? '').toLowerCase()))
    return `refused: the Host must be 127.0.0.1:${rule.port}, localhost:${rule.port} or [::1]:${rule.port}`;
  if (!keyed) return undefined;
  const id = accessKeyIdOf(headers.authorization);
  if (id === undefined)
    return 'refused: no SigV4 access key; sign with the access key id in local-stack.json';
  if (!sameText(id, rule.accessKeyId))
    return 'refused: not this run’s access key id (see local-stack.json)';
  return undefined;
}

/** Hop-by-hop headers, and CORS grants: never passed on (dynalite allows every origin). */
const DROPPED = /^(connection|keep-alive|transfer-encoding|proxy-.*|access-control-.*)$/i;

const passed = (headers: IncomingHttpHeaders): OutgoingHttpHeaders =>
  Object.fromEntries(Object.entries(headers).filter(([name]) => !DROPPED.test(name)));

export interface EmulatorGate {
  readonly port: number;
  readonly endpoint: string;
  close(): Promise<void>;
}

export interface GateOptions {
  upstream: LocalAddress;
  /** The TCP port on 127.0.0.1; 0 picks a free one. */
  port: number;
  /** The variable that sets `port`, named when it is taken. */
  portVariable?: string;
  accessKeyId: string;
  /**
   * A GET answered by the gate itself after the Origin and Host checks but without a key (the
   * partition model's report): its JSON body, or undefined for a request that is not it.
   */
  open?: (method: string, path: string) => unknown;
}

/** Refuses, with a short JSON reason and no CORS header. */
function refuse(req: IncomingMessage, res: ServerResponse, reason: string): void {
  req.resume();
  res.writeHead(403, { 'content-type': 'application/json' }).end(JSON.stringify({ error: reason }));
}

/**
 * Passes one admitted request on and streams the answer back. A failed upstream (a cut fault
 * proxy, a stopped emulator) ends the client's connection, as a refused connection would: the
 * SDK then retries as it does against AWS, and no error text of ours reaches it.
 */
function forward(
  req: IncomingMessage,
  res: ServerResponse,
  upstream: LocalAddress,
  agent: Agent,
): void {
  const out = request(
    {
      ...('port' in upstream ? { host: '127.0.0.1', port: upstream.port } : upstream),
      agent,
      method: req.method,
      path: req.url,
      headers: passed(req.headers),
    },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, passed(answer.headers));
      answer.pipe(res);
      answer.on('aborted', () => res.destroy());
      answer.on('error', () => res.destroy());
    },
  );
  out.on('error', () => res.destroy());
  // The client went away (a stopped poller, a cut connection): so does its call upstream. fauxqs
  // does not notice: a long poll it holds waits on, and can still claim the next message for
  // nobody (which is why restoring SQS after a cut waits out the long poll, see setFault).
  res.on('close', () => {
    if (!res.writableFinished) out.destroy();
  });
  req.pipe(out);
}

/**
 * A gate on 127.0.0.1 in front of a local emulator (or of the proxies before one): every request
 * must pass gateRefusal, then goes on unchanged, its answer back without CORS headers.
 */
export async function startEmulatorGate(options: GateOptions): Promise<EmulatorGate> {
  const agent = new Agent({ keepAlive: true });
  let port = options.port;
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const opened = options.open?.(req.method ?? 'GET', path);
    const rule = { port, accessKeyId: options.accessKeyId };
    const refusal = gateRefusal(req.headers, rule, opened === undefined);
    if (refusal !== undefined) return refuse(req, res, refusal);
    if (opened === undefined) return forward(req, res, options.upstream, agent);
    req.resume();
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(opened));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new Error(
              `port ${options.port} on 127.0.0.1 is already in use: stop what listens there, or set ${options.portVariable ?? 'another port'} (0 picks a free one)`,
            )
          : error,
      ),
    );
    server.listen(options.port, '127.0.0.1', resolve);
  });
  port = (server.address() as AddressInfo).port;
  return {
    port,
    endpoint: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        agent.destroy();
      }),
  };
}
