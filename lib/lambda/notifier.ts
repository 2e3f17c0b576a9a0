import { createEventBridgeClient, eventBridgeNotifier } from '../aws/eventbridge-notifier';
import { httpNotifier } from '../aws/http-notifier';
import type { NotificationTarget } from '../config/notifications';
import type { Notifier } from '../ports/notifier';

/** The notifier a function's configuration names, built once per container. */
export const notifierFor = (target: NotificationTarget): Notifier =>
  target.to === 'eventbridge'
    ? eventBridgeNotifier(createEventBridgeClient, target.bus)
    : httpNotifier(target);
