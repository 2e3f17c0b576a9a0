import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir } from 'node:fs/promises';
import dynalite from 'dynalite';

export interface RunningEmulator {
  readonly port: number;
  readonly endpoint: string;
  close(): Promise<void>;
}

const HOST = '127.0.0.1';

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, HOST, () => resolve((server.address() as AddressInfo).port));
  });
}

/** dynalite (DynamoDB) in this process, persisted under `path`, on loopback only. */
export async function startDynalite(path: string, port: number): Promise<RunningEmulator> {
  await mkdir(path, { recursive: true });
  const server = dynalite({ path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  const actual = await listen(server, port);
  return {
    port: actual,
    endpoint: `http://${HOST}:${actual}`,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections?.();
      }),
  };
}

interface FauxqsApp {
  listen(options: { port: number; host: string }): Promise<string>;
  close(): Promise<void>;
  server: Server;
}

/** fauxqs (SQS) in this process, in memory, on loopback only. */
export async function startFauxqs(port: number): Promise<RunningEmulator> {
  // fauxqs is ESM-only; this import stays a real dynamic import under the nodenext module setting.
  const { buildApp } = (await import('fauxqs')) as unknown as {
    buildApp(options: { logger: boolean }): FauxqsApp;
  };
  const app = buildApp({ logger: false });
  await app.listen({ port, host: HOST });
  const actual = (app.server.address() as AddressInfo).port;
  return { port: actual, endpoint: `http://${HOST}:${actual}`, close: () => app.close() };
}
