import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { Notifier } from '../ports/notifier';
import { REQUEST_HANDLER, sendUntil } from './request-limits';

/** PutEvents takes at most 10 entries per call. */
const ENTRIES_PER_CALL = 10;

/** An EventBridge client, created once per container. */
export const createEventBridgeClient = (region?: string): EventBridgeClient =>
  new EventBridgeClient({
    ...(region !== undefined && { region }),
    maxAttempts: 3,
    requestHandler: REQUEST_HANDLER,
  });

/**
 * Notifications onto the stage's custom bus: `source`, `detail-type`, `time` and `detail` as
 * given. EventBridge assigns each event an `id` of its own; ours is `detail.notification_id`. A
 * call that leaves any entry unput, or is still going at the caller's `until` (aborted then),
 * throws, so the consumer's records fail and come back. `client`
 * may be a function that makes it: it is then made on the first publish, not at cold start (most
 * batches change no state and publish nothing).
 */
export function eventBridgeNotifier(
  client: EventBridgeClient | (() => EventBridgeClient),
  busName: string,
): Notifier {
  let made: EventBridgeClient | undefined = typeof client === 'function' ? undefined : client;
  return {
    async publish(notifications, until) {
      made ??= (client as () => EventBridgeClient)();
      for (let i = 0; i < notifications.length; i += ENTRIES_PER_CALL) {
        const chunk = notifications.slice(i, i + ENTRIES_PER_CALL);
        const put = await made.send(
          new PutEventsCommand({
            Entries: chunk.map((n) => ({
              EventBusName: busName,
              Source: n.source,
              DetailType: n['detail-type'],
              ...(!Number.isNaN(Date.parse(n.time)) && { Time: new Date(n.time) }),
              Detail: JSON.stringify(n.detail),
            })),
          }),
          sendUntil(until),
        );
        if ((put.FailedEntryCount ?? 0) > 0) {
          const codes = (put.Entries ?? []).map((e) => e.ErrorCode).filter(Boolean);
          throw new Error(
            `EventBridge refused ${put.FailedEntryCount} events: ${codes.join(', ')}`,
          );
        }
      }
    },
  };
}
