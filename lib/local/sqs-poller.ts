import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSRecord, Context } from 'aws-lambda';
import { lambdaContext } from './http-gateway';

export type SqsHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | void>;

export interface PollerOptions {
  sqs: SQSClient;
  queueUrl: string;
  queueArn: string;
  region: string;
  functionName: string;
  timeoutSeconds: number;
  batchSize: number;
  reportBatchItemFailures: boolean;
  /** Seconds before a failed message is visible again (real SQS: the queue's visibility timeout). */
  retryDelaySeconds: number;
  /** Visibility timeout asked for on receive; undefined keeps the queue's own. */
  visibilityTimeoutSeconds?: number;
  handler: SqsHandler;
  log: (message: string, fields: Record<string, unknown>) => void;
}

export interface Poller {
  /** Stops polling after the batch in hand is finished. */
  stop(): Promise<void>;
  /** Batches completed so far (for tests and the stop report). */
  readonly processed: number;
}

/**
 * Each receive's long poll. A message sent wakes a waiting receive at once, so this sets only how
 * often an idle poller asks: with 1 s, the six pollers' receives (two per queue) took about 3.5 %
 * of a core while the stack sat idle.
 */
export const LONG_POLL_SECONDS = 5;

/** Longest a receive may take (its long poll and 10 s more) before the poller gives up on it. */
const RECEIVE_TIMEOUT_MS = LONG_POLL_SECONDS * 1000 + 10_000;

function toSqsRecord(message: Message, queueArn: string, region: string): SQSRecord {
  const attributes = message.Attributes ?? {};
  return {
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    body: message.Body ?? '',
    attributes: {
      ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? '1',
      SentTimestamp: attributes.SentTimestamp ?? '',
      SenderId: attributes.SenderId ?? '',
      ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? '',
      // A FIFO queue's: as Lambda passes them.
      ...(attributes.MessageGroupId !== undefined && {
        MessageGroupId: attributes.MessageGroupId,
      }),
      ...(attributes.MessageDeduplicationId !== undefined && {
        MessageDeduplicationId: attributes.MessageDeduplicationId,
      }),
      ...(attributes.SequenceNumber !== undefined && {
        SequenceNumber: attributes.SequenceNumber,
      }),
    },
    messageAttributes: Object.fromEntries(
      Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [
        name,
        { dataType: value.DataType ?? 'String', stringValue: value.StringValue },
      ]),
    ),
    md5OfBody: message.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: region,
  };
}

function withTimeout<T>(promise: Promise<T>, seconds: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`handler timed out after ${seconds} s`)),
      seconds * 1000,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Which messages of a batch failed, as Lambda's SQS event source reads a handler's answer:
 * a thrown error or a malformed answer fails the whole batch; otherwise only the listed ids.
 * @internal exported for the tests
 */
export function failedMessageIds(
  records: SQSRecord[],
  outcome: { ok: true; result: SQSBatchResponse | void } | { ok: false },
  reportBatchItemFailures: boolean,
): Set<string> {
  const all = new Set(records.map((r) => r.messageId));
  if (!outcome.ok) return all;
  if (!reportBatchItemFailures || outcome.result === undefined || outcome.result === null)
    return new Set();
  const failures = outcome.result.batchItemFailures;
  if (!Array.isArray(failures)) return all;
  const ids = failures.map((f) => f?.itemIdentifier);
  if (ids.some((id) => typeof id !== 'string' || !all.has(id))) return all;
  return new Set(ids as string[]);
}

type Outcome = { ok: true; result: SQSBatchResponse | void } | { ok: false };

/** Invokes the handler with the batch as Lambda would, within the function's timeout. */
async function invoke(options: PollerOptions, records: SQSRecord[]): Promise<Outcome> {
  try {
    const context = lambdaContext(
      options.functionName,
      crypto.randomUUID(),
      options.timeoutSeconds,
    );
    return {
      ok: true,
      result: await withTimeout(
        options.handler({ Records: records }, context),
        options.timeoutSeconds,
      ),
    };
  } catch (error) {
    options.log('invocation failed', { function: options.functionName, error: String(error) });
    return { ok: false };
  }
}

/** Deletes what succeeded and makes the failures visible again after the retry delay. */
async function settle(
  options: PollerOptions,
  records: SQSRecord[],
  failed: Set<string>,
): Promise<void> {
  const done = records.filter((r) => !failed.has(r.messageId));
  if (done.length > 0) {
    await options.sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: options.queueUrl,
        Entries: done.map((r, i) => ({ Id: String(i), ReceiptHandle: r.receiptHandle })),
      }),
    );
  }
  const retry = records.filter((r) => failed.has(r.messageId));
  if (retry.length > 0) {
    await options.sqs.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: options.queueUrl,
        Entries: retry.map((r, i) => ({
          Id: String(i),
          ReceiptHandle: r.receiptHandle,
          VisibilityTimeout: options.retryDelaySeconds,
        })),
      }),
    );
  }
}

/**
 * Polls one queue the way Lambda's SQS event source does: receive a batch, invoke the handler
 * with a real SQS event, delete what succeeded and leave failures to be retried; SQS itself
 * moves a message to the dead-letter queue after the redrive count.
 */
export function startPoller(options: PollerOptions): Poller {
  const abort = new AbortController();
  let running = true;
  let processed = 0;

  async function once(): Promise<void> {
    const received = await options.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: options.queueUrl,
        MaxNumberOfMessages: Math.min(options.batchSize, 10),
        WaitTimeSeconds: LONG_POLL_SECONDS,
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
        ...(options.visibilityTimeoutSeconds !== undefined && {
          VisibilityTimeout: options.visibilityTimeoutSeconds,
        }),
      }),
      // A receive cut mid-flight (a fault, a restart of the emulator) must not hang the poller.
      { abortSignal: AbortSignal.any([abort.signal, AbortSignal.timeout(RECEIVE_TIMEOUT_MS)]) },
    );
    const messages = received.Messages ?? [];
    if (messages.length === 0) return;
    const records = messages.map((m) => toSqsRecord(m, options.queueArn, options.region));
    const outcome = await invoke(options, records);
    await settle(
      options,
      records,
      failedMessageIds(records, outcome, options.reportBatchItemFailures),
    );
    processed += 1;
  }

  const loop = (async () => {
    while (running) {
      try {
        await once();
      } catch (error) {
        if (!running) break;
        options.log('poll failed', { function: options.functionName, error: String(error) });
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    }
  })();

  return {
    get processed() {
      return processed;
    },
    async stop() {
      running = false;
      abort.abort();
      await loop;
    },
  };
}
