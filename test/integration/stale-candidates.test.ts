import { dynamoDbStore } from '../../lib/aws/dynamodb/dynamodb-store';
import { jobKey } from '../../lib/records/entity-keys';
import { createProjectTables, documentClient, suiteDynalite } from '../support/dynamo-servers';
import { jobLifecycle, stored } from '../support/lifecycle';

/**
 * Reconciliation's candidates come from the watch index: a run reads the records of the stale jobs
 * due for a poll, not of every running job.
 */
const dynamo = suiteDynalite();

const HOUR = 3_600_000;

describe('stale running jobs, on DynamoDB', () => {
  it('reads the records of the stale jobs due for a poll only, however many jobs run', async () => {
    const tables = await createProjectTables(dynamo().endpoint);
    const db = documentClient(dynamo().endpoint);
    // Count the records each BatchGetItem asks for.
    let recordsRead = 0;
    db.middlewareStack.add(
      (next) => async (args) => {
        const input = args.input as { RequestItems?: Record<string, { Keys: unknown[] }> };
        for (const request of Object.values(input.RequestItems ?? {}))
          recordsRead += request.Keys.length;
        return next(args);
      },
      { step: 'initialize', name: 'countBatchGets' },
    );
    const store = dynamoDbStore(db, tables);
    const now = new Date('2026-11-01T15:00:00.000Z');
    const at = (ms: number) => new Date(now.getTime() + ms);
    // 120 jobs running with a recent event, 3 stale, one stale and waiting after a 404, one lost.
    for (let i = 0; i < 120; i += 1)
      await store.store(
        'jobs',
        stored(
          jobLifecycle(['JOB_CREATED'], { s3Root: `run/${i}`, start: at(-30 * 60_000) })[0] ?? {},
        ),
      );
    for (const root of ['old/a', 'old/b', 'old/c', 'old/waiting', 'old/lost'])
      await store.store(
        'jobs',
        stored(jobLifecycle(['JOB_CREATED'], { s3Root: root, start: at(-5 * HOUR) })[0] ?? {}),
      );
    const updatedAt = async (root: string) => (await store.getJob(root))?.updated_at;
    const first = at(-HOUR).toISOString();
    expect(
      await store.recordPoll(jobKey('old/waiting'), await updatedAt('old/waiting'), {
        outcome: 'not_found',
        misses: 1,
        first_miss_at: first,
        next_at: at(HOUR).toISOString(),
      }),
    ).toBe(true);
    expect(
      await store.recordPoll(jobKey('old/lost'), await updatedAt('old/lost'), {
        outcome: 'not_found',
        misses: 9,
        first_miss_at: first,
        lost_at: first,
      }),
    ).toBe(true);
    recordsRead = 0;
    const found = await store.staleJobs(at(-2 * HOUR), now);
    expect(found.due.map((j) => j.s3_root).sort()).toEqual(['old/a', 'old/b', 'old/c']);
    expect(found.waiting).toBe(1);
    // The three due jobs' records, none of the 120 running ones'.
    expect(recordsRead).toBe(3);
    // A job in the threshold's own hour is read to check its exact time, and left out if fresh.
    await store.store(
      'jobs',
      stored(
        jobLifecycle(['JOB_CREATED'], { s3Root: 'edge/fresh', start: at(-2 * HOUR + 60_000) })[0] ??
          {},
      ),
    );
    expect((await store.staleJobs(at(-2 * HOUR), now)).due.map((j) => j.s3_root)).not.toContain(
      'edge/fresh',
    );
    db.destroy();
  }, 60_000);
});
