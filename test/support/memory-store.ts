import {
  AmbiguousJobIdError,
  OUTBOX_MAX_BYTES,
  OutboxFullError,
  outboxBytes,
  type EventStore,
  type RecordQueries,
  type StoreOutcome,
  type Unsent,
} from '../../lib/ports/event-store';
import { recordChanges } from '../../lib/records/changes';
import type { ConnectionRecord } from '../../lib/records/connections';
import type { DiscoverRecord } from '../../lib/records/discover';
import {
  connectionOrderKey,
  discoverOrderKey,
  ENTITIES,
  jobOrderKey,
  jobUpdatedKey,
  type Entity,
} from '../../lib/records/entities';
import { compareKeys, keysetPage, type ListPageRequest } from '../../lib/records/paging';
import { connectionKey, jobKey } from '../../lib/records/entity-keys';
import { keepsNewcomer, recordOfHistory } from './merges';
import type { JobRecord } from '../../lib/records/jobs';
import { isDue, type PollState } from '../../lib/records/poll';
import type { StoredEvent } from '../../lib/records/stored-event';
import {
  byNewestUpdate,
  connectionMatches,
  checkHistoryCursor,
  connectionHistoryPage,
  connectionSummary,
  summaryOf,
  discoverMatches,
  discoverSummary,
  jobMatches,
  jobSummary,
  lastEventTime,
  jobView,
} from '../../lib/records/views';
import { canonicalJson } from '../../lib/webhook/content-hash';
import type { Kind } from '../../lib/webhook/kinds';

interface Held {
  /** History by history id: of two contents with one id, the larger hash. */
  history: Map<string, StoredEvent>;
  /** Every distinct content stored: the record is their merge. */
  contents: Map<string, StoredEvent>;
  record: unknown;
  /** Notifications recorded and not yet marked sent. */
  outbox: Unsent[];
  /** The id of the `Job Stale` notice of the current episode, once recorded. */
  staleNotified?: string;
  /** What reconciliation could not settle (jobs); dropped by the record's next change. */
  poll?: PollState;
}

/**
 * The event store in memory: the executable specification of the storage port. It states the
 * rules plainly, with none of DynamoDB's mechanics (items, versions, pages, indexes); the contract
 * suite holds the DynamoDB store to exactly what this one does.
 */
export function memoryStore(): EventStore & RecordQueries {
  const entities = new Map<string, Held>();
  const id = (kind: Kind, key: string) => `${kind}\u0000${key}`;
  const recordsOf = <R>(kind: Kind): R[] =>
    [...entities.entries()]
      .filter(([k]) => k.startsWith(`${kind}\u0000`))
      .map(([, held]) => shown(held) as R);
  /** The record as the queries show it: a job with its reconcile state, if any. */
  const shown = (held: Held): unknown =>
    held.poll === undefined ? held.record : { ...(held.record as object), reconcile: held.poll };
  const byKeyDescending = (a: string, b: string) => (a < b ? 1 : a > b ? -1 : 0);
  const byKeyAscending = (a: string, b: string) => -byKeyDescending(a, b);

  /**
   * One keyset page of `views`, each at its position (its index sort key), in the positions'
   * order (descending when `newestFirst`), after `request.after`.
   */
  const keyset = <V>(
    views: { position: string; view: V }[],
    newestFirst: boolean,
    request: ListPageRequest,
  ) => {
    const sign = newestFirst ? -1 : 1;
    const { after } = request;
    const ordered = views
      .filter((v) => after === undefined || compareKeys(v.position, after) * sign > 0)
      .sort((a, b) => compareKeys(a.position, b.position) * sign);
    return keysetPage(
      ordered[Symbol.iterator](),
      (v) => v.position,
      async (chunk) => chunk.map((v) => v.view),
      request,
    );
  };

  const storeOne = async (kind: Kind, event: StoredEvent): Promise<StoreOutcome> => {
    const entity = ENTITIES[kind] as Entity<unknown>;
    const key = id(kind, entity.key(event.payload));
    const held: Held = entities.get(key) ?? {
      history: new Map(),
      contents: new Map(),
      record: undefined,
      outbox: [],
    };
    const historyId = entity.historyId(event);
    const duplicate = !keepsNewcomer(held.history.get(historyId), event);
    // Nothing is kept before the checks below pass: a refused event is not stored at all.
    const history = new Map(held.history);
    if (!duplicate) history.set(historyId, event);
    const contents = new Map(held.contents).set(event.hash, event);
    const record = recordOfHistory(kind, [...contents.values()]);
    const changed =
      held.record === undefined || canonicalJson(held.record) !== canonicalJson(record);
    // Each change of the record joins the outbox once (a change already there keeps its place).
    const changes = recordChanges(
      kind,
      entity.key(event.payload),
      held.record,
      record,
      event.receivedAt,
    ).filter((n) => !held.outbox.some((o) => o.notification.id === n.id));
    const outbox = [
      ...held.outbox,
      ...changes.map((notification) => ({ notification, recordedAt: Date.now() })),
    ];
    if (changes.length > 0 && outboxBytes(outbox) > OUTBOX_MAX_BYTES)
      throw new OutboxFullError(entity.key(event.payload), [...held.outbox]);
    const { poll, ...rest } = held;
    entities.set(key, {
      ...rest,
      history,
      contents,
      record,
      outbox,
      ...(!changed && poll !== undefined && { poll }),
    });
    return {
      duplicate,
      changed,
      conflicts: 0,
      writeUnits: 0,
      readUnits: 0,
      unsent: [...outbox],
      recorded: changes.map((n) => n.id),
    };
  };

  return {
    store: storeOne,
    async storeAll(kind, events) {
      const outcomes: StoreOutcome[] = [];
      for (const event of events) outcomes.push(await storeOne(kind, event));
      // Every outcome of one entity reports the outbox as the last write left it, and all that
      // the call recorded.
      const last = outcomes.at(-1)?.unsent ?? [];
      const recorded = outcomes.flatMap((o) => o.recorded);
      return outcomes.map((o) => ({ ...o, unsent: [...last], recorded: [...recorded] }));
    },

    async markSent(kind, entityKey, ids) {
      const held = entities.get(id(kind, entityKey));
      if (held !== undefined)
        held.outbox = held.outbox.filter((u) => !ids.includes(u.notification.id));
    },

    async unsent(kind, entityKey) {
      return [...(entities.get(id(kind, entityKey))?.outbox ?? [])];
    },

    async recordPoll(entityKey, updatedAt, state) {
      const held = entities.get(id('jobs', entityKey));
      const job = held?.record as JobRecord | undefined;
      if (held === undefined || job?.status_class !== 'running' || job.updated_at !== updatedAt)
        return false;
      if (state === undefined) delete held.poll;
      else held.poll = state;
      return true;
    },

    async recordStale(entityKey, updatedAt, notice) {
      const held = entities.get(id('jobs', entityKey));
      const job = held?.record as JobRecord | undefined;
      if (held === undefined || job?.status_class !== 'running' || job.updated_at !== updatedAt)
        return false;
      if (held.staleNotified === notice.id) return false;
      held.staleNotified = notice.id;
      held.outbox.push({ notification: notice, recordedAt: Date.now() });
      return true;
    },

    async getJob(jobId) {
      const direct = entities.get(id('jobs', jobKey(jobId)));
      const found = direct
        ? [direct]
        : [...entities.entries()]
            .filter(
              ([k, held]) =>
                k.startsWith('jobs\u0000') && (held.record as JobRecord).job_id === jobId,
            )
            .map(([, held]) => held);
      if (found.length > 1) {
        const roots = found.map((held) => (held.record as JobRecord).s3_root).sort();
        throw new AmbiguousJobIdError(jobId, roots);
      }
      const held = found[0];
      return held && jobView(shown(held) as JobRecord, [...held.history.values()]);
    },

    async *listJobs(filter = {}) {
      const jobs = recordsOf<JobRecord>('jobs').filter((r) => jobMatches(r, filter));
      if (filter.updatedSince !== undefined) yield* jobs.map(jobSummary).sort(byNewestUpdate);
      else
        yield* jobs.sort((a, b) => byKeyDescending(jobOrderKey(a), jobOrderKey(b))).map(jobSummary);
    },

    pageJobs(filter, request) {
      const byUpdate = filter.updatedSince !== undefined;
      const jobs = recordsOf<JobRecord>('jobs')
        .filter((r) => jobMatches(r, filter))
        .map((r) => ({
          position: byUpdate ? jobUpdatedKey(r) : jobOrderKey(r),
          view: jobSummary(r),
        }));
      return keyset(jobs, true, request);
    },

    async countJobs(filter) {
      return {
        count: recordsOf<JobRecord>('jobs').filter((r) => jobMatches(r, filter)).length,
        exact: true,
      };
    },

    async countDiscover(filter) {
      const states = recordsOf<DiscoverRecord>('discover');
      return { count: states.filter((r) => discoverMatches(r, filter)).length, exact: true };
    },

    async countConnections(filter) {
      const connections = recordsOf<ConnectionRecord>('connections');
      return { count: connections.filter((r) => connectionMatches(r, filter)).length, exact: true };
    },

    pageDiscover(filter, request) {
      const states = recordsOf<DiscoverRecord>('discover')
        .filter((r) => discoverMatches(r, filter))
        .map((r) => ({ position: discoverOrderKey(r), view: discoverSummary(r) }));
      return keyset(states, false, request);
    },

    pageConnections(filter, request) {
      const connections = recordsOf<ConnectionRecord>('connections')
        .filter((r) => connectionMatches(r, filter))
        .map((r) => ({ position: connectionOrderKey(r), view: connectionSummary(r) }));
      return keyset(connections, false, request);
    },

    async staleJobs(before, now) {
      const stale = recordsOf<JobRecord>('jobs')
        .filter((j) => j.status_class === 'running' && j.reconcile?.lost_at === undefined)
        .filter((j) => (lastEventTime(j) ?? -Infinity) < before.getTime())
        .map(jobSummary);
      return {
        due: stale.filter((j) => isDue(j.reconcile, now)),
        waiting: stale.filter((j) => !isDue(j.reconcile, now)).length,
      };
    },

    async summarizeJobs(filter) {
      const { since, tenant, flow } = filter;
      const jobs = recordsOf<JobRecord>('jobs').filter((r) =>
        jobMatches(r, { since, ...(tenant && { tenant }), ...(flow && { flow }) }),
      );
      return summaryOf(filter, jobs, false);
    },

    async *listDiscover(filter = {}) {
      const states = recordsOf<DiscoverRecord>('discover')
        .filter((r) => discoverMatches(r, filter))
        .sort((a, b) => byKeyAscending(discoverOrderKey(a), discoverOrderKey(b)));
      for (const state of states) yield discoverSummary(state);
    },

    async *listConnections(filter = {}) {
      const connections = [...entities.entries()]
        .filter(([k]) => k.startsWith('connections\u0000'))
        .map(([, held]) => ({ record: held.record as ConnectionRecord, history: held.history }))
        .filter(({ record }) => connectionMatches(record, filter))
        .sort((a, b) => byKeyAscending(connectionOrderKey(a.record), connectionOrderKey(b.record)));
      for (const { record } of connections) yield connectionSummary(record);
    },

    async connectionHistory(key, page) {
      checkHistoryCursor(page.before);
      const held = entities.get(id('connections', connectionKey(key)));
      return held && connectionHistoryPage([...held.history.values()], page);
    },

    async history(kind, entityKey) {
      return [...(entities.get(id(kind, entityKey))?.history.values() ?? [])];
    },
  };
}
