import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { EventStore, RecordQueries } from '../../ports/event-store';
import { ENTITIES, type Entity } from '../../records/entities';
import type { Kind } from '../../webhook/kinds';
import { readPartition, storeEvent } from './event-store';
import { getJob, listConnections, listDiscover, listJobs } from './queries';
import { splitPartition } from './table-layout';

/**
 * The event store and its queries over DynamoDB: one table per kind, laid out as
 * table-layout.ts describes. `tables` names the table of each kind this process uses.
 */
export function dynamoDbStore(
  db: DynamoDBDocumentClient,
  tables: Partial<Record<Kind, string>>,
): EventStore & RecordQueries {
  const table = (kind: Kind): string => {
    const name = tables[kind];
    if (name === undefined) throw new Error(`no ${kind} table configured`);
    return name;
  };
  return {
    store: (kind, event) => storeEvent(db, table(kind), ENTITIES[kind] as Entity<unknown>, event),
    getJob: (id) => getJob(db, table('jobs'), id),
    listJobs: (filter) => listJobs(db, table('jobs'), filter),
    listDiscover: (filter) => listDiscover(db, table('discover'), filter),
    listConnections: (filter) => listConnections(db, table('connections'), filter),
    history: async (kind, entityKey) =>
      splitPartition(await readPartition(db, table(kind), entityKey)).history,
  };
}
