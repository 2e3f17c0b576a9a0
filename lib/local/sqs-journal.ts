import {
  closeSync,
  existsSync,
  fsyncSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';

/**
 * What fauxqs reports, synchronously, each time a message is enqueued ("published", including a
 * move into a dead-letter queue), moved out to a dead-letter queue ("dlq"), or deleted after
 * processing ("consumed"). Its message spy interface; only the fields used here.
 */
export interface QueueEvent {
  service: string;
  queueName?: string;
  messageId: string;
  body?: string;
  messageAttributes?: Record<string, unknown>;
  status: string;
  /** A FIFO message's group and deduplication ids (added by startFauxqs: its spy omits them). */
  messageGroupId?: string;
  messageDeduplicationId?: string;
}

/** A message accepted by a queue and not deleted yet: what a restart must put back. */
export interface JournalledMessage {
  id: string;
  queue: string;
  body: string;
  attributes: Record<string, unknown>;
  /** On a FIFO queue: its group (restored in the journal's order) and deduplication id. */
  groupId?: string;
  deduplicationId?: string;
}

/** One line of the journal: a message put on a queue, moved to another, or gone. */
type Line =
  | {
      put: string;
      queue: string;
      body: string;
      attributes: Record<string, unknown>;
      group?: string;
      dedup?: string;
    }
  | { move: string; queue: string }
  | { gone: string };

/** Rewrite the journal when it is this large and mostly lines about messages already gone. */
const COMPACT_AT_BYTES = 16 * 1024 * 1024;
const COMPACT_WHEN_LIVE_BELOW = 0.25;

export interface SqsJournal {
  /** The messages pending when the journal was opened (the previous run's backlog). */
  readonly recovered: readonly JournalledMessage[];
  /** Lines that could not be read: a torn last line after a kill is expected, others are not. */
  readonly unreadable: number;
  /** Records one queue event; returns once the line is written to the file. */
  record(event: QueueEvent): void;
  /** Records that every listed message is gone (a purged or deleted queue). */
  forget(ids: Iterable<string>): void;
  /** Messages not deleted yet, per queue name. */
  pendingByQueue(): Record<string, number>;
  close(): void;
}

function replay(text: string): { pending: Map<string, JournalledMessage>; unreadable: number } {
  const pending = new Map<string, JournalledMessage>();
  let unreadable = 0;
  for (const raw of text.split('\n')) {
    if (raw === '') continue;
    let line: Line;
    try {
      line = JSON.parse(raw) as Line;
    } catch {
      unreadable += 1;
      continue;
    }
    if ('put' in line) {
      pending.set(line.put, {
        id: line.put,
        queue: line.queue,
        body: line.body,
        attributes: line.attributes,
        ...(line.group !== undefined && { groupId: line.group }),
        ...(line.dedup !== undefined && { deduplicationId: line.dedup }),
      });
    } else if ('move' in line) {
      const message = pending.get(line.move);
      if (message !== undefined) message.queue = line.queue;
    } else if ('gone' in line) {
      pending.delete(line.gone);
    }
  }
  return { pending, unreadable };
}

const putLine = (m: JournalledMessage): string =>
  `${JSON.stringify({
    put: m.id,
    queue: m.queue,
    body: m.body,
    attributes: m.attributes,
    ...(m.groupId !== undefined && { group: m.groupId }),
    ...(m.deduplicationId !== undefined && { dedup: m.deduplicationId }),
  })}\n`;

/** Writes `messages` to a fresh file beside `file` and renames it over `file`: never half done. */
function rewrite(file: string, messages: Iterable<JournalledMessage>): number {
  const temporary = `${file}.tmp`;
  const fd = openSync(temporary, 'w');
  let bytes = 0;
  try {
    for (const message of messages) bytes += writeSync(fd, putLine(message));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, file);
  return bytes;
}

/**
 * A write-ahead journal of the local SQS emulator's messages, so that `npm start` keeps every
 * accepted event across a crash. fauxqs keeps queues in memory; it calls `record` synchronously
 * while it enqueues a message, before it answers SendMessage, so no 202 can go out for an event
 * whose line is not in the file. A line written with write(2) is in the kernel's page cache: it
 * survives the process being killed (SIGKILL, out of memory, a crash), though not a power cut.
 *
 * Opening replays the file and compacts it to the pending messages; the caller puts those back on
 * their queues (with their ids, so their lines stay valid) before anything polls.
 */
export function openSqsJournal(file: string): SqsJournal {
  rmSync(`${file}.tmp`, { force: true });
  const { pending, unreadable } = existsSync(file)
    ? replay(readFileSync(file, 'utf8'))
    : { pending: new Map<string, JournalledMessage>(), unreadable: 0 };
  const recovered = [...pending.values()].map((m) => ({ ...m }));
  let fileBytes = rewrite(file, pending.values());
  let fd = openSync(file, 'a');
  // Bytes that a rewrite would keep: the put lines of pending messages.
  const liveSizes = new Map(
    [...pending.values()].map((m) => [m.id, Buffer.byteLength(putLine(m))]),
  );
  let liveBytes = fileBytes;

  const append = (line: Line): void => {
    fileBytes += writeSync(fd, `${JSON.stringify(line)}\n`);
    if (fileBytes < COMPACT_AT_BYTES || liveBytes > fileBytes * COMPACT_WHEN_LIVE_BELOW) return;
    closeSync(fd);
    fileBytes = rewrite(file, pending.values());
    fd = openSync(file, 'a');
  };
  const drop = (id: string): void => {
    if (!pending.delete(id)) return;
    liveBytes -= liveSizes.get(id) ?? 0;
    liveSizes.delete(id);
    append({ gone: id });
  };

  return {
    recovered,
    unreadable,
    record(event) {
      if (event.service !== 'sqs') return;
      const id = event.messageId;
      if (event.status === 'consumed') {
        drop(id);
        return;
      }
      if (event.status !== 'published' || event.queueName === undefined) return;
      const known = pending.get(id);
      if (known !== undefined) {
        // The same message on another queue: a dead-letter move, or its restore after a restart.
        if (known.queue !== event.queueName) {
          known.queue = event.queueName;
          append({ move: id, queue: event.queueName });
        }
        return;
      }
      const message: JournalledMessage = {
        id,
        queue: event.queueName,
        body: event.body ?? '',
        attributes: event.messageAttributes ?? {},
        ...(event.messageGroupId !== undefined && { groupId: event.messageGroupId }),
        ...(event.messageDeduplicationId !== undefined && {
          deduplicationId: event.messageDeduplicationId,
        }),
      };
      pending.set(id, message);
      const line = putLine(message);
      liveSizes.set(id, Buffer.byteLength(line));
      liveBytes += Buffer.byteLength(line);
      fileBytes += writeSync(fd, line);
    },
    forget(ids) {
      for (const id of ids) drop(id);
    },
    pendingByQueue() {
      const counts: Record<string, number> = {};
      for (const { queue } of pending.values()) counts[queue] = (counts[queue] ?? 0) + 1;
      return counts;
    },
    close() {
      closeSync(fd);
    },
  };
}
