import type { IngestConfig } from '../../lib/config';
import { QueueUnavailableError } from '../../lib/errors';
import type { Kind } from '../../lib/kinds';
import type { Log, LogFields } from '../../lib/logger';
import type { EventQueue } from '../../lib/queue';

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

export interface RecordingQueue extends EventQueue {
  sent: { kind: Kind; messageBody: string }[];
  failing: boolean;
}

/** A queue double: records what was sent, or fails like an unreachable SQS. */
export function recordingQueue(): RecordingQueue {
  const queue: RecordingQueue = {
    sent: [],
    failing: false,
    async send(kind, messageBody) {
      if (queue.failing) throw new QueueUnavailableError(new Error('connect ECONNREFUSED'));
      queue.sent.push({ kind, messageBody });
      return { messageId: `msg-${queue.sent.length}` };
    },
  };
  return queue;
}

export function ingestConfig(overrides: Partial<IngestConfig> = {}): IngestConfig {
  return {
    secrets: {
      jobs: ['jobs-secret'],
      discover: ['discover-secret'],
      connections: ['connections-secret'],
    },
    allowUnsigned: false,
    allowReserializedSignature: false,
    queueUrls: {
      jobs: 'http://queue/jobs',
      discover: 'http://queue/discover',
      connections: 'http://queue/connections',
    },
    ...overrides,
  };
}
