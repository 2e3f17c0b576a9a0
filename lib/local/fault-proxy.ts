import { createServer, connect, type Server, type Socket } from 'node:net';
import type { LocalAddress } from './emulator-gate';

/**
 * A TCP pass-through in front of a local emulator that can be cut, so that tests can make SQS
 * or DynamoDB unreachable for the handlers while the emulator (and its data) lives on. It listens
 * on a unix socket when given one (the local stack's gates are then its only way in), else on a
 * free port of 127.0.0.1.
 */
export interface FaultProxy {
  readonly address: LocalAddress;
  setDown(down: boolean): void;
  close(): Promise<void>;
}

const HOST = '127.0.0.1';

export async function startFaultProxy(
  target: LocalAddress,
  socketPath?: string,
): Promise<FaultProxy> {
  let down = false;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    if (down) {
      client.destroy();
      return;
    }
    const upstream =
      'port' in target ? connect(target.port, HOST) : connect({ path: target.socketPath });
    sockets.add(client);
    sockets.add(upstream);
    const drop = (): void => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    if (socketPath !== undefined) server.listen(socketPath, resolve);
    else server.listen(0, HOST, resolve);
  });
  const bound = server.address();
  if (bound === null) throw new Error('proxy has no address');
  return {
    address: typeof bound === 'string' ? { socketPath: bound } : { port: bound.port },
    setDown(value) {
      down = value;
      if (value) for (const socket of sockets) socket.destroy();
    },
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
