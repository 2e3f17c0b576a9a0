import type { EventStore } from '../ports/event-store';
import type { Notifier } from '../ports/notifier';

/** The part of Lambda's context a time budget needs. */
export interface InvocationContext {
  getRemainingTimeInMillis(): number;
}

/**
 * Kept back from an invocation's remaining time: room to report what is left (the batch's
 * failures) after the deadline. No call goes on past the deadline (the adapters abort theirs
 * then, and beforeDeadline stops waiting for any that does not), so reporting needs milliseconds:
 * the rest absorbs a stalled process (a long GC pause, a starved CPU), since a consumer that times
 * out has the whole batch come back.
 * @internal exported for the tests
 */
export const DEADLINE_MARGIN_MS = 6_000;

/** The budget when nothing says how long the invocation may take (a test, a tool). */
const NO_CONTEXT_BUDGET_MS = 20_000;

/**
 * When every retry loop and wait of this invocation must have ended (epoch ms): the invocation's
 * remaining time less DEADLINE_MARGIN_MS, or less a fifth of it when that is shorter (a short
 * timeout keeps most of its time for work). Without a context, NO_CONTEXT_BUDGET_MS from now.
 */
export function deadlineOf(context: InvocationContext | undefined, now: number): number {
  if (context === undefined) return now + NO_CONTEXT_BUDGET_MS;
  const remaining = context.getRemainingTimeInMillis();
  return now + Math.max(0, Math.floor(remaining - Math.min(DEADLINE_MARGIN_MS, remaining / 5)));
}

/**
 * A call of a port still going at the invocation's deadline: given up, so that its records fail.
 * @internal exported for the tests
 */
export class DeadlineError extends Error {
  constructor(what: string) {
    super(`${what}: not done by the invocation's deadline`);
    this.name = 'DeadlineError';
  }
}

/**
 * What `work` gives, or a DeadlineError once `until` (epoch ms, on the clock `now`) comes, which
 * ever is first; past the deadline `work` is not started. The call itself is not stopped (the
 * adapters end their own calls at the `until` they are given): this only guarantees that the
 * invocation does not wait for it, should a port not keep to its deadline.
 * @internal exported for the tests
 */
export async function beforeDeadline<T>(
  what: string,
  until: number,
  now: () => number,
  work: () => Promise<T>,
): Promise<T> {
  const left = until - now();
  if (left <= 0) throw new DeadlineError(what);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new DeadlineError(what)), left);
  });
  try {
    return await Promise.race([work(), late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The store and notifier as one invocation uses them: each call is given `until` (unless the
 * caller names another) and is given up at it (see beforeDeadline).
 */
export function withinDeadline(
  ports: { store: EventStore; notifier: Notifier },
  until: number,
  now: () => number,
): { store: EventStore; notifier: Notifier } {
  const { store, notifier } = ports;
  const by = <T>(what: string, work: () => Promise<T>): Promise<T> =>
    beforeDeadline(what, until, now, work);
  return {
    store: {
      store: (kind, event, u = until) => by('storing', () => store.store(kind, event, u)),
      storeAll: (kind, events, u = until) => by('storing', () => store.storeAll(kind, events, u)),
      markSent: (kind, key, ids, u = until) =>
        by('marking notifications sent', () => store.markSent(kind, key, ids, u)),
      unsent: (kind, key, u = until) => by('reading the outbox', () => store.unsent(kind, key, u)),
      recordStale: (key, at, notice, u = until) =>
        by('recording Job Stale', () => store.recordStale(key, at, notice, u)),
      recordPoll: (key, at, state, u = until) =>
        by('recording a poll', () => store.recordPoll(key, at, state, u)),
    },
    notifier: {
      publish: (notifications, u = until) =>
        by('publishing notifications', () => notifier.publish(notifications, u)),
    },
  };
}
