import fc from 'fast-check';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { dynamoDbStore } from '../../lib/aws/dynamodb/dynamodb-store';
import type { EventStore, RecordQueries } from '../../lib/ports/event-store';
import { answerReadApi } from '../../lib/read-api/answer';
import {
  connectionOrderKey,
  discoverOrderKey,
  jobOrderKey,
  jobUpdatedKey,
} from '../../lib/records/entities';
import type { ListPage, ListPageRequest } from '../../lib/records/paging';
import {
  take,
  type ConnectionFilter,
  type DiscoverFilter,
  type JobFilter,
} from '../../lib/records/views';
import type { Kind } from '../../lib/webhook/kinds';
import { hotglueTime } from '../../lib/webhook/samples';
import { createProjectTables, documentClient, startDynalite } from '../support/dynamo-servers';
import type { Backend } from '../support/dynamo-servers';
import { payloadOf } from '../support/events';
import { FAILURE, jobLifecycle, stored, SUCCESS } from '../support/lifecycle';
import { memoryStore } from '../support/memory-store';

/**
 * Keyset pages (lib/records/paging.ts) against dynalite, through the real store and the read API:
 * a walk whose lists change between its pages lists every item that stays in its filter set with
 * the same sort key exactly once, lists no item twice, and lists only what its filters select at
 * the time of the page; a page's reads do not grow with the pages before it.
 */

type Store = EventStore & RecordQueries;

let backend: Backend;
let db: DynamoDBDocumentClient;
let tables: Record<Kind, string>;

beforeAll(async () => {
  backend = await startDynalite();
  tables = await createProjectTables(backend.endpoint);
  db = documentClient(backend.endpoint);
}, 60_000);

afterAll(async () => {
  db.destroy();
  await backend.stop();
});

const DAY = 86_400_000;
const MINUTE = 60_000;

/** One write between pages (indexes are taken modulo what exists). */
type Command =
  | { kind: 'newJob'; tenant: number; flow: number; minute: number; fails: boolean }
  | { kind: 'advance'; pick: number }
  | { kind: 'touch'; pick: number; hours: number }
  | { kind: 'discover'; tenant: number; flow: number; connector: number; status: number }
  | { kind: 'connection'; tenant: number; flow: number; connector: number; linked: boolean };

const side = fc.integer({ min: 0, max: 1 });
const command: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('newJob' as const),
      tenant: side,
      flow: side,
      minute: fc.integer({ min: 0, max: (10 * DAY) / MINUTE }),
      fails: fc.boolean(),
    }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('advance' as const), pick: fc.nat() }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('touch' as const),
      pick: fc.nat(),
      hours: fc.integer({ min: 0, max: 30 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('discover' as const),
      tenant: side,
      flow: side,
      connector: fc.integer({ min: 0, max: 3 }),
      status: fc.integer({ min: 0, max: 2 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('connection' as const),
      tenant: side,
      flow: side,
      connector: fc.integer({ min: 0, max: 3 }),
      linked: fc.boolean(),
    }),
  },
);

interface Job {
  events: Record<string, unknown>[];
  /** Events stored so far (the lifecycle's first ones). */
  stored: number;
  touches: number;
}

/**
 * One run's world: its own tenants, flows and ten days (runs share the tables), the DynamoDB store
 * and the in-memory store (the model) given every write alike.
 */
function world(run: number, dynamo: Store) {
  const model = memoryStore();
  const base = Date.UTC(2030, 0, 1) + run * 30 * DAY;
  const tenants = [`run${run}-a`, `run${run}-b`];
  const flows = [`run${run}-f1`, `run${run}-f2`];
  const jobs: Job[] = [];
  let written = 0;
  const write = async (kind: Kind, payload: Record<string, unknown>) => {
    await dynamo.store(kind, stored(payload));
    await model.store(kind, stored(payload));
  };
  const apply = async (c: Command): Promise<void> => {
    written += 1;
    if (c.kind === 'newJob') {
      const events = jobLifecycle(c.fails ? FAILURE : SUCCESS, {
        s3Root: `${tenants[c.tenant]}/flows/${flows[c.flow]}/jobs/${written}`,
        start: new Date(base + c.minute * MINUTE),
        tenant: tenants[c.tenant] as string,
        flow: flows[c.flow] as string,
      });
      jobs.push({ events, stored: 1, touches: 0 });
      return write('jobs', events[0] as Record<string, unknown>);
    }
    if (c.kind === 'advance' || c.kind === 'touch') {
      const job = jobs[c.pick % Math.max(1, jobs.length)];
      if (job === undefined) return undefined;
      if (c.kind === 'advance') {
        if (job.stored >= job.events.length) return undefined;
        job.stored += 1;
        return write('jobs', job.events[job.stored - 1] as Record<string, unknown>);
      }
      // The latest event again, later (maybe hours later: another update hour), other metrics.
      const latest = job.events[job.stored - 1] as Record<string, unknown>;
      job.touches += 1;
      const at = Date.parse(String(latest.last_updated)) + c.hours * 3_600_000 + job.touches;
      return write('jobs', {
        ...latest,
        last_updated: hotglueTime(new Date(at)),
        metrics: { recordCount: { Touch: job.touches } },
      });
    }
    const tenant = tenants[c.tenant] as string;
    const flow_id = flows[c.flow] as string;
    const timestamp = hotglueTime(new Date(base + written * MINUTE));
    if (c.kind === 'discover')
      return write(
        'discover',
        payloadOf('discover', {
          tenant,
          flow_id,
          connector: `c${c.connector}`,
          status: ['DISCOVER_STARTED', 'DISCOVER_SUCCESS', 'DISCOVER_FAILED'][c.status],
          timestamp,
        }),
      );
    return write(
      'connections',
      payloadOf('connections', {
        tenant,
        flow_id,
        connector: `c${c.connector}`,
        event: c.linked ? 'LINK' : 'UNLINK',
        timestamp,
        event_id: `run${run}-e${written}`,
      }),
    );
  };
  return { model, base, tenants, flows, apply };
}

type World = ReturnType<typeof world>;

/** A list walked by pages: one page from a store, and the filter set (key → sort key) of a store. */
interface Walked {
  name: string;
  page(store: Store, request: ListPageRequest): Promise<ListPage<Record<string, unknown>>>;
  keyOf(item: Record<string, unknown>): string;
  members(store: Store): Promise<Map<string, string>>;
}

const ALL = 100_000;

function jobsList(name: string, filter: JobFilter): Walked {
  const sortKey = filter.updatedSince === undefined ? jobOrderKey : jobUpdatedKey;
  return {
    name,
    page: (store, request) => store.pageJobs(filter, request),
    keyOf: (job) => String(job.s3_root),
    members: async (store) =>
      new Map((await take(store.listJobs(filter), ALL)).map((j) => [j.s3_root, sortKey(j)])),
  };
}

function discoverList(name: string, filter: DiscoverFilter): Walked {
  const keyOf = (s: Record<string, unknown>) => discoverOrderKey(s as never);
  return {
    name,
    page: (store, request) => store.pageDiscover(filter, request),
    keyOf,
    members: async (store) =>
      new Map((await take(store.listDiscover(filter), ALL)).map((s) => [keyOf(s), keyOf(s)])),
  };
}

function connectionsList(name: string, filter: ConnectionFilter): Walked {
  const keyOf = (c: Record<string, unknown>) => connectionOrderKey(c as never);
  return {
    name,
    page: (store, request) => store.pageConnections(filter, request),
    keyOf,
    members: async (store) =>
      new Map((await take(store.listConnections(filter), ALL)).map((c) => [keyOf(c), keyOf(c)])),
  };
}

/** The lists a walk may take, over one run's world: every index, with and without post-filters. */
const LISTS: ((w: World) => Walked)[] = [
  (w) => jobsList('jobs of a tenant (by-tenant)', { tenant: w.tenants[0] as string }),
  (w) =>
    jobsList('failed jobs of a tenant (by-tenant, status post-filtered)', {
      tenant: w.tenants[1] as string,
      status: 'failed',
    }),
  (w) => jobsList('jobs of a flow (by-flow-shard)', { flow: w.flows[0] as string }),
  (w) =>
    jobsList('all jobs in a window (by-status-shard, four classes merged)', {
      since: new Date(w.base),
      until: new Date(w.base + 10 * DAY),
    }),
  (w) =>
    jobsList('running jobs in a window (by-status-shard)', {
      status: 'running',
      since: new Date(w.base),
      until: new Date(w.base + 10 * DAY),
    }),
  (w) =>
    jobsList('jobs of a flow updated since (by-updated, post-filtered)', {
      updatedSince: new Date(w.base),
      flow: w.flows[1] as string,
    }),
  (w) => discoverList('discover states of a tenant', { tenant: w.tenants[0] as string }),
  (w) =>
    discoverList('failed discover states of a flow (sharded, post-filtered)', {
      flow: w.flows[0] as string,
      status: 'failed',
    }),
  (w) => connectionsList('connections of a tenant', { tenant: w.tenants[1] as string }),
  (w) =>
    connectionsList('linked connections of a flow (sharded, post-filtered)', {
      flow: w.flows[1] as string,
      linked: true,
    }),
];

const count = <T>(values: T[]) => {
  const counts = new Map<T, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return counts;
};

describe('keyset pages over DynamoDB (dynalite)', () => {
  it('lists every item that stays in its filter set with its sort key exactly once, and none twice, whatever is written between pages', async () => {
    const dynamo = dynamoDbStore(db, tables);
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(command, { minLength: 8, maxLength: 30 }),
        fc.integer({ min: 0, max: LISTS.length - 1 }),
        fc.integer({ min: 1, max: 5 }),
        fc.option(fc.integer({ min: 1, max: 6 }), { nil: undefined }),
        fc.array(fc.array(command, { maxLength: 4 }), { minLength: 12, maxLength: 12 }),
        async (initial, which, limit, budget, between) => {
          run += 1;
          const w = world(run, dynamo);
          for (const c of initial) await w.apply(c);
          const list = (LISTS[which] as (w: World) => Walked)(w);
          const snapshots: Map<string, string>[] = [];
          const seen: string[] = [];
          let after: string | undefined;
          for (let page = 0; ; page += 1) {
            if (page > 0) for (const c of between[page - 1] ?? []) await w.apply(c);
            const members = await list.members(w.model);
            snapshots.push(members);
            const got = await list.page(dynamo, {
              limit,
              ...(after !== undefined && { after }),
              ...(budget !== undefined && { budget }),
            });
            expect(got.items.length).toBeLessThanOrEqual(limit);
            for (const item of got.items) {
              const key = list.keyOf(item);
              // Only what the filters select now.
              expect({ list: list.name, key, selected: members.has(key) }).toEqual({
                list: list.name,
                key,
                selected: true,
              });
              seen.push(key);
            }
            if (got.after === null) break;
            after = got.after;
            expect(page).toBeLessThan(500);
          }
          const counts = count(seen);
          const stable = [...(snapshots[0] ?? new Map<string, string>())]
            .filter(([key, sortKey]) => snapshots.every((s) => s.get(key) === sortKey))
            .map(([key]) => key);
          expect({
            list: list.name,
            unseen: stable.filter((key) => counts.get(key) !== 1),
          }).toEqual({ list: list.name, unseen: [] });
          expect({
            list: list.name,
            twice: [...counts].filter(([, n]) => n > 1).map(([key]) => key),
          }).toEqual({ list: list.name, twice: [] });
        },
      ),
      { numRuns: 12 },
    );
  }, 300_000);

  it('walks /v1/jobs?tenant=T&limit=4 while jobs start and change: each of the 30 jobs once, each page reading as little as the first', async () => {
    const reads = { indexEntries: 0, records: 0 };
    const counted = new Proxy(db, {
      get: (target, name, receiver) =>
        name === 'send'
          ? async (
              command: { constructor: { name: string }; input: unknown },
              options?: object,
            ) => {
              const output = (await (
                target.send as (c: unknown, o?: object) => Promise<unknown>
              ).call(target, command, options)) as {
                ScannedCount?: number;
                Responses?: Record<string, unknown[]>;
              };
              if (command.constructor.name === 'QueryCommand')
                reads.indexEntries += output.ScannedCount ?? 0;
              if (command.constructor.name === 'BatchGetCommand')
                for (const items of Object.values(output.Responses ?? {}))
                  reads.records += items.length;
              return output;
            }
          : Reflect.get(target, name, receiver),
    });
    const store = dynamoDbStore(counted, tables);
    const tenant = 'done-when';
    const base = Date.UTC(2029, 5, 1);
    const thirty = Array.from({ length: 30 }, (_, i) => ({
      s3Root: `${tenant}/flows/f/jobs/${i}`,
      events: jobLifecycle(i % 3 === 0 ? FAILURE : SUCCESS, {
        s3Root: `${tenant}/flows/f/jobs/${i}`,
        start: new Date(base + i * 3_600_000),
        tenant,
        flow: `f${i % 2}`,
      }),
      next: 1,
    }));
    for (const job of thirty) await store.store('jobs', stored(job.events[0] ?? {}));
    let started = 0;
    const seen: string[] = [];
    const perPage: { indexEntries: number; records: number }[] = [];
    let cursor: string | null = null;
    do {
      reads.indexEntries = 0;
      reads.records = 0;
      const query = new URLSearchParams({ tenant, limit: '4', ...(cursor && { cursor }) });
      const answer = await answerReadApi({ records: store }, 'GET', '/v1/jobs', query);
      expect(answer.status).toBe(200);
      const page = answer.body as { items: { s3_root: string }[]; next: string | null };
      perPage.push({ ...reads });
      seen.push(...page.items.map((j) => j.s3_root));
      cursor = page.next;
      // Between pages: two jobs start (one newest of all, one among those not listed yet), and
      // three of the thirty move on in their lifecycle (their status class changes).
      for (const start of [
        base + 40 * 3_600_000 + started,
        base + (started % 30) * 3_600_000 + 1,
      ]) {
        started += 1;
        const [created] = jobLifecycle(['JOB_CREATED'], {
          s3Root: `${tenant}/flows/f/jobs/new-${started}`,
          start: new Date(start),
          tenant,
          flow: 'f0',
        });
        await store.store('jobs', stored(created ?? {}));
      }
      for (const job of thirty.filter((_, i) => (i + perPage.length) % 10 === 0)) {
        if (job.next < job.events.length) {
          await store.store('jobs', stored(job.events[job.next] ?? {}));
          job.next += 1;
        }
      }
    } while (cursor !== null);
    const counts = count(seen);
    expect(thirty.map((j) => [j.s3Root, counts.get(j.s3Root)])).toEqual(
      thirty.map((j) => [j.s3Root, 1]),
    );
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    // O(limit) a page, however deep: the index entries of one Query page and 4 records.
    const first = perPage[0] as { indexEntries: number; records: number };
    for (const [i, page] of perPage.entries()) {
      expect({ page: i, entries: page.indexEntries <= Math.max(first.indexEntries, 26) }).toEqual({
        page: i,
        entries: true,
      });
      expect({ page: i, records: page.records <= 4 }).toEqual({ page: i, records: true });
    }
  }, 120_000);
});
