import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { queryPages } from './dynamodb-io';
import type { StaleJobs } from '../../ports/event-store';
import { isDue, type PollState } from '../../records/poll';
import { everyShard } from '../../records/shards';
import { lastEventTime, sinceKey, type JobSummary } from '../../records/views';
import { jobsByKeys } from './queries';
import { INDEX, type Item } from './table-layout';

/** The `watch_key` just past every running job whose last event is in `before`'s hour or earlier. */
const pastHourOf = (before: Date): string =>
  `${sinceKey(new Date(before.getTime() + 3_600_000)).slice(0, 13)}`;

/** Every running job in the watch index whose last event's hour is at most `before`'s. */
async function* candidates(
  db: DynamoDBDocumentClient,
  table: string,
  before: Date,
): AsyncGenerator<Item> {
  for (const shard of everyShard('running'))
    yield* queryPages(db, {
      TableName: table,
      IndexName: INDEX.byWatch,
      KeyConditionExpression: 'watch_shard = :h AND watch_key < :r',
      ExpressionAttributeValues: { ':h': shard, ':r': pastHourOf(before) },
    });
}

const seenBefore = (job: JobSummary, before: Date): boolean =>
  (lastEventTime(job) ?? -Infinity) < before.getTime();

/**
 * Running jobs with no event since `before`, from the watch index: the index entries of the
 * hours up to `before`'s, of which only the jobs due for a poll are read (their records, to check
 * the exact time); a job waiting after a 404 or skipped is counted from its entry's projected
 * state. A run's reads grow with the stale jobs, not with the running ones.
 */
export async function staleJobs(
  db: DynamoDBDocumentClient,
  table: string,
  before: Date,
  now: Date,
): Promise<StaleJobs> {
  const due: Item[] = [];
  let waiting = 0;
  for await (const entry of candidates(db, table, before)) {
    if (isDue(entry.poll as PollState | undefined, now)) due.push({ pk: entry.pk, sk: entry.sk });
    else waiting += 1;
  }
  const jobs = (await jobsByKeys(db, table, due)).filter(
    (j) => j.status_class === 'running' && seenBefore(j, before) && isDue(j.reconcile, now),
  );
  return { due: jobs, waiting };
}
