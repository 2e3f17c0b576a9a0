import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoDbEventStore } from '../../lib/aws/dynamodb/dynamodb-store';
import { CURRENT } from '../../lib/aws/dynamodb/table-layout';
import { ENTITIES } from '../../lib/records/entities';
import type { Kind } from '../../lib/webhook/kinds';
import { createProjectTables, documentClient, suiteDynalite } from '../support/dynamo-servers';
import { payloadOf } from '../support/events';
import { FAILURE, jobLifecycle, stored, SUCCESS } from '../support/lifecycle';

/** Records of finished jobs and unlinked connections expire with recordRetentionDays; others never. */
const dynamo = suiteDynalite();

const DAY_S = 86_400;

describe('record retention (recordRetentionDays)', () => {
  it('gives finished jobs and unlinked connections an expires_at after their last event, and nothing else', async () => {
    const tables = await createProjectTables(dynamo().endpoint);
    const db = documentClient(dynamo().endpoint);
    const store = dynamoDbEventStore(db, tables, { recordRetentionDays: 30 });
    const kept = dynamoDbEventStore(db, tables);
    const expiry = async (kind: Kind, payload: Record<string, unknown>) => {
      const { Item } = await db.send(
        new GetCommand({
          TableName: tables[kind],
          Key: { pk: ENTITIES[kind].key(payload), sk: CURRENT },
        }),
      );
      return {
        expires: Item?.expires_at as number | undefined,
        updated: Date.parse(String(Item?.updated_at)),
      };
    };
    const lifecycles: [string, string[]][] = [
      ['ret/done', SUCCESS],
      ['ret/failed', FAILURE],
      ['ret/running', ['JOB_CREATED', 'SYNC_STARTED']],
    ];
    for (const [s3Root, statuses] of lifecycles)
      await store.storeAll(
        'jobs',
        jobLifecycle(statuses, { s3Root }).map((p) => stored(p)),
      );
    for (const s3Root of ['ret/done', 'ret/failed']) {
      const { expires, updated } = await expiry('jobs', { s3_root: s3Root });
      expect(expires).toBe(Math.floor(updated / 1000) + 30 * DAY_S);
    }
    expect((await expiry('jobs', { s3_root: 'ret/running' })).expires).toBeUndefined();

    const unlinked = payloadOf('connections', { tenant: 'ret-a', event: 'UNLINK' });
    const linked = payloadOf('connections', { tenant: 'ret-b', event: 'LINK' });
    await store.store('connections', stored(unlinked));
    await store.store('connections', stored(linked));
    expect((await expiry('connections', unlinked)).expires).toBeGreaterThan(0);
    expect((await expiry('connections', linked)).expires).toBeUndefined();
    const discover = payloadOf('discover', { tenant: 'ret-c', status: 'DISCOVER_SUCCESS' });
    await store.store('discover', stored(discover));
    expect((await expiry('discover', discover)).expires).toBeUndefined();

    // Off (the default): no record expires.
    await kept.storeAll(
      'jobs',
      jobLifecycle(SUCCESS, { s3Root: 'ret/kept' }).map((p) => stored(p)),
    );
    expect((await expiry('jobs', { s3_root: 'ret/kept' })).expires).toBeUndefined();
    db.destroy();
  }, 30_000);
});
