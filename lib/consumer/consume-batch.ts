import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { Counters } from '../ports/counters';
import type { DeadLetterQueue } from '../ports/dead-letter-queue';
import {
  OutboxFullError,
  WriteConflictError,
  type EventStore,
  type StoreOutcome,
  type Unsent,
} from '../ports/event-store';
import type { Log } from '../ports/log';
import { ABANDONED_AFTER_MS, type Notifier } from '../ports/notifier';
import type { Notification } from '../records/changes';
import { ENTITIES } from '../records/entities';
import type { StoredEvent } from '../records/stored-event';
import { contentHash } from '../webhook/content-hash';
import { PoisonMessageError } from '../webhook/envelope';
import type { Kind } from '../webhook/kinds';
import { deadlineOf, withinDeadline, type InvocationContext } from './budget';
import { decodeRecord, type ConsumedEvent } from './decode-record';
import { poisonReason, sendLetter } from './poison';

/** One SQS record with the event it holds. */
type Delivery = { record: SQSRecord; consumed: ConsumedEvent };

export interface ConsumerDeps {
  store: EventStore;
  notifier: Notifier;
  /**
   * The kind's dead-letter queue, where a record that can never succeed goes at once (see
   * POISON_ERRORS). Without one, such a record fails like any other, and SQS moves it there itself
   * after the redrive policy's count of receives, holding its group until then.
   */
  deadLetters?: DeadLetterQueue;
  log: Log;
  counters: Counters;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

const WAIT_STEP_MS = 250;

/** A record not tried because an earlier record of its FIFO message group failed in this batch. */
class EarlierInGroupFailedError extends Error {
  constructor() {
    super('an earlier message of its group failed');
    this.name = 'EarlierInGroupFailedError';
  }
}

const toStoredEvent = ({ envelope, payload }: ConsumedEvent): StoredEvent => ({
  hash: contentHash(payload),
  receivedAt: envelope.receivedAt,
  payload,
  ...(envelope.source !== undefined && { source: envelope.source }),
});

const groupOf = (record: SQSRecord): string | undefined => record.attributes?.MessageGroupId;

/** One invocation: its kind, dependencies, deadline, and the records and groups that failed. */
interface Run {
  kind: Kind;
  deps: ConsumerDeps & { now: () => number; sleep: (ms: number) => Promise<void> };
  /** No retry or wait goes on past this (epoch ms). */
  until: number;
  failed: Set<string>;
  failedGroups: Set<string>;
  /** Records moved to the dead-letter queue: reported done, their groups go on. */
  deadLettered: Set<string>;
}

/**
 * Reports a record failed (logged with why, never its body) and blocks the rest of its group. A
 * record already in the dead-letter queue stays done: it is poison whatever came before it.
 */
function fail(run: Run, record: SQSRecord, error: unknown): void {
  if (run.deadLettered.has(record.messageId)) return;
  run.deps.log.error('record failed', {
    messageId: record.messageId,
    kind: run.kind,
    receiveCount: record.attributes?.ApproximateReceiveCount,
    error: error instanceof Error ? error.name : typeof error,
    reason:
      error instanceof PoisonMessageError || error instanceof EarlierInGroupFailedError
        ? error.message
        : undefined,
  });
  run.failed.add(record.messageId);
  const group = groupOf(record);
  if (group !== undefined) run.failedGroups.add(group);
}

/** Whether a record's group already failed in this batch (it is then failed too, untried). */
function blocked(run: Run, record: SQSRecord): boolean {
  const group = groupOf(record);
  if (group === undefined || !run.failedGroups.has(group)) return false;
  fail(run, record, new EarlierInGroupFailedError());
  return true;
}

/**
 * Settles a record that threw `error`: a poison one (see POISON_ERRORS) goes to the dead-letter
 * queue, reported done, and its group goes on; any other, or a poison one the dead-letter queue
 * did not take, fails and holds its group (see fail).
 */
async function settle(run: Run, record: SQSRecord, error: unknown): Promise<void> {
  const { deadLetters, log, now } = run.deps;
  const reason = poisonReason(error);
  if (reason === undefined || deadLetters === undefined || !(error instanceof Error))
    return fail(run, record, error);
  const sent = await sendLetter(
    { deadLetters, log, now, kind: run.kind },
    record,
    error,
    reason,
    run.until,
  );
  if (sent) run.deadLettered.add(record.messageId);
  else fail(run, record, error);
}

/**
 * The batch's records decoded, by entity, in batch order; a group stops at its first failure, and
 * goes on after a poison record, whose letter (see settle) is sent while the rest are stored:
 * should the dead-letter queue not take it, failLaterInGroups then fails what came after it.
 */
function decodeBatch(
  run: Run,
  records: readonly SQSRecord[],
): { byEntity: Map<string, Delivery[]>; letters: Promise<void>[] } {
  const byEntity = new Map<string, Delivery[]>();
  const letters: Promise<void>[] = [];
  for (const record of records) {
    if (blocked(run, record)) continue;
    try {
      const consumed = decodeRecord(run.kind, record);
      const key = ENTITIES[run.kind].key(consumed.payload);
      byEntity.set(key, [...(byEntity.get(key) ?? []), { record, consumed }]);
    } catch (error) {
      letters.push(settle(run, record, error));
    }
  }
  return { byEntity, letters };
}

const logStored = (
  run: Run,
  consumed: ConsumedEvent,
  { unsent, recorded, ...outcome }: StoreOutcome,
): void =>
  run.deps.log.info('event stored', {
    messageId: consumed.messageId,
    kind: run.kind,
    eventKey: consumed.envelope.eventKey,
    ...outcome,
    unsent: unsent.length,
    recorded: recorded.length,
  });

/**
 * The notifications to publish now: those the outcomes' writes recorded, and those another writer
 * recorded (a reconcile run's Job Stale, or a consumer that died) once that writer has had
 * ABANDONED_AFTER_MS to publish them itself. Waits for that, re-reading the outbox, never past the
 * deadline (it throws then, so that the records fail and come back).
 */
async function toPublish(run: Run, key: string, outcomes: StoreOutcome[]): Promise<Notification[]> {
  const { store, now, sleep } = run.deps;
  const unsent = new Map<string, Unsent>();
  const recorded = new Set<string>();
  for (const o of outcomes) {
    for (const u of o.unsent) unsent.set(u.notification.id, u);
    for (const id of o.recorded) recorded.add(id);
  }
  let theirs = [...unsent.values()].filter((u) => !recorded.has(u.notification.id));
  while (theirs.some((u) => now() - u.recordedAt < ABANDONED_AFTER_MS)) {
    if (now() + WAIT_STEP_MS >= run.until)
      throw new Error('deadline reached waiting for another writer’s notifications');
    await sleep(WAIT_STEP_MS);
    const left = await store.unsent(run.kind, key, run.until);
    const still = new Set(left.map((u) => u.notification.id));
    theirs = theirs.filter((u) => still.has(u.notification.id));
  }
  const ours = [...unsent.values()].filter((u) => recorded.has(u.notification.id));
  return [...ours, ...theirs].map((u) => u.notification);
}

/** Publishes an entity's notifications, logs and counts each, then marks them sent. */
async function publishAndMark(run: Run, key: string, notifications: Notification[]): Promise<void> {
  const { notifier, log, counters, store } = run.deps;
  await notifier.publish(notifications, run.until);
  for (const n of notifications) {
    log.info('notification sent', {
      kind: run.kind,
      notificationId: n.id,
      detailType: n['detail-type'],
      entity: key,
    });
    counters.count('notified', { kind: run.kind, detailType: n['detail-type'] });
  }
  await store.markSent(
    run.kind,
    key,
    notifications.map((n) => n.id),
    run.until,
  );
}

/**
 * Publishes the notifications of one entity (see toPublish), then marks them sent. Should
 * publishing or marking fail, or the deadline come first, the entity's records fail too: SQS
 * delivers them again and the store reports the same notifications unsent (at least once;
 * receivers deduplicate on the id).
 */
async function publishUnsent(
  run: Run,
  key: string,
  deliveries: Delivery[],
  outcomes: StoreOutcome[],
): Promise<void> {
  const { log } = run.deps;
  const count = outcomes.reduce((n, o) => Math.max(n, o.unsent.length), 0);
  if (count === 0) return;
  try {
    const publish = await toPublish(run, key, outcomes);
    if (publish.length === 0) return;
    await publishAndMark(run, key, publish);
  } catch (error) {
    log.error('notifications not sent', {
      kind: run.kind,
      entity: key,
      count,
      error: error instanceof Error ? error.message : String(error),
    });
    for (const { record } of deliveries) fail(run, record, error);
  }
}

/**
 * An entity's outbox is full (its notifications could not be published for a long time): tries
 * to publish what it holds and mark it sent, so that the records, which fail now, are stored when
 * they come back. Never throws: should publishing fail again, the outbox stays as it is, bounded.
 */
async function drainFullOutbox(run: Run, key: string, full: OutboxFullError): Promise<void> {
  const { log } = run.deps;
  const notifications = full.unsent.map((u) => u.notification);
  try {
    await publishAndMark(run, key, notifications);
    log.info('outbox drained', { kind: run.kind, entity: key, count: notifications.length });
  } catch (error) {
    log.error('outbox full: events held back', {
      kind: run.kind,
      entity: key,
      count: notifications.length,
      error: error instanceof Error ? error.message : String(error),
    });
  }
}

/**
 * Stores an entity's records one by one, in order, up to the first that fails; a poison one (see
 * settle) goes to the dead-letter queue, and the records behind it are stored.
 */
async function storeOneByOne(run: Run, key: string, deliveries: Delivery[]): Promise<void> {
  const outcomes: StoreOutcome[] = [];
  const done: Delivery[] = [];
  // Only a failure before it in this loop holds a record back: its group's earlier records in the
  // batch are all here, and a later record's failure must not fail the ones before it.
  let held = false;
  for (const delivery of deliveries) {
    if (held) {
      fail(run, delivery.record, new EarlierInGroupFailedError());
      continue;
    }
    try {
      const outcome = await run.deps.store.store(
        run.kind,
        toStoredEvent(delivery.consumed),
        run.until,
      );
      logStored(run, delivery.consumed, outcome);
      outcomes.push(outcome);
      done.push(delivery);
    } catch (error) {
      if (error instanceof OutboxFullError) await drainFullOutbox(run, key, error);
      await settle(run, delivery.record, error);
      held = run.failed.has(delivery.record.messageId);
    }
  }
  await publishUnsent(run, key, done, outcomes);
}

/** Stores one entity's records together (one record write); else one by one (storeOneByOne). */
async function storeEntity(run: Run, key: string, deliveries: Delivery[]): Promise<void> {
  try {
    const outcomes = await run.deps.store.storeAll(
      run.kind,
      deliveries.map(({ consumed }) => toStoredEvent(consumed)),
      run.until,
    );
    for (const [i, { consumed }] of deliveries.entries())
      logStored(run, consumed, outcomes[i] as StoreOutcome);
    await publishUnsent(run, key, deliveries, outcomes);
  } catch (error) {
    if (error instanceof OutboxFullError) await drainFullOutbox(run, key, error);
    // Lost races past the budget, and a full outbox, fail alike one by one: SQS brings them back.
    if (error instanceof WriteConflictError || error instanceof OutboxFullError) {
      for (const { record } of deliveries) fail(run, record, error);
      return;
    }
    const [only] = deliveries;
    if (deliveries.length === 1 && only !== undefined) await settle(run, only.record, error);
    else await storeOneByOne(run, key, deliveries);
  }
}

/**
 * A group's records after one that failed fail too, even where they were stored (storing again is
 * safe): SQS then gives them back in order.
 */
function failLaterInGroups(run: Run, records: readonly SQSRecord[]): void {
  for (const [at, record] of records.entries()) {
    const group = groupOf(record);
    if (
      group === undefined ||
      !run.failedGroups.has(group) ||
      run.failed.has(record.messageId) ||
      run.deadLettered.has(record.messageId)
    )
      continue;
    if (records.slice(0, at).some((r) => groupOf(r) === group && run.failed.has(r.messageId)))
      fail(run, record, new EarlierInGroupFailedError());
  }
}

/**
 * The consumer of one kind's queue: stores each record's event and reports the records that
 * failed, so that SQS retries only those (and dead-letters them after the redrive count) while
 * the rest are deleted.
 *
 * The queue is FIFO with one message group per entity (one job, say), so this consumer is the
 * entity's only writer: its records of a batch are stored together, in batch order, with one
 * record write, and different entities at once. Should that fail, the entity's records are tried
 * one by one, in order, up to the first that fails. As Lambda asks of a FIFO consumer, a record
 * that failed fails every later record of its group in the batch (they come back, in order,
 * after it); other groups go on. (A record without a group id, which a FIFO queue never
 * delivers, fails alone.) A record that can never succeed (see POISON_ERRORS) does not hold its
 * group: it is sent to the kind's dead-letter queue, with why, and reported done, and the records
 * behind it are stored in the same invocation; should the dead-letter queue not take it, it fails
 * like any other.
 *
 * Nothing is swallowed: a record is reported done only once it is stored and the notifications
 * its entity's record holds unsent are published (see publishUnsent). Every retry and wait ends
 * before the invocation's deadline (see deadlineOf), so that failures are reported, not timed out.
 */
export function batchConsumer(
  kind: Kind,
  deps: ConsumerDeps,
): (event: SQSEvent, context?: InvocationContext) => Promise<SQSBatchResponse> {
  const now = deps.now ?? Date.now;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  return async (event, context) => {
    const until = deadlineOf(context, now());
    const run: Run = {
      kind,
      // Every call of the store and the notifier ends by the deadline, whatever the port does.
      deps: { ...deps, ...withinDeadline(deps, until, now), now, sleep },
      until,
      failed: new Set(),
      failedGroups: new Set(),
      deadLettered: new Set(),
    };
    const { byEntity, letters } = decodeBatch(run, event.Records);
    await Promise.all([
      ...letters,
      ...[...byEntity].map(([key, list]) => storeEntity(run, key, list)),
    ]);
    failLaterInGroups(run, event.Records);
    const { failed, deadLettered } = run;
    if (failed.size > 0) deps.counters.count('failed', { kind }, failed.size);
    if (deadLettered.size > 0) deps.counters.count('deadLettered', { kind }, deadLettered.size);
    const processed = event.Records.length - failed.size - deadLettered.size;
    if (processed > 0) deps.counters.count('processed', { kind }, processed);
    // Reported in the batch's order, which is the order SQS gave.
    const batchItemFailures = event.Records.filter((r) => failed.has(r.messageId)).map((r) => ({
      itemIdentifier: r.messageId,
    }));
    return { batchItemFailures };
  };
}
