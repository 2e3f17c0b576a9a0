import { optionalHttpUrl, readEnv, withDefault, type Env } from './env';

/**
 * Where a process sends notifications: the stage's EventBridge bus (deployed), else the local
 * stack's log, NOTIFY_URL and the file `notifications tail` reads.
 */
export type NotificationTarget =
  { to: 'eventbridge'; bus: string } | { to: 'local'; url?: string; file?: string };

/** EVENT_BUS_NAME, NOTIFY_URL and NOTIFICATIONS_FILE; throws a ConfigError on a bad URL. */
export function loadNotificationTarget(env: Env): NotificationTarget {
  const read = readEnv(env, {
    EVENT_BUS_NAME: withDefault(''),
    NOTIFY_URL: optionalHttpUrl(),
    NOTIFICATIONS_FILE: withDefault(''),
  });
  if (read.EVENT_BUS_NAME !== '') return { to: 'eventbridge', bus: read.EVENT_BUS_NAME };
  return {
    to: 'local',
    ...(read.NOTIFY_URL !== undefined && { url: read.NOTIFY_URL }),
    ...(read.NOTIFICATIONS_FILE !== '' && { file: read.NOTIFICATIONS_FILE }),
  };
}
