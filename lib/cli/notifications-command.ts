import { open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { NOTIFICATIONS_FILE, readLocalStackInfo } from '../local/local-stack-facts';
import type { Notification } from '../records/changes';
import type { Io } from './query-commands';

const NOTIFICATIONS_HELP = `Usage: hotglue-webhooks notifications tail [--all] [--json]

Prints the notifications the local stack delivers, as they come, until Ctrl-C: one line each
(time, detail-type, what changed, id), or each notification as one JSON object with --json.
They are read from <DATA_DIR>/notifications.ndjson, which "npm start" appends to.

Options:
  --all       first print every notification delivered so far
  --json      print each notification as JSON (the EventBridge envelope), one per line
  -h, --help  show this help

A deployed stage puts them on its EventBridge bus (hotglue-webhooks-<stage>): add a rule to
receive them; see docs/notifications.md.`;

const POLL_MS = 200;

const text = (v: unknown): string =>
  v === undefined || v === null ? '-' : typeof v === 'string' ? v : JSON.stringify(v);

/** One readable line: when, what, about whom, and the id to deduplicate on. */
function notificationLine(n: Notification): string {
  const d = n.detail;
  const what = n['detail-type'].startsWith('Job')
    ? `job ${text(d.s3_root)} (${text(d.job_id)}) tenant ${text(d.tenant)} ${text(d.previous_status)} -> ${text(d.status)}`
    : n['detail-type'].startsWith('Discover')
      ? `discover ${text(d.connector)} tenant ${text(d.tenant)} flow ${text(d.flow_id)} ${text(d.previous_status)} -> ${text(d.status)}`
      : `connection ${text(d.connector)} (${text(d.connector_type)}) tenant ${text(d.tenant)} flow ${text(d.flow_id)}`;
  const error = d.error === undefined || d.error === null ? '' : `  error: ${text(d.error)}`;
  return `${n.time}  ${n['detail-type']}  ${what}${error}  id ${n.id}`;
}

/** Follows `file` from `from` (bytes), calling `line` for each complete line, until `stopped`. */
async function follow(
  file: string,
  from: number,
  line: (text: string) => void,
  stopped: () => boolean,
): Promise<void> {
  let offset = from;
  let partial = '';
  while (!stopped()) {
    const size = await stat(file).then(
      (s) => s.size,
      () => 0,
    );
    if (size < offset) offset = 0; // the file was replaced (a new data folder)
    if (size > offset) {
      const handle = await open(file, 'r');
      try {
        const buffer = Buffer.alloc(size - offset);
        await handle.read(buffer, 0, buffer.length, offset);
        offset = size;
        const lines = (partial + buffer.toString('utf8')).split('\n');
        partial = lines.pop() ?? '';
        for (const l of lines) if (l.trim() !== '') line(l);
      } finally {
        await handle.close();
      }
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

export async function notificationsCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      all: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      stage: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    io.out(NOTIFICATIONS_HELP);
    return 0;
  }
  if (positionals.length !== 1 || positionals[0] !== 'tail') {
    io.err(`notifications takes one subcommand: tail\n\n${NOTIFICATIONS_HELP}`);
    return 2;
  }
  if (values.stage !== undefined) {
    io.err(
      `a deployed stage puts notifications on its EventBridge bus hotglue-webhooks-${values.stage}: add a rule to receive them (docs/notifications.md)`,
    );
    return 2;
  }
  // Following needs a stack that writes: without one, say so rather than wait for ever.
  await readLocalStackInfo(io.config.dataDir);
  const file = join(io.config.dataDir, NOTIFICATIONS_FILE);
  const from = values.all
    ? 0
    : await stat(file).then(
        (s) => s.size,
        () => 0,
      );
  let stop = false;
  const onSignal = (): void => {
    stop = true;
  };
  process.once('SIGINT', onSignal).once('SIGTERM', onSignal);
  io.err(`following ${file} (Ctrl-C to stop)`);
  try {
    await follow(
      file,
      from,
      (l) => {
        if (values.json) io.out(l);
        else {
          try {
            io.out(notificationLine(JSON.parse(l) as Notification));
          } catch {
            io.out(l);
          }
        }
      },
      () => stop,
    );
  } finally {
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
  }
  return 0;
}
