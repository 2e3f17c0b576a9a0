import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { EventStore, RecordQueries, StoreOutcome } from '../../ports/event-store';
import type { StoredEvent } from '../../records/stored-event';
import { ENTITIES, type Entity } from '../../records/entities';
import type { Kind } from '../../webhook/kinds';
import { markSent, readUnsent, recordPoll, recordStale } from './bookkeeping';
import { sharedAbortAt } from '../request-limits';
import { readPartition } from './dynamodb-io';
import { storeEvents, type StoreOptions } from './event-store';
import { summarizeJobs } from './summary';
import { countConnections, countDiscover, countJobs } from './counts';
import { staleJobs } from './stale';
import {
  connectionHistoryOf,
  getJob,
  listConnections,
  listDiscover,
  listJobs,
  pageConnections,
  pageDiscover,
  pageJobs,
} from './queries';
import { splitPartition } from './table-layout';

/**
 * `db` with every call it sends aborted at `until` (epoch ms): the SDK's own retries (four
 * attempts of up to 5 s each) then end with the caller's budget instead of running past it.
 */
function withDeadline(
  db: DynamoDBDocumentClient,
  until: number | undefined,
): DynamoDBDocumentClient {
  if (until === undefined) return db;
  const signal = sharedAbortAt(until);
  const send = db.send.bind(db) as (command: unknown, options?: object) => Promise<unknown>;
  return new Proxy(db, {
    get: (target, name, receiver) =>
      name === 'send'
        ? (command: unknown, options?: object) => send(command, { ...options, abortSignal: signal })
        : (Reflect.get(target, name, receiver) as unknown),
  });
}

/** The table of each kind a process uses; asking for another kind is a wiring error. */
type Tables = Partial<Record<Kind, string>>;

const tableOf =
  (tables: Tables) =>
  (kind: Kind): string => {
    const name = tables[kind];
    if (name === undefined) throw new Error(`no ${kind} table configured`);
    return name;
  };

/**
 * The event store over DynamoDB: one table per kind, laid out as table-layout.ts describes.
 * (Separate from the queries, so that a consumer's bundle carries no query code.)
 */
export function dynamoDbEventStore(
  db: DynamoDBDocumentClient,
  tables: Tables,
  options: StoreOptions = {},
): EventStore {
  const table = tableOf(tables);
  // One write at a time per entity within this process: racing ourselves only costs conflicts.
  // (FIFO groups already give an entity to one consumer at a time; another can still overlap
  // when a message's visibility timeout runs out while it is being stored, and npm start runs
  // every poller of a queue in one process.)
  const inFlight = new Map<string, Promise<unknown>>();
  const storeAll = async (kind: Kind, events: readonly StoredEvent[], until?: number) => {
    const entity = ENTITIES[kind] as Entity<unknown>;
    const first = events[0];
    if (first === undefined) return [];
    const key = `${kind}\u0000${entity.key(first.payload)}`;
    const before = inFlight.get(key) ?? Promise.resolve();
    const mine = before
      .catch(() => undefined)
      .then(() =>
        storeEvents(withDeadline(db, until), table(kind), entity, events, options, until),
      );
    inFlight.set(key, mine);
    try {
      return await mine;
    } finally {
      if (inFlight.get(key) === mine) inFlight.delete(key);
    }
  };
  return {
    storeAll,
    store: async (kind, event, until) => (await storeAll(kind, [event], until))[0] as StoreOutcome,
    markSent: async (kind, entityKey, ids, until) => {
      await markSent(withDeadline(db, until), table(kind), entityKey, ids, until);
    },
    unsent: (kind, entityKey, until) => readUnsent(withDeadline(db, until), table(kind), entityKey),
    recordStale: (entityKey, updatedAt, notice, until) =>
      recordStale(withDeadline(db, until), table('jobs'), entityKey, updatedAt, notice),
    recordPoll: (entityKey, updatedAt, state, until) =>
      recordPoll(withDeadline(db, until), table('jobs'), entityKey, updatedAt, state),
  };
}

/**
 * The record queries over DynamoDB: index Queries and BatchGetItem, never a Scan. With `until`
 * (epoch ms), every call they make is given up then (build them per invocation).
 */
export function dynamoDbRecordQueries(
  client: DynamoDBDocumentClient,
  tables: Tables,
  until?: number,
): RecordQueries {
  const table = tableOf(tables);
  const db = withDeadline(client, until);
  return {
    getJob: (id) => getJob(db, table('jobs'), id),
    listJobs: (filter) => listJobs(db, table('jobs'), filter),
    listDiscover: (filter) => listDiscover(db, table('discover'), filter),
    summarizeJobs: (filter) => summarizeJobs(db, table('jobs'), filter),
    staleJobs: (before, now) => staleJobs(db, table('jobs'), before, now),
    listConnections: (filter) => listConnections(db, table('connections'), filter),
    pageJobs: (filter, page) => pageJobs(db, table('jobs'), filter, page),
    pageDiscover: (filter, page) => pageDiscover(db, table('discover'), filter, page),
    pageConnections: (filter, page) => pageConnections(db, table('connections'), filter, page),
    countJobs: (filter) => countJobs(db, table('jobs'), filter),
    countDiscover: (filter) => countDiscover(db, table('discover'), filter),
    countConnections: (filter) => countConnections(db, table('connections'), filter),
    connectionHistory: (key, page) => connectionHistoryOf(db, table('connections'), key, page),
    history: async (kind, entityKey) =>
      splitPartition(await readPartition(db, table(kind), entityKey)).history,
  };
}

/** Both, for tools and tests that store and read back. */
export const dynamoDbStore = (
  db: DynamoDBDocumentClient,
  tables: Tables,
): EventStore & RecordQueries => ({
  ...dynamoDbEventStore(db, tables),
  ...dynamoDbRecordQueries(db, tables),
});
