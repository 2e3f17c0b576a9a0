import type { Notification } from '../records/changes';

/**
 * How long a notification another writer recorded is left to that writer to publish (and mark
 * sent) before anyone else publishes it: far longer than a publish takes, far shorter than a
 * consumer's timeout. A writer that died leaves it; the next one to find it sends it.
 */
export const ABANDONED_AFTER_MS = 10_000;

/**
 * Where notifications go: EventBridge when deployed; locally the log, a file and NOTIFY_URL.
 * Delivery is at least once: a notification may come twice (same `id`), never not at all.
 */
export interface Notifier {
  /**
   * Delivers every notification, in order; throws when any of them could not be delivered, or
   * when `until` (epoch ms) came first (some may then have been delivered).
   */
  publish(notifications: readonly Notification[], until?: number): Promise<void>;
}
