import { dynamoDbRecordQueries } from '../aws/dynamodb/dynamodb-store';
import { queueDepth } from '../aws/queue-depth';
import type { QueueRow } from '../dashboard/api';
import { dashboardHandler, hostsFor } from '../dashboard/server';
import { KINDS } from '../webhook/kinds';
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
  region: string;
  tables: Map<string, LocalRef>;
  queues: Map<string, LocalRef>;
  queueNames: Map<string, string>;
  host: string;
  port: () => number;
  notificationsFile: string;
}) {
  const db = localDocumentClient(options.dynamodbEndpoint, options.region);
  const sqs = localSqsClient(options.sqsEndpoint, options.region);
  const tableOf = (id: string) => options.tables.get(id)?.ref ?? '';
  const records = dynamoDbRecordQueries(db, {
    jobs: tableOf(LOGICAL_IDS.jobs.table),
    discover: tableOf(LOGICAL_IDS.discover.table),
    connections: tableOf(LOGICAL_IDS.connections.table),
  });
  const queue = async (id: string) => ({
    name: options.queueNames.get(id) ?? id,
    messages: await queueDepth(sqs, options.queues.get(id)?.ref ?? ''),
  });
  const queues = async (): Promise<QueueRow[]> =>
    Promise.all(
      KINDS.map(async (kind) => ({
        kind,
        queue: await queue(LOGICAL_IDS[kind].queue),
        deadLetter: await queue(LOGICAL_IDS[kind].deadLetterQueue),
        redrive: `npx hotglue-webhooks dlq redrive --kind ${kind}`,
      })),
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
