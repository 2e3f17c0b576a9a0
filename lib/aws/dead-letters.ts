import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { Notifier } from '../ports/notifier';
import type { Notification } from '../records/changes';
import { parseEnvelope } from '../webhook/envelope';
import type { Kind } from '../webhook/kinds';
import { MAX_RECEIVE_COUNT } from './resource-names';
import { LETTER_ATTRIBUTES } from './sqs-dead-letter-queue';

export interface DeadLetter {
  messageId: string;
  /** The queue it died on: a kind's, or `notifications` (what a rule could not deliver). */
  queue: Kind | 'notifications';
  /** From the envelope, when the message is one of ours. */
  kind?: string;
  requestId?: string;
  receivedAt?: string;
  eventKey?: string;
  /** Why it cannot be read, when it is not our envelope. */
  unreadable?: string;
  sentAt?: string;
  bytes: number;
  payload?: unknown;
  /**
   * Why a kind's letter is here: the reason its consumer gave when it took it out at once (it can
   * never succeed), else `failed 5 receives` (SQS moved it after the redrive policy's receives).
   */
  reason?: string;
  /** When its consumer took it out, after how many receives, and its id on the kind's queue. */
  failedAt?: string;
  receiveCount?: number;
  sourceMessageId?: string;
  /** A notification's `detail-type` and `notification_id`. */
  detailType?: string;
  notificationId?: string;
  /**
   * A kind's letter: the name of the error its consumer gave up on. A notification: why
   * EventBridge gave up on it (ERROR_CODE: ERROR_MESSAGE), and the rule's ARN.
   */
  error?: string;
  rule?: string;
}

/** The notification an EventBridge dead letter holds (the event as the rule received it). */
function notificationOf(body: string): Notification {
  const event = JSON.parse(body) as Record<string, unknown>;
  const detail = event.detail as Record<string, unknown> | undefined;
  if (typeof event['detail-type'] !== 'string' || typeof detail !== 'object' || detail === null)
    throw new Error('not an EventBridge event');
  return {
    id: String(detail.notification_id ?? event.id ?? ''),
    source: 'hotglue-webhooks',
    'detail-type': event['detail-type'] as Notification['detail-type'],
    time: String(event.time ?? ''),
    detail,
  };
}

function describeNotificationLetter(message: Message): DeadLetter {
  const body = message.Body ?? '';
  const attribute = (name: string) => message.MessageAttributes?.[name]?.StringValue;
  const base: DeadLetter = {
    messageId: message.MessageId ?? '',
    queue: 'notifications',
    bytes: Buffer.byteLength(body),
    ...(attribute('ERROR_CODE') !== undefined && {
      error: `${attribute('ERROR_CODE')}: ${attribute('ERROR_MESSAGE') ?? ''}`.trim(),
    }),
    ...(attribute('RULE_ARN') !== undefined && { rule: attribute('RULE_ARN') }),
  };
  try {
    const n = notificationOf(body);
    return { ...base, detailType: n['detail-type'], notificationId: n.id, sentAt: n.time };
  } catch (error) {
    return { ...base, unreadable: error instanceof Error ? error.message : String(error) };
  }
}

/** How long a listed message stays hidden while the listing runs. */
const PEEK_SECONDS = 30;

/**
 * Why a kind's letter is in its dead-letter queue: what its consumer said when it took it out
 * (LETTER_ATTRIBUTES), or, without those, that SQS moved it after the redrive policy's receives.
 */
function whyDead(message: Message): Partial<DeadLetter> {
  const attribute = (name: string) => message.MessageAttributes?.[name]?.StringValue;
  const reason = attribute(LETTER_ATTRIBUTES.reason);
  if (reason === undefined) return { reason: `failed ${MAX_RECEIVE_COUNT} receives` };
  const error = attribute(LETTER_ATTRIBUTES.error);
  const failedAt = attribute(LETTER_ATTRIBUTES.failedAt);
  const receiveCount = Number(attribute(LETTER_ATTRIBUTES.receiveCount));
  const sourceMessageId = attribute(LETTER_ATTRIBUTES.sourceMessageId);
  return {
    reason,
    ...(error !== undefined && { error }),
    ...(failedAt !== undefined && { failedAt }),
    ...(Number.isInteger(receiveCount) && receiveCount > 0 && { receiveCount }),
    ...(sourceMessageId !== undefined && { sourceMessageId }),
  };
}

function describeDeadLetter(queue: Kind, message: Message): DeadLetter {
  const body = message.Body ?? '';
  const sent = Number(message.Attributes?.SentTimestamp);
  const base: DeadLetter = {
    messageId: message.MessageId ?? '',
    queue,
    bytes: Buffer.byteLength(body),
    ...(Number.isFinite(sent) && sent > 0 && { sentAt: new Date(sent).toISOString() }),
    ...whyDead(message),
  };
  try {
    const { envelope, body: raw } = parseEnvelope(body);
    let payload: unknown;
    try {
      payload = JSON.parse(raw.toString('utf8'));
    } catch {
      payload = undefined;
    }
    return {
      ...base,
      kind: envelope.kind,
      requestId: envelope.requestId,
      receivedAt: envelope.receivedAt,
      eventKey: envelope.eventKey,
      ...(payload !== undefined && { payload }),
    };
  } catch (error) {
    return { ...base, unreadable: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * Lists the messages in a dead-letter queue without removing them: SQS has no peek, so each is
 * received (hidden while the listing runs, so that it is seen once) and made visible again at the
 * end. Its receive count goes up, which a dead-letter queue does not act on.
 */
export async function listDeadLetters(
  sqs: SQSClient,
  queue: Kind | 'notifications',
  dlqUrl: string,
  limit: number,
): Promise<DeadLetter[]> {
  const seen = new Map<string, DeadLetter>();
  const handles: string[] = [];
  try {
    while (seen.size < limit) {
      const got = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: dlqUrl,
          MaxNumberOfMessages: 10,
          VisibilityTimeout: PEEK_SECONDS,
          WaitTimeSeconds: 1,
          MessageSystemAttributeNames: ['All'],
          MessageAttributeNames: ['All'],
        }),
      );
      const messages = got.Messages ?? [];
      for (const m of messages) if (m.ReceiptHandle !== undefined) handles.push(m.ReceiptHandle);
      const fresh = messages.filter((m) => !seen.has(m.MessageId ?? ''));
      if (fresh.length === 0) break;
      for (const m of fresh)
        seen.set(
          m.MessageId ?? '',
          queue === 'notifications' ? describeNotificationLetter(m) : describeDeadLetter(queue, m),
        );
    }
  } finally {
    for (let i = 0; i < handles.length; i += 10) {
      await sqs.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: dlqUrl,
          Entries: handles
            .slice(i, i + 10)
            .map((h, n) => ({ Id: String(n), ReceiptHandle: h, VisibilityTimeout: 0 })),
        }),
      );
    }
  }
  return [...seen.values()].slice(0, limit);
}

/**
 * The group and deduplication id a dead letter goes back on its FIFO queue with: the group it died
 * in (its entity's), and a deduplication id of its own, so that SQS does not drop it as a resend
 * of the original within five minutes, while a redrive retried after a failed delete stays one
 * message.
 */
const redriveOrder = (
  message: Message,
): { MessageGroupId: string; MessageDeduplicationId: string } => ({
  // A FIFO dead-letter queue always gives the group; 'unreadable' only keeps the type whole.
  MessageGroupId: message.Attributes?.MessageGroupId ?? 'unreadable',
  MessageDeduplicationId: `redrive-${message.MessageId ?? ''}`,
});

/**
 * Takes up to `limit` messages off a dead-letter queue: each is handed to `move`, and deleted from
 * the queue only once `move` has put it where it goes, so a failure in between can duplicate a
 * message but never lose one. A message `move` declines (false) stays, and is not asked again.
 * Returns how many were moved and how many stay.
 */
async function drainDeadLetters(
  sqs: SQSClient,
  dlqUrl: string,
  limit: number,
  move: (message: Message) => Promise<boolean>,
): Promise<{ moved: number; left: number }> {
  let moved = 0;
  const left = new Set<string>();
  while (moved < limit) {
    const got = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: dlqUrl,
        MaxNumberOfMessages: Math.min(10, limit - moved),
        VisibilityTimeout: 30,
        WaitTimeSeconds: 1,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['MessageGroupId'],
      }),
    );
    const messages = (got.Messages ?? []).filter((m) => !left.has(m.MessageId ?? ''));
    if (messages.length === 0) break;
    for (const m of messages) {
      if (!(await move(m))) {
        left.add(m.MessageId ?? '');
        continue;
      }
      await sqs.send(
        new DeleteMessageCommand({ QueueUrl: dlqUrl, ReceiptHandle: m.ReceiptHandle }),
      );
      moved += 1;
    }
  }
  return { moved, left: left.size };
}

/**
 * A letter's message attributes without those its consumer added (LETTER_ATTRIBUTES): why it
 * died does not go back with it (it gets new ones should it die again). Undefined when none stay.
 */
function attributesBack(message: Message): Message['MessageAttributes'] {
  const ours = new Set<string>(Object.values(LETTER_ATTRIBUTES));
  const kept = Object.entries(message.MessageAttributes ?? {}).filter(([name]) => !ours.has(name));
  return kept.length === 0 ? undefined : Object.fromEntries(kept);
}

/**
 * Moves messages from a kind's dead-letter queue back to its FIFO queue, to be processed again once the cause is fixed (a duplicate, should a delete fail, is
 * absorbed by storage). A FIFO DLQ hands out a group's letters in order, so they go back in order.
 * A letter that its consumer sends straight back while this runs (a record that can never
 * succeed, whose cause is not fixed yet) is left there, not moved again (the two would pass it
 * back and forth for ever): `back` counts those, `moved` every letter moved.
 */
export async function redriveDeadLetters(
  sqs: SQSClient,
  dlqUrl: string,
  sourceUrl: string,
  limit: number,
): Promise<{ moved: number; back: number }> {
  // The ids this run gave the letters it moved; a letter dead again names its id on the queue.
  const sent = new Set<string>();
  const { moved, left } = await drainDeadLetters(sqs, dlqUrl, limit, async (m) => {
    const source = m.MessageAttributes?.[LETTER_ATTRIBUTES.sourceMessageId]?.StringValue;
    if (source !== undefined && sent.has(source)) return false;
    const attributes = attributesBack(m);
    const answer = await sqs.send(
      new SendMessageCommand({
        QueueUrl: sourceUrl,
        MessageBody: m.Body ?? '',
        ...redriveOrder(m),
        ...(attributes !== undefined && { MessageAttributes: attributes }),
      }),
    );
    if (answer.MessageId !== undefined) sent.add(answer.MessageId);
    return true;
  });
  return { moved, back: left };
}

/**
 * Puts notifications a rule could not deliver back on the bus (every rule sees them again, so
 * receivers deduplicate on `notification_id`). A message that is not an EventBridge event stays.
 * Returns how many were put back and left.
 */
export const redriveNotificationLetters = (
  sqs: SQSClient,
  dlqUrl: string,
  bus: Notifier,
  limit: number,
): Promise<{ moved: number; left: number }> =>
  drainDeadLetters(sqs, dlqUrl, limit, async (m) => {
    let notification: Notification;
    try {
      notification = notificationOf(m.Body ?? '');
    } catch {
      return false;
    }
    await bus.publish([notification]);
    return true;
  });

/** A queue's URL by name (for a deployed stage). */
export async function queueUrlByName(sqs: SQSClient, name: string): Promise<string> {
  const got = await sqs.send(new GetQueueUrlCommand({ QueueName: name }));
  if (got.QueueUrl === undefined) throw new Error(`no queue ${name}`);
  return got.QueueUrl;
}
