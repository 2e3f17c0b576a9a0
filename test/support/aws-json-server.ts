import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** An answer of a JSON 1.1 AWS API: its status and body (`{ __type, message }` for an error). */
export interface AwsJsonAnswer {
  status: number;
  body: unknown;
}

type Handler = (input: Record<string, unknown>) => AwsJsonAnswer;

/**
 * A server for some operations of an AWS JSON 1.1 protocol (what the SDK sends with
 * `X-Amz-Target: <target>`), for the fakes of services no local stand-in provides: one target
 * and its handler, or a map of them. Any other target is answered with InvalidAction.
 */
export async function startAwsJsonServer(
  target: string | Record<string, Handler>,
  handle?: Handler,
): Promise<{ endpoint: string; close(): Promise<void> }> {
  const handlers: Record<string, Handler> =
    typeof target === 'string' && handle !== undefined ? { [target]: handle } : (target as never);
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk: Buffer) => (raw += chunk.toString()));
    req.on('end', () => {
      const own = handlers[String(req.headers['x-amz-target'])];
      const answer =
        own === undefined
          ? { status: 400, body: { __type: 'InvalidAction', message: 'operation not faked' } }
          : own(JSON.parse(raw) as Record<string, unknown>);
      res
        .writeHead(answer.status, { 'content-type': 'application/x-amz-json-1.1' })
        .end(JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
