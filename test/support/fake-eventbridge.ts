import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One entry of a PutEvents call, as the SDK sent it. */
export interface PutEntry {
  EventBusName?: string;
  Source?: string;
  DetailType?: string;
  Detail?: string;
  Time?: number;
}

/**
 * EventBridge's PutEvents over its real wire protocol (JSON 1.1, `X-Amz-Target:
 * AWSEvents.PutEvents`), for the packaged consumers' notifier: no EventBridge emulator runs here.
 * Keeps every entry and accepts them all, unless `failing` is set.
 */
export async function startFakeEventBridge(): Promise<{
  endpoint: string;
  entries: PutEntry[];
  failing: boolean;
  close(): Promise<void>;
}> {
  const fake = {
    endpoint: '',
    entries: [] as PutEntry[],
    failing: false,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const send = (status: number, payload: unknown) =>
        res
          .writeHead(status, { 'content-type': 'application/x-amz-json-1.1' })
          .end(JSON.stringify(payload));
      if (req.headers['x-amz-target'] !== 'AWSEvents.PutEvents')
        return send(400, { __type: 'InvalidAction', message: 'only PutEvents is faked' });
      const { Entries = [] } = JSON.parse(body) as { Entries?: PutEntry[] };
      if (fake.failing)
        return send(200, {
          FailedEntryCount: Entries.length,
          Entries: Entries.map(() => ({ ErrorCode: 'InternalFailure', ErrorMessage: 'down' })),
        });
      fake.entries.push(...Entries);
      return send(200, {
        FailedEntryCount: 0,
        Entries: Entries.map((_, i) => ({ EventId: `event-${fake.entries.length + i}` })),
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return fake;
}
