import type { Notification } from '../records/changes';

/** A notification waiting in an entity's outbox until it is published and marked sent. */
export interface Unsent {
  notification: Notification;
  /** When its writer recorded it (epoch ms, that writer's clock). */
  recordedAt: number;
}
import type { ConnectionHistoryEntry } from '../records/connections';
import type { ListPage, ListPageRequest } from '../records/paging';
import type { PollState } from '../records/poll';
import type { StoredEvent } from '../records/stored-event';
import type {
  ConnectionFilter,
  ConnectionView,
  DiscoverFilter,
  DiscoverView,
  JobFilter,
  JobSummary,
  JobView,
  JobsSummaryView,
  Page,
  SummaryFilter,
  PageRequest,
} from '../records/views';

/** What names one connection: the parts of its key, as a `connections list` row has them. */
export interface ConnectionKeyParts {
  env_id: string;
  tenant: string;
  flow_id: string;
  connector_type: string;
  connector: string;
}
import type { Kind } from '../webhook/kinds';

/** What storing one event did. */
export interface StoreOutcome {
  /** The entity's history already held this event (or a larger-hash event with its id). */
  duplicate: boolean;
  /** The entity's record was written (false when the merge left it unchanged). */
  changed: boolean;
  /**
   * Conditional record writes that lost a race with another writer and were retried (each one
   * charged by DynamoDB as a write). With one writer per entity, 0 but for a reconcile run's
   * Job Stale notice.
   */
  conflicts: number;
  /**
   * Write capacity units consumed, where the store measures them (0 elsewhere): as DynamoDB
   * reports them for the writes that succeeded, and for conditional writes that failed (which
   * DynamoDB charges but does not report) by the item's size.
   */
  writeUnits: number;
  /** Read capacity units consumed, where the store measures them (0 elsewhere). */
  readUnits: number;
  /**
   * The entity's notifications not yet marked sent, as this writer left or found its record: the
   * changes this write made (see recordChanges) and any another writer recorded and has not
   * marked sent yet. The same list on every outcome of one entity's storeAll.
   */
  unsent: Unsent[];
  /** The ids among `unsent` that this call recorded (its writer is the one to publish them). */
  recorded: string[];
}

/**
 * Stores webhook events. Each event joins the history of its entity (one job, one discover
 * state, one connection: `ENTITIES[kind].key`), once per history id, and the entity's record is
 * then the merge of that history, bounded in size (see Entity.fold and boundRecord). Storing is idempotent and order-independent: any order and
 * any repetition of the same events leave the same record.
 */
export interface EventStore {
  /**
   * `until` (epoch ms, here and below): no retry of a lost race starts after it, and a call in
   * flight then is given up (the method throws).
   */
  store(kind: Kind, event: StoredEvent, until?: number): Promise<StoreOutcome>;
  /**
   * Stores events of one entity (all with the same `ENTITIES[kind].key`): the same as storing them
   * one by one, in one go where the store can (one record write for them all). One outcome per
   * event, in order. On an error, some may be stored and the rest not: storing again is safe.
   */
  storeAll(kind: Kind, events: readonly StoredEvent[], until?: number): Promise<StoreOutcome[]>;
  /**
   * Marks an entity's notifications sent once they are published: they leave its outbox (ids no
   * longer there are ignored). Until then every write, or redelivery, of the entity reports them
   * as unsent, so a writer that dies before publishing loses none.
   */
  markSent(kind: Kind, entityKey: string, ids: readonly string[], until?: number): Promise<void>;
  /** The entity's notifications not yet marked sent, read now. */
  unsent(kind: Kind, entityKey: string, until?: number): Promise<Unsent[]>;
  /**
   * Records `Job Stale` for a running job whose latest event is still at `updatedAt`, once per
   * such episode. True when this call recorded it (the caller then publishes it); false when it
   * was recorded before, or the job moved on or is gone.
   */
  recordStale(
    entityKey: string,
    updatedAt: string | undefined,
    notice: Notification,
    until?: number,
  ): Promise<boolean>;
  /**
   * Sets (undefined: removes) what reconciliation could not settle about a running job whose
   * latest event is still at `updatedAt` (see PollState). False when the job moved on or is gone.
   */
  recordPoll(
    entityKey: string,
    updatedAt: string | undefined,
    state: PollState | undefined,
    until?: number,
  ): Promise<boolean>;
}

/** Reconciliation's candidates: see RecordQueries.staleJobs. */
export interface StaleJobs {
  /** Stale running jobs due for a poll, with their records. */
  due: JobSummary[];
  /** Stale running jobs waiting: after a 404 (until their next poll) or skipped (no env_id). */
  waiting: number;
}

/**
 * The size of a list: `count` items, exactly when `exact`; otherwise counting stopped at its
 * bound, and the list holds at least `count`.
 */
export interface ListCount {
  count: number;
  exact: boolean;
}

/** Reads the records back, for the CLI and for checks. Never a full-table scan. */
export interface RecordQueries {
  /** A job by its `s3_root`, else by its `job_id`; throws AmbiguousJobIdError when two jobs share it. */
  getJob(id: string): Promise<JobView | undefined>;
  /** Jobs newest first by start time (jobs with no time last), filtered. */
  listJobs(filter?: JobFilter): AsyncIterable<JobSummary>;
  /** Discover states ordered by tenant, flow, connector, env. */
  listDiscover(filter?: DiscoverFilter): AsyncIterable<DiscoverView>;
  /**
   * Running jobs with no event since `before`, but those reconciliation gave up on (lost): the
   * ones due for a poll at `now`, and how many wait (see PollState).
   */
  staleJobs(before: Date, now: Date): Promise<StaleJobs>;
  /** Jobs started since a time per status class, and failures per tenant (the dashboard's summary). */
  summarizeJobs(filter: SummaryFilter): Promise<JobsSummaryView>;
  /** Connections ordered by tenant, flow, connector type, connector, env. */
  listConnections(filter?: ConnectionFilter): AsyncIterable<ConnectionView>;
  /**
   * One keyset page of jobs (the read API's): the jobs the filter selects in its index's order,
   * after a position a previous page gave (see lib/records/paging.ts). Newest start first; with
   * `updatedSince`, by the hour of the latest event, then by s3_root, both descending.
   */
  pageJobs(filter: JobFilter, page: ListPageRequest): Promise<ListPage<JobSummary>>;
  /** One keyset page of discover states, in listDiscover's order. */
  pageDiscover(filter: DiscoverFilter, page: ListPageRequest): Promise<ListPage<DiscoverView>>;
  /** One keyset page of connections, in listConnections' order. */
  pageConnections(
    filter: ConnectionFilter,
    page: ListPageRequest,
  ): Promise<ListPage<ConnectionView>>;
  /**
   * How many jobs the filter selects (the dashboard's "50 of 60"): exact, or a lower bound when
   * counting stopped at its bound (see ListCount).
   */
  countJobs(filter: JobFilter): Promise<ListCount>;
  /** How many discover states the filter selects (see countJobs). */
  countDiscover(filter: DiscoverFilter): Promise<ListCount>;
  /** How many connections the filter selects (see countJobs). */
  countConnections(filter: ConnectionFilter): Promise<ListCount>;
  /**
   * One page of a connection's history, newest first (see connectionHistoryPage); undefined when
   * there is no such connection. `key` names it as its list row does.
   */
  connectionHistory(
    key: ConnectionKeyParts,
    page: PageRequest,
  ): Promise<Page<ConnectionHistoryEntry> | undefined>;
  /** The stored history of one entity (`ENTITIES[kind].key`), in no particular order. */
  history(kind: Kind, entityKey: string): Promise<StoredEvent[]>;
}

/** A record could not be written after a few lost races: the event is left for SQS to retry. */
export class WriteConflictError extends Error {
  constructor(entityKey: string) {
    super(`gave up updating ${entityKey} after repeated conflicts`);
    this.name = 'WriteConflictError';
  }
}

/**
 * An entity's outbox holds OUTBOX_MAX_BYTES of notifications not yet published (its bus has been
 * down a long time): the events that would add more are not stored, so that the item stays
 * writable; they fail and come back (or wait in the DLQ). `unsent` is what the outbox holds, to
 * publish and mark sent first: then the next try goes through.
 */
export class OutboxFullError extends Error {
  constructor(
    entityKey: string,
    readonly unsent: Unsent[],
  ) {
    super(`${entityKey}: ${unsent.length} notifications not yet published; publish them first`);
    this.name = 'OutboxFullError';
  }
}

/** The most an entity's outbox holds (its entries' JSON), well within DynamoDB's 400 KB item. */
export const OUTBOX_MAX_BYTES = 64 * 1024;

/** One outbox entry as the stores keep it: the JSON text of `{ at, notification }`. */
export const outboxEntry = (u: Unsent): string =>
  JSON.stringify({ at: u.recordedAt, notification: u.notification });

/** What an outbox's entries take, as the stores count it against OUTBOX_MAX_BYTES. */
export const outboxBytes = (unsent: readonly Unsent[]): number =>
  unsent.reduce((n, u) => n + Buffer.byteLength(outboxEntry(u)), 0);

/** More than one job carries this job_id (hotglue does not guarantee it unique). */
export class AmbiguousJobIdError extends Error {
  constructor(
    readonly jobId: string,
    readonly s3Roots: string[],
  ) {
    super(
      `job_id ${jobId} names ${s3Roots.length} jobs; ask for one by s3_root: ${s3Roots.join(', ')}`,
    );
    this.name = 'AmbiguousJobIdError';
  }
}
