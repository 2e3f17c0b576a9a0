import { markSent } from '../../lib/aws/dynamodb/bookkeeping';
import { dynamoDbStore } from '../../lib/aws/dynamodb/dynamodb-store';
import { ENTITIES } from '../../lib/records/entities';
import { contentHash } from '../../lib/webhook/content-hash';
import type { Kind } from '../../lib/webhook/kinds';
import {
  createProjectTables,
  documentClient,
  startDynamoDbLocal,
} from '../../test/support/dynamo-servers';
import { planLoad } from '../load-plan';

/**
 * (d) DynamoDB write units per event of each kind, as DynamoDB Local reports them, stored as a
 * consumer stores them: a change of state's notification is then marked sent (its units are
 * counted apart, per notification).
 */
export async function benchWriteUnits() {
  const backend = await startDynamoDbLocal();
  try {
    const tables = await createProjectTables(backend.endpoint, 'bench');
    const db = documentClient(backend.endpoint);
    const plan = planLoad(1_500, 0, 3);
    const outcome = { completed: { units: 0, events: 0 }, failed: { units: 0, events: 0 } };
    const failedJobs = new Set(
      [...plan.jobs].filter(([, j]) => j.finalStatus !== 'JOB_COMPLETED').map(([root]) => root),
    );
    const totals: Record<Kind, { units: number; events: number }> = {
      jobs: { units: 0, events: 0 },
      discover: { units: 0, events: 0 },
      connections: { units: 0, events: 0 },
    };
    const store = dynamoDbStore(db, tables);
    const marking = { notifications: 0, readUnits: 0, writeUnits: 0 };
    // In lifecycle order, as hotglue sends them (the planned sends are shuffled).
    for (const event of plan.inOrder) {
      const payload = JSON.parse(event.body) as Record<string, unknown>;
      const result = await store.store(event.kind, {
        hash: contentHash(payload),
        receivedAt: new Date().toISOString(),
        payload,
      });
      if (result.recorded.length > 0) {
        const spent = await markSent(
          db,
          tables[event.kind],
          ENTITIES[event.kind].key(payload),
          result.recorded,
        );
        marking.notifications += result.recorded.length;
        marking.readUnits += spent.readUnits;
        marking.writeUnits += spent.writeUnits;
      }
      totals[event.kind].units += result.writeUnits;
      totals[event.kind].events += 1;
      if (event.kind === 'jobs') {
        const bucket = failedJobs.has(String(payload.s3_root)) ? outcome.failed : outcome.completed;
        bucket.units += result.writeUnits;
        bucket.events += 1;
      }
    }
    db.destroy();
    const perEvent = (t: { units: number; events: number }) => ({
      events: t.events,
      writeUnitsPerEvent: t.units / t.events,
    });
    return {
      jobs: perEvent(totals.jobs),
      jobsOfCompletedJobs: perEvent(outcome.completed),
      jobsOfFailedJobs: perEvent(outcome.failed),
      discover: perEvent(totals.discover),
      connections: perEvent(totals.connections),
      markSent: {
        notifications: marking.notifications,
        readUnitsPerNotification: marking.readUnits / marking.notifications,
        writeUnitsPerNotification: marking.writeUnits / marking.notifications,
      },
    };
  } finally {
    await backend.stop();
  }
}
