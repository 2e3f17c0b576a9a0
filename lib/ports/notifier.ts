import type { Notification } from '../records/changes';

/**
 * Where notifications go: EventBridge when deployed; locally the log, a file and NOTIFY_URL.
 * Delivery is at least once: a notification may come twice (same `id`), never not at all.
 */
export interface Notifier {
  /** Delivers every notification, in order; throws when any of them could not be delivered. */
  publish(notifications: readonly Notification[]): Promise<void>;
}
