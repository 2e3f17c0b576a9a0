import { appendFileSync } from 'node:fs';
import type { Notifier } from '../ports/notifier';
import { abortAt } from './request-limits';

/** Waits before each retry of a POST that failed: back-off, about 5 s in all. */
const RETRY_DELAYS_MS = [250, 1_000, 4_000];
/** How long one POST may take. */
const TIMEOUT_MS = 5_000;

export interface HttpNotifierOptions {
  /** NOTIFY_URL: each notification is POSTed there as JSON; a 2xx is delivered. */
  url?: string;
  /** Each delivered notification is appended here as one JSON line (`notifications tail`). */
  file?: string;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
}

const sleepFor = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The local stack's notifier, in place of EventBridge: POSTs each notification (the EventBridge
 * envelope, as JSON) to NOTIFY_URL when set, retrying with back-off anything but a 2xx, and
 * appends each delivered one to a file that `hotglue-webhooks notifications tail` follows. When
 * every retry fails it throws: the consumer's records fail, SQS brings them back and they are
 * published again (after the redrive count, the events wait in the dead-letter queue). With the
 * caller's `until` (epoch ms), no retry waits past it and a POST still going then is cut: it
 * throws as well.
 */
export function httpNotifier(options: HttpNotifierOptions): Notifier {
  const post = options.fetch ?? fetch;
  const sleep = options.sleep ?? sleepFor;
  const deliver = async (body: string, until: number | undefined): Promise<void> => {
    if (options.url === undefined) return;
    let last = '';
    for (let attempt = 0; attempt <= RETRY_DELAYS_MS.length; attempt += 1) {
      const delay = attempt > 0 ? (RETRY_DELAYS_MS[attempt - 1] as number) : 0;
      if (until !== undefined && Date.now() + delay >= until)
        throw new Error(
          `NOTIFY_URL did not take a notification (${last || 'no time left'}) in time`,
        );
      if (delay > 0) await sleep(delay);
      const timeout = AbortSignal.timeout(TIMEOUT_MS);
      try {
        const response = await post(options.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
          signal: until === undefined ? timeout : AbortSignal.any([timeout, abortAt(until)]),
        });
        await response.arrayBuffer().catch(() => undefined);
        if (response.status >= 200 && response.status < 300) return;
        last = `HTTP ${response.status}`;
      } catch (error) {
        last = error instanceof Error && error.name === 'TimeoutError' ? 'timeout' : 'unreachable';
      }
    }
    throw new Error(
      `NOTIFY_URL did not take a notification (${last}) after ${RETRY_DELAYS_MS.length + 1} tries`,
    );
  };
  return {
    async publish(notifications, until) {
      for (const n of notifications) {
        const body = JSON.stringify(n);
        await deliver(body, until);
        if (options.file !== undefined) appendFileSync(options.file, `${body}\n`);
      }
    },
  };
}
