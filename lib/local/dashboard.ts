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
  region: string;
  tables: Map<string, LocalRef>;
  queues: Map<string, LocalRef>;
  /** The local stage, which names the queues. */
  stage: string;
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
