/**
 * Asks `probe` until it gives a value, then returns it; fails after `timeoutMs` saying what it
 * waited for (`what` may be a function, to describe the last state seen). Tests wait on
 * conditions with deadlines, never on fixed sleeps.
 */
export async function eventually<T>(
  probe: () => Promise<T | undefined>,
  what: string | (() => string),
  options: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${typeof what === 'string' ? what : what()}`);
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 300));
  }
}
