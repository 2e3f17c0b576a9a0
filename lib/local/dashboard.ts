import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dynamoDbRecordQueries } from '../aws/dynamodb/dynamodb-store';
import type { QueueRow } from '../dashboard/web/api-types';
import { kindQueueRows } from '../dashboard/queues';
import { dashboardHandler, hostsFor } from '../dashboard/server';
import { latestNotifications } from './notifications-file';
import type { LocalRef } from './resources';
import { LOGICAL_IDS, localDocumentClient, localSqsClient } from './local-stack-facts';

/**
 * The dashboard as `npm start` serves it beside the webhook routes: the stack's own tables, and
 * the depth of each kind's queue and dead-letter queue.
 */
export function localDashboard(options: {
  dynamodbEndpoint: string;
  sqsEndpoint: string;
  /** The stack's per-run access key id, which its emulators' gates admit. */
  accessKeyId: string;
  region: string;
  tables: Map<string, LocalRef>;
  queues: Map<string, LocalRef>;
  /** The local stage, which names the queues. */
  stage: string;
  host: string;
  port: () => number;
  notificationsFile: string;
}) {
  const db = localDocumentClient(options.dynamodbEndpoint, options.region, options.accessKeyId);
  const sqs = localSqsClient(options.sqsEndpoint, options.region, options.accessKeyId);
  const tableOf = (id: string) => options.tables.get(id)?.ref ?? '';
  const records = dynamoDbRecordQueries(db, {
    jobs: tableOf(LOGICAL_IDS.jobs.table),
    discover: tableOf(LOGICAL_IDS.discover.table),
    connections: tableOf(LOGICAL_IDS.connections.table),
  });
  const urlOf = (id: string) => options.queues.get(id)?.ref ?? '';
  const queues = (): Promise<QueueRow[]> =>
    kindQueueRows(
      sqs,
      async (kind) => ({
        source: urlOf(LOGICAL_IDS[kind].queue),
        deadLetter: urlOf(LOGICAL_IDS[kind].deadLetterQueue),
      }),
      options.stage,
      false,
    );
  return {
    handler: dashboardHandler(
      {
        records,
        queues,
        notifications: (limit) => latestNotifications(options.notificationsFile, limit),
      },
      () => hostsFor(options.host, options.port()),
    ),
    close: () => {
      db.destroy();
      sqs.destroy();
    },
  };
}

/**
 * The dashboard on a free port of 127.0.0.1, for a stack whose HOST is not loopback: the webhook
 * routes are then the only thing another machine can reach. Returns the port; the server is
 * registered in `started` to be closed.
 */
export async function serveApart(
  handler: (req: IncomingMessage, res: ServerResponse) => Promise<boolean>,
  started: { close(): Promise<void> }[],
): Promise<number> {
  const answer = (res: ServerResponse, status: number, error: string) =>
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ error }));
  const server = createServer((req, res) => {
    handler(req, res).then(
      (handled) => {
        if (!handled) answer(res, 404, 'not found');
      },
      () => answer(res, 500, `internal error (request ${randomUUID()})`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  started.push({
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  });
  return (server.address() as AddressInfo).port;
}
