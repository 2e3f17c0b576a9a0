/** The part of Lambda's context a time budget needs. */
export interface InvocationContext {
  getRemainingTimeInMillis(): number;
}

/**
 * Kept back from an invocation's remaining time: room to report what is left (the batch's
 * failures, a run's summary) after the last retry or wait gave up, with the SDK's one call in
 * flight at the deadline included (its request timeout is 5 s).
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
