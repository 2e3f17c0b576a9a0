import type { IngestDeps } from '../../lib/ingest/handle-ingest';
import type { Counters } from '../../lib/ports/counters';
import { QueueUnavailableError, type EventQueue } from '../../lib/ports/event-queue';
import type { Log, LogFields } from '../../lib/ports/log';
import type { Notifier } from '../../lib/ports/notifier';
import type { Notification } from '../../lib/records/changes';
import { fixedSecretSource, type Secrets } from '../../lib/ports/secret-source';
import type { Kind } from '../../lib/webhook/kinds';

export interface RecordedLog extends Log {
  lines: { level: string; message: string; fields: LogFields }[];
  text(): string;
}

export function recordingLog(): RecordedLog {
  const lines: RecordedLog['lines'] = [];
  const at = (level: string) => (message: string, fields: LogFields) =>
    lines.push({ level, message, fields });
  return {
    lines,
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    text: () => JSON.stringify(lines),
  };
}

interface RecordingQueue extends EventQueue {
  sent: { kind: Kind; messageBody: string; groupId: string; deduplicationId: string }[];
  failing: boolean;
}

/** A queue double: records what was sent, or fails like an unreachable SQS. */
function recordingQueue(): RecordingQueue {
  const queue: RecordingQueue = {
    sent: [],
    failing: false,
    async send(kind, { body, groupId, deduplicationId }) {
      if (queue.failing) throw new QueueUnavailableError(new Error('connect ECONNREFUSED'));
      queue.sent.push({ kind, messageBody: body, groupId, deduplicationId });
      return { messageId: `msg-${queue.sent.length}` };
    },
  };
  return queue;
}

export interface RecordingCounters extends Counters {
  counted: { name: string; dimensions: Record<string, string>; value: number }[];
}

export function recordingCounters(): RecordingCounters {
  const counted: RecordingCounters['counted'] = [];
  return {
    counted,
    count: (name, dimensions, value = 1) => counted.push({ name, dimensions, value }),
  };
}

const SECRETS: Secrets = {
  jobs: ['jobs-secret'],
  discover: ['discover-secret'],
  connections: ['connections-secret'],
};

export interface IngestDoubles {
  deps: IngestDeps;
  queue: RecordingQueue;
  log: RecordedLog;
  counters: RecordingCounters;
}

/** Ingest dependencies with doubles: fixed secrets, a recording queue, log and counters. */
export function ingestDoubles(
  options: {
    secrets?: Secrets;
    allowUnsigned?: boolean;
    allowReserializedSignature?: boolean;
  } = {},
): IngestDoubles {
  const queue = recordingQueue();
  const log = recordingLog();
  const counters = recordingCounters();
  return {
    queue,
    log,
    counters,
    deps: {
      config: {
        allowUnsigned: options.allowUnsigned ?? false,
        allowReserializedSignature: options.allowReserializedSignature ?? false,
      },
      secrets: fixedSecretSource(options.secrets ?? SECRETS),
      queue,
      log,
      counters,
    },
  };
}

export interface RecordingNotifier extends Notifier {
  published: Notification[];
  /** While set, publish throws (an unreachable bus or receiver). */
  failing: boolean;
}

/** A notifier double: keeps what was published, or fails like an unreachable receiver. */
export function recordingNotifier(): RecordingNotifier {
  const notifier: RecordingNotifier = {
    published: [],
    failing: false,
    async publish(notifications) {
      if (notifier.failing) throw new Error('receiver unreachable');
      notifier.published.push(...notifications);
    },
  };
  return notifier;
}
