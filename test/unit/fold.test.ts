import fc from 'fast-check';
import { ENTITIES, type Entity } from '../../lib/records/entities';
import { mergeConnection, mergeDiscover, mergeJob } from '../support/merges';
import type { StoredEvent } from '../../lib/records/stored-event';
import { stored } from '../support/lifecycle';

/**
 * The fold that storage runs one event at a time must give exactly the record that the batch
 * merge gives over the set of distinct events, for any order and any repetition.
 */
const STATUSES = [
  'JOB_CREATED',
  'DISCOVER_STARTED',
  'SYNC_STARTED',
  'SYNC_SUCCESS',
  'SYNC_FAILED',
  'ETL_STARTED',
  'EXPORT_STARTED',
  'JOB_COMPLETED',
  'FUTURE_STATUS',
  'ANOTHER_NEW_ONE',
];
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: null });
const time = fc.integer({ min: 0, max: 5 }).map((m) => `2026-11-01T10:0${m}:00.000000+00:00`);
const stamp = fc.oneof(
  fc.constant(undefined),
  fc.dictionary(
    fc.constantFrom('SYNC_STARTED', 'ETL_STARTED', 'EXPORT_STARTED'),
    maybe(fc.integer({ min: 1, max: 9 })),
    { maxKeys: 3 },
  ),
  fc.constantFrom('not-an-object', 7, [1, 2]),
);

const jobEvent = fc.record({
  status: fc.constantFrom(...STATUSES),
  last_updated: fc.oneof(time, fc.constant(null), fc.constant(undefined)),
  status_timestamp: stamp,
  start_time: fc.oneof(time, fc.constant(null)),
  job_id: fc.oneof(fc.constantFrom('J1', 'J2'), fc.constant(null), fc.constant(7)),
  env_id: maybe(fc.constantFrom('dev.hotglue.com', 'prod.hotglue.com')),
  metrics: maybe(fc.record({ recordCount: fc.record({ Account: fc.nat(99) }) })),
  error: maybe(fc.constantFrom('boom', 'bang')),
  extra: fc.oneof(fc.constant(undefined), maybe(fc.string({ maxLength: 3 }))),
});

/** Generated fields on top of an entity's identity, as stored events (unset fields left out). */
const asEvents =
  (identity: Record<string, unknown>) =>
  (events: Record<string, unknown>[]): StoredEvent[] =>
    events.map((e) => {
      const payload: Record<string, unknown> = { ...identity };
      for (const [k, v] of Object.entries(e)) if (v !== undefined) payload[k] = v;
      return stored(payload);
    });

const jobEvents = fc
  .uniqueArray(jobEvent, { minLength: 1, maxLength: 7, selector: (e) => JSON.stringify(e) })
  .map(asEvents({ s3_root: 'fold/1', tenant: 't', flow_id: 'f' }));

/**
 * Delivers `events` in `order` (indexes, with repeats) through the entity's fold, as a store
 * would: an event is new when its history id is, and a repeated content is not folded again.
 */
function foldAll<R>(entity: Entity<R>, events: StoredEvent[], order: number[]): R {
  let state: { record: R; fold: unknown } | undefined;
  const ids = new Set<string>();
  const contents = new Set<string>();
  for (const i of order) {
    const event = events[i] as StoredEvent;
    if (contents.has(event.hash)) continue;
    contents.add(event.hash);
    const id = entity.historyId(event);
    const isNew = !ids.has(id);
    ids.add(id);
    // A store re-reads its state between events: the fold must survive a JSON round trip.
    state = JSON.parse(JSON.stringify(entity.fold(state, event, isNew))) as typeof state;
  }
  return (state as NonNullable<typeof state>).record;
}

const deliveries = <T>(events: fc.Arbitrary<T[]>) =>
  events.chain((list) =>
    fc.tuple(
      fc.constant(list),
      fc
        .shuffledSubarray(
          list.map((_, i) => i),
          { minLength: list.length, maxLength: list.length },
        )
        .chain((order) =>
          fc.array(fc.nat(list.length - 1), { maxLength: 4 }).chain((extra) =>
            fc
              .array(fc.nat(order.length + extra.length), {
                minLength: extra.length,
                maxLength: extra.length,
              })
              .map((places) => {
                const all = [...order];
                extra.forEach((e, n) => all.splice((places[n] ?? 0) % (all.length + 1), 0, e));
                return all;
              }),
          ),
        ),
    ),
  );

describe('the jobs fold', () => {
  it('gives exactly mergeJob of the distinct events, for any order and any duplicates', () => {
    fc.assert(
      fc.property(deliveries(jobEvents), ([events, order]) => {
        expect(foldAll(ENTITIES.jobs, events, order)).toEqual(mergeJob(events));
      }),
      { numRuns: 1_000, seed: 42 },
    );
  });
});

const discoverEvents = fc
  .uniqueArray(
    fc.record({
      status: fc.constantFrom('DISCOVER_STARTED', 'DISCOVER_SUCCESS', 'DISCOVER_FAILED', 'NEW'),
      timestamp: fc.oneof(time, fc.constant(null), fc.constant('garbled')),
      error: maybe(fc.constantFrom('boom', 'bang')),
      env_id: fc.oneof(fc.constant(undefined), maybe(fc.constantFrom('dev', 'prod'))),
    }),
    { minLength: 1, maxLength: 6, selector: (e) => JSON.stringify(e) },
  )
  .map(asEvents({ tenant: 't', flow_id: 'f', connector: 'c' }));

describe('the discover fold', () => {
  it('gives exactly mergeDiscover of the distinct events, for any order and any duplicates', () => {
    fc.assert(
      fc.property(deliveries(discoverEvents), ([events, order]) => {
        expect(foldAll(ENTITIES.discover, events, order)).toEqual(mergeDiscover(events));
      }),
      { numRuns: 1_000, seed: 43 },
    );
  });
});

const connectionEvents = fc
  .uniqueArray(
    fc.record({
      event: fc.constantFrom('LINK', 'UNLINK', 'REMOVED', 'OVERWRITE'),
      // Few ids, so that two contents often share one.
      event_id: fc.oneof(fc.constantFrom('e1', 'e2', 'e3'), fc.constant(undefined)),
      timestamp: fc.oneof(time, fc.constant(null)),
      first_link: fc.oneof(fc.constant(undefined), maybe(fc.boolean())),
    }),
    { minLength: 1, maxLength: 6, selector: (e) => JSON.stringify(e) },
  )
  .map(asEvents({ tenant: 't', flow_id: 'f', connector: 'c' }));

describe('the connections fold', () => {
  it('gives exactly mergeConnection of the distinct contents, for any order and any duplicates', () => {
    fc.assert(
      fc.property(deliveries(connectionEvents), ([events, order]) => {
        expect(foldAll(ENTITIES.connections, events, order)).toEqual(mergeConnection(events));
      }),
      { numRuns: 1_000, seed: 44 },
    );
  });
});
