import { parseArgs } from 'node:util';
import { createEventBridgeClient, eventBridgeNotifier } from '../aws/eventbridge-notifier';
import {
  listDeadLetters,
  redriveDeadLetters,
  redriveNotificationLetters,
  type DeadLetter,
} from '../aws/dead-letters';
import { eventBusName } from '../aws/resource-names';
import { isKind, KINDS, type Kind } from '../webhook/kinds';
import { table } from './format';
import type { Io } from './query-commands';
import { resolveQueueTarget, type QueueTarget } from './target';

const DLQ_HELP = `Usage: hotglue-webhooks dlq list [--kind K] [--limit N] [--json] [--stage NAME [--region R]]
       hotglue-webhooks dlq redrive [--kind K] [--limit N] [--stage NAME [--region R]]

list     show what is in the dead-letter queues and why (nothing is removed)
redrive  move dead letters back to their queue, to be processed again once the cause is fixed

Options:
  --kind K        jobs, discover, connections, or notifications: what the rules on a deployed
                  stage's bus could not deliver; redrive puts them back on the bus (default: the
                  three kinds, and for list notifications too)
  --limit N       at most N messages per queue (default 100 for list, all for redrive)
  --json          print JSON (list: an array; each entry includes the event's payload, and
                  why it is there: reason, error, failedAt, receiveCount, sourceMessageId)
  --stage NAME    a deployed stage instead of the local stack (needs sqs:ReceiveMessage,
                  sqs:ChangeMessageVisibility, sqs:DeleteMessage and sqs:GetQueueUrl on the DLQs,
                  sqs:SendMessage on the queues,
                  events:PutEvents on the bus to redrive notifications)
  --region R      the stage's region (default: as for deploys, see hotglue-webhooks --help)
  -h, --help      show this help`;

interface DlqOptions {
  kinds: Kind[];
  limit: number | undefined;
  json: boolean;
  stage: string | undefined;
  /** --kind notifications: the stage's notifications DLQ only. */
  notifications: boolean;
}

/** dlq list: the kinds' dead letters, and the notifications DLQ's. */
async function listLetters(
  target: QueueTarget,
  { kinds, limit, json }: DlqOptions,
  io: Io,
): Promise<number> {
  const letters: DeadLetter[] = [];
  for (const kind of kinds) {
    const { deadLetter } = await target.queues(kind);
    letters.push(...(await listDeadLetters(target.sqs, kind, deadLetter, limit ?? 100)));
  }
  // The notifications DLQ too, unless one kind was asked for.
  if (kinds.length !== 1)
    letters.push(
      ...(await listDeadLetters(
        target.sqs,
        'notifications',
        await target.notificationsDeadLetter(),
        limit ?? 100,
      )),
    );
  if (json) io.out(JSON.stringify(letters, null, 2));
  else if (letters.length === 0) io.out('no dead letters');
  else
    io.out(
      table(
        ['QUEUE', 'MESSAGE_ID', 'RECEIVED_AT', 'ID', 'BYTES', 'REASON', 'PROBLEM'],
        letters.map((l) => [
          l.queue,
          l.messageId,
          l.receivedAt ?? l.sentAt,
          l.requestId ?? (l.detailType && `${l.detailType} ${l.notificationId}`),
          l.bytes,
          // Why it is here: its consumer's reason, `failed 5 receives`, or EventBridge's error.
          l.reason ?? l.error,
          l.unreadable,
        ]),
      ),
    );
  return 0;
}

/** dlq redrive: the kinds' dead letters back to their FIFO queues, or notifications to the bus. */
async function redriveLetters(
  target: QueueTarget,
  { kinds, limit, json, stage, notifications }: DlqOptions,
  io: Io,
): Promise<number> {
  if (notifications) {
    const events = createEventBridgeClient(io.config.region);
    try {
      const { moved, left } = await redriveNotificationLetters(
        target.sqs,
        await target.notificationsDeadLetter(),
        eventBridgeNotifier(events, eventBusName(stage as string)),
        limit ?? Number.MAX_SAFE_INTEGER,
      );
      io.out(
        `notifications: put ${moved} back on the bus${left > 0 ? `; left ${left} that are not EventBridge events` : ''}`,
      );
      if (json) io.out(JSON.stringify({ moved, left }));
    } finally {
      events.destroy();
    }
    return 0;
  }
  let total = 0;
  for (const kind of kinds) {
    const { source, deadLetter } = await target.queues(kind);
    const { moved, back } = await redriveDeadLetters(
      target.sqs,
      deadLetter,
      source,
      limit ?? Number.MAX_SAFE_INTEGER,
    );
    io.out(
      `${kind}: moved ${moved} message${moved === 1 ? '' : 's'} back to the queue` +
        (back > 0
          ? `; ${back} came straight back to the dead-letter queue, as it can never succeed (dlq list says why)`
          : ''),
    );
    total += moved;
  }
  if (json) io.out(JSON.stringify({ moved: total }));
  return 0;
}

export async function dlqCommand(args: string[], io: Io): Promise<number> {
  const [sub, ...rest] = args;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      kind: { type: 'string' },
      limit: { type: 'string' },
      json: { type: 'boolean', default: false },
      stage: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help || sub === '--help' || sub === '-h') {
    io.out(DLQ_HELP);
    return 0;
  }
  if ((sub !== 'list' && sub !== 'redrive') || positionals.length > 0) {
    io.err(`dlq needs list or redrive\n\n${DLQ_HELP}`);
    return 2;
  }
  const notifications = values.kind === 'notifications';
  if (values.kind !== undefined && !isKind(values.kind) && !notifications) {
    io.err(`--kind must be one of ${[...KINDS, 'notifications'].join(', ')}`);
    return 2;
  }
  if (notifications && sub === 'redrive' && values.stage === undefined) {
    io.err(
      'locally there is no bus: notifications that fail are retried through their events (dlq redrive --kind K)',
    );
    return 2;
  }
  const kinds: Kind[] =
    values.kind === undefined ? [...KINDS] : notifications ? [] : [values.kind as Kind];
  const limit = values.limit === undefined ? undefined : Number(values.limit);
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) {
    io.err(`--limit must be a positive integer, got "${values.limit}"`);
    return 2;
  }
  const target = await resolveQueueTarget(values.stage, io.config);
  const options = { kinds, limit, json: values.json, stage: values.stage, notifications };
  try {
    return sub === 'list'
      ? await listLetters(target, options, io)
      : await redriveLetters(target, options, io);
  } finally {
    target.sqs.destroy();
  }
}
