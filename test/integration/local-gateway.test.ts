import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { startLocalGateway, type LocalGateway } from '../../lib/local/http-gateway';

/** The local gateway's own behaviour over a real socket, with a handler that records its events. */
let gateway: LocalGateway;
const seen: APIGatewayProxyEventV2[] = [];

beforeAll(async () => {
  gateway = await startLocalGateway({
    host: '127.0.0.1',
    port: 0,
    functionName: 'test',
    timeoutSeconds: 5,
    routes: ['POST /webhooks/jobs', '$default'],
    handler: async (event) => {
      seen.push(event);
      return { statusCode: 202, body: JSON.stringify({ path: event.rawPath }) };
    },
    onError: () => undefined,
    // Short limits, so that a slow client is cut off well within a test's time.
    limits: { headersMs: 1000, requestMs: 2000 },
  });
});

afterAll(() => gateway.close());

/** Sends `parts` over a raw socket and collects everything until the server closes it. */
function rawExchange(parts: string[]): Promise<{ text: string; socket: Socket }> {
  return new Promise((resolve, reject) => {
    const socket = connect(gateway.port, '127.0.0.1');
    let text = '';
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
    });
    socket.on('error', reject);
    // The test's own deadline: far beyond the gateway's limits.
    const deadline = setTimeout(
      () => socket.destroy(new Error('the gateway never closed a slow client')),
      20_000,
    );
    socket.on('close', () => {
      clearTimeout(deadline);
      resolve({ text, socket });
    });
    socket.on('connect', () => {
      for (const part of parts) socket.write(part);
    });
  });
}

describe('the local gateway', () => {
  it('hands the path to the route table and the handler exactly as sent, dot segments included', async () => {
    const body = '{}';
    const { text } = await rawExchange([
      `POST /webhooks/../webhooks/jobs HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
    ]);
    expect(text).toMatch(/^HTTP\/1\.1 202/);
    const event = seen.at(-1);
    expect(event?.rawPath).toBe('/webhooks/../webhooks/jobs');
    expect(event?.requestContext.http.path).toBe('/webhooks/../webhooks/jobs');
    // Not the normalised route: the ingest handler then answers 404 for this path.
    expect(event?.routeKey).toBe('$default');
  });

  it('answers 408 and closes the connection when the headers never finish', async () => {
    const before = seen.length;
    const { text } = await rawExchange(['POST /webhooks/jobs HTTP/1.1\r\nHost: x\r\n']);
    expect(text).toMatch(/^HTTP\/1\.1 408/);
    expect(seen.length).toBe(before);
  }, 30_000);

  it('answers 408 and closes the connection when the body never finishes', async () => {
    const before = seen.length;
    const { text } = await rawExchange([
      'POST /webhooks/jobs HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"half":',
    ]);
    expect(text).toMatch(/^HTTP\/1\.1 408/);
    expect(seen.length).toBe(before);
  }, 30_000);

  it('queues a burst of 600 connections in the kernel while it cannot accept (a backlog above Node’s 511)', () => {
    // spawnSync holds this process (and so the gateway's accepts) until the child ends. The child
    // connects 600 times and reads the listening socket's accept queue (/proc/net/tcp) until
    // all 600 wait in it; with Node's default backlog, 512 at most would, and the rest retry.
    const child = `
      const net = require('node:net');
      const fs = require('node:fs');
      const port = ${gateway.port};
      const local = '0100007F:' + port.toString(16).toUpperCase().padStart(4, '0');
      const sockets = Array.from({ length: 600 }, () =>
        net.connect(port, '127.0.0.1').on('error', () => undefined));
      const queued = () => {
        for (const line of fs.readFileSync('/proc/net/tcp', 'utf8').split('\\n').slice(1)) {
          const f = line.trim().split(/\\s+/);
          if (f[1] === local && f[3] === '0A') return parseInt(f[4].split(':')[1], 16);
        }
        return -1;
      };
      const deadline = Date.now() + 10000;
      let most = 0;
      const look = () => {
        most = Math.max(most, queued());
        if (most >= 600 || Date.now() > deadline) {
          process.stdout.write(String(most));
          for (const s of sockets) s.destroy();
          process.exit(0);
        }
        setTimeout(look, 20);
      };
      look();`;
    // The kernel caps every backlog at net.core.somaxconn (4096 since Linux 5.4; 128 before).
    const cap = Number(readFileSync('/proc/sys/net/core/somaxconn', 'utf8'));
    if (cap < 600) throw new Error(`net.core.somaxconn is ${cap}: no backlog here can hold 600`);
    const run = spawnSync(process.execPath, ['-e', child], { encoding: 'utf8', timeout: 30_000 });
    expect([run.error, run.status, run.stderr]).toEqual([undefined, 0, '']);
    // -1: the gateway's listening socket was not in /proc/net/tcp at all.
    expect(Number(run.stdout)).toBe(600);
  }, 40_000);
});
