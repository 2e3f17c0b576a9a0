import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { parseEnvelope } from '../webhook/envelope';
import type { Kind } from '../webhook/kinds';

export interface DeadLetter {
  messageId: string;
  /** The kind of queue it died on. */
  queue: Kind;
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
}

/** How long a listed message stays hidden while the listing runs. */
const PEEK_SECONDS = 30;

function describeDeadLetter(queue: Kind, message: Message): DeadLetter {
  const body = message.Body ?? '';
  const sent = Number(message.Attributes?.SentTimestamp);
  const base: DeadLetter = {
    messageId: message.MessageId ?? '',
    queue,
    bytes: Buffer.byteLength(body),
    ...(Number.isFinite(sent) && sent > 0 && { sentAt: new Date(sent).toISOString() }),
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
  queue: Kind,
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
        }),
      );
      const messages = got.Messages ?? [];
      for (const m of messages) if (m.ReceiptHandle !== undefined) handles.push(m.ReceiptHandle);
      const fresh = messages.filter((m) => !seen.has(m.MessageId ?? ''));
      if (fresh.length === 0) break;
      for (const m of fresh) seen.set(m.MessageId ?? '', describeDeadLetter(queue, m));
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
 * Moves messages from a dead-letter queue back to its source queue, to be processed again once
 * the cause is fixed: each is sent to the source first and deleted from the DLQ only after, so a
 * failure in between can duplicate a message (which storage absorbs) but never lose one.
 */
export async function redriveDeadLetters(
  sqs: SQSClient,
  dlqUrl: string,
  sourceUrl: string,
  limit: number,
): Promise<number> {
  let moved = 0;
  while (moved < limit) {
    const got = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: dlqUrl,
        MaxNumberOfMessages: Math.min(10, limit - moved),
        VisibilityTimeout: 30,
        WaitTimeSeconds: 1,
        MessageAttributeNames: ['All'],
      }),
    );
    const messages = got.Messages ?? [];
    if (messages.length === 0) break;
    for (const m of messages) {
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: sourceUrl,
          MessageBody: m.Body ?? '',
          ...(m.MessageAttributes !== undefined && { MessageAttributes: m.MessageAttributes }),
        }),
      );
      await sqs.send(
        new DeleteMessageCommand({ QueueUrl: dlqUrl, ReceiptHandle: m.ReceiptHandle }),
      );
      moved += 1;
    }
  }
  return moved;
}

/** A queue's URL by name (for a deployed stage). */
export async function queueUrlByName(sqs: SQSClient, name: string): Promise<string> {
  const got = await sqs.send(new GetQueueUrlCommand({ QueueName: name }));
  if (got.QueueUrl === undefined) throw new Error(`no queue ${name}`);
  return got.QueueUrl;
}
