import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Notification } from '../../lib/records/changes';

/** One POST the receiver got, and what it answered. */
export interface Delivery {
  notification: Notification;
  status: number;
}

/**
 * A NOTIFY_URL receiver: records every POSTed notification and answers 200, unless `answer`
 * says otherwise for one (e.g. 500 to the first delivery of an id, or never, to hold it open).
 */
export async function startNotifyReceiver(): Promise<{
  url: string;
  deliveries: Delivery[];
  /** Notifications answered 2xx, in order. */
  received(): Notification[];
  /** Decides the status of each delivery; `undefined` leaves the request unanswered. */
  answer: (n: Notification, attempt: number) => number | undefined;
  close(): Promise<void>;
}> {
  const deliveries: Delivery[] = [];
  const held: IncomingMessage[] = [];
  const attempts = new Map<string, number>();
  const receiver = {
    url: '',
    deliveries,
    received: () => deliveries.filter((d) => d.status < 300).map((d) => d.notification),
    answer: (_n: Notification, _attempt: number): number | undefined => 200,
    close: () =>
      new Promise<void>((resolve) => {
        for (const req of held) req.socket.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const notification = JSON.parse(body) as Notification;
      const attempt = (attempts.get(notification.id) ?? 0) + 1;
      attempts.set(notification.id, attempt);
      const status = receiver.answer(notification, attempt);
      if (status === undefined) {
        held.push(req);
        return;
      }
      deliveries.push({ notification, status });
      res.writeHead(status, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
  return receiver;
}
