import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_REGION, loadCliConfig, stageRegion } from '../config/cli';
import { isKind, KINDS, type Kind } from '../webhook/kinds';
import { samplePayload } from '../webhook/samples';
import { signBody } from '../webhook/signature';

import { explainError, takeRegion } from './cli-errors';
import { printable } from './format';
import type { Io } from './query-commands';

/* eslint-disable @typescript-eslint/no-require-imports -- loaded on use, see below */
/**
 * The modules that load the AWS SDK (and the dashboard's esbuild), loaded when a command needs
 * them, so that --help loads none and a local query only the DynamoDB client. `require`, not
 * `import()`: tsx's CommonJS hook, jest and the esbuild bundle (bin/hotglue-webhooks.js) all
 * follow it.
 */
const lazy = {
  stackFacts: () => {
    const facts: typeof import('../local/local-stack-facts') = require('../local/local-stack-facts');
    return { readLocalStackInfo: facts.readLocalStackInfo, SECRET_FILE: facts.SECRET_FILE };
  },
  queries: () => {
    const {
      jobsCommand,
      discoverCommand,
      connectionsCommand,
    }: typeof import('./query-commands') = require('./query-commands');
    return { jobsCommand, discoverCommand, connectionsCommand };
  },
  dlqCommand: () => {
    const { dlqCommand }: typeof import('./dlq-command') = require('./dlq-command');
    return dlqCommand;
  },
  reconcileCommand: () => {
    const {
      reconcileCommand,
    }: typeof import('./reconcile-command') = require('./reconcile-command');
    return reconcileCommand;
  },
  notificationsCommand: () => {
    const {
      notificationsCommand,
    }: typeof import('./notifications-command') = require('./notifications-command');
    return notificationsCommand;
  },
  dashboardCommand: () => {
    const {
      dashboardCommand,
    }: typeof import('./dashboard-command') = require('./dashboard-command');
    return dashboardCommand;
  },
};
/* eslint-enable @typescript-eslint/no-require-imports */

/** The process the CLI runs in: where it writes, its environment and folder. */
export interface Terminal {
  out(line: string): void;
  err(line: string): void;
  env: Record<string, string | undefined>;
  cwd: string;
}

const MAIN_HELP = `Usage: hotglue-webhooks <command> [options]

Commands:
  send <jobs|discover|connections>   sign and POST a webhook event
  jobs get <s3_root|job_id>          one job with its history
  jobs list                          jobs newest first (filters: tenant, flow, env, status,
                                     since, updated-since)
  discover list                      discover state per connector
  connections list                   connection records (their latest event)
  connections history                one connection's events, newest first, a page at a time
  dlq list | dlq redrive             inspect dead letters, or move them back to be processed
  reconcile                          ask hotglue's job-status API about jobs running too long
  notifications tail                 print the local stack's notifications as they are sent
  dashboard                          serve the dashboard on 127.0.0.1 (local stack, or --stage)

Queries go to the local stack running from this folder, or to a deployed stage with
--stage NAME, in --region R (default: AWS_REGION, else AWS_DEFAULT_REGION, else region in
stages/NAME.yml, else us-east-1, as a deploy takes it).

Run "hotglue-webhooks <command> --help" for a command's options.`;

const SEND_HELP = `Usage: hotglue-webhooks send <jobs|discover|connections> [options]

Signs an event with HMAC-SHA1 (X-Hub-Signature) and POSTs it. Without --file it sends
hotglue's documented sample for that kind with fresh ids and timestamps, so that repeated
sends are distinct events. Prints the response; exits 1 on a non-2xx answer.

Options:
  --file PATH     send this file's exact bytes instead of the sample
  --status S      set "status" on the sample (jobs, discover)
  --event E       set "event" on the sample (connections)
  --set K=V       set any top-level field on the sample (repeatable; V is parsed as JSON
                  when it is valid JSON, else taken as a string), e.g. to send several
                  events of one job: --set s3_root=... --set job_id=...
  --url URL       where to POST (default: the running local stack's URL for the kind)
  --secret S      signing secret (default: WEBHOOK_SECRET_<KIND>, WEBHOOK_SECRET, or the
                  local stack's generated secret in <DATA_DIR>/webhook-secret)
  --unsigned      send without X-Hub-Signature
  -h, --help      show this help`;

async function localUrl(kind: Kind, io: Io): Promise<string> {
  try {
    return (await lazy.stackFacts().readLocalStackInfo(io.config.dataDir)).webhookUrls[kind];
  } catch {
    // no local stack file: fall back to the default port
    return `http://127.0.0.1:${io.config.port}/webhooks/${kind}`;
  }
}

async function defaultSecret(kind: Kind, io: Io): Promise<string | undefined> {
  const fromEnv = io.config.secrets[kind][0];
  if (fromEnv !== undefined) return fromEnv;
  try {
    return (
      (await readFile(join(io.config.dataDir, lazy.stackFacts().SECRET_FILE), 'utf8')).trim() ||
      undefined
    );
  } catch {
    return undefined;
  }
}

async function send(args: string[], io: Io & { cwd: string }): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      file: { type: 'string' },
      status: { type: 'string' },
      event: { type: 'string' },
      url: { type: 'string' },
      secret: { type: 'string' },
      unsigned: { type: 'boolean', default: false },
      set: { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    io.out(SEND_HELP);
    return 0;
  }
  const kind = positionals[0];
  if (!isKind(kind) || positionals.length !== 1) {
    io.err(`send needs one kind: ${KINDS.join(', ')}\n\n${SEND_HELP}`);
    return 2;
  }
  let body: Buffer;
  if (values.file !== undefined) {
    body = await readFile(resolve(io.cwd, values.file));
  } else {
    const overrides: Record<string, unknown> = {};
    if (values.status !== undefined) overrides.status = values.status;
    if (values.event !== undefined) overrides.event = values.event;
    for (const assignment of values.set ?? []) {
      const eq = assignment.indexOf('=');
      if (eq < 1) {
        io.err(`--set needs KEY=VALUE, got "${assignment}"`);
        return 2;
      }
      const raw = assignment.slice(eq + 1);
      let value: unknown = raw;
      try {
        value = JSON.parse(raw);
      } catch {
        // not JSON: a plain string
      }
      overrides[assignment.slice(0, eq)] = value;
    }
    body = Buffer.from(JSON.stringify(samplePayload(kind, { overrides })));
  }
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (!values.unsigned) {
    const secret = values.secret ?? (await defaultSecret(kind, io));
    if (secret === undefined) {
      io.err(
        'no secret: pass --secret, set WEBHOOK_SECRET, start the local stack, or use --unsigned',
      );
      return 2;
    }
    headers['x-hub-signature'] = signBody(body, secret);
  }
  const url = values.url ?? (await localUrl(kind, io));
  let response: Response;
  try {
    // A server that takes the connection and never answers must not hold the CLI for minutes.
    response = await fetch(url, {
      method: 'POST',
      headers,
      body,
      signal: AbortSignal.timeout(10_000),
    });
  } catch (error) {
    const cause =
      error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
    io.err(`could not reach ${url}${cause} (is "npm start" running?)`);
    return 1;
  }
  const text = await response.text();
  io.out(`${response.status} ${text}`);
  return response.ok ? 0 : 1;
}

/** The --stage a command was given, if any (for what an error says). */
function stageOf(args: string[]): string | undefined {
  const at = args.findIndex((a) => a === '--stage' || a.startsWith('--stage='));
  if (at < 0) return undefined;
  const arg = args[at] as string;
  return arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : args[at + 1];
}

/** Runs the CLI; returns the exit code. */
export async function main(argv: string[], terminal: Terminal): Promise<number> {
  const [command, ...given] = argv;
  let region = terminal.env.AWS_REGION ?? terminal.env.AWS_DEFAULT_REGION ?? DEFAULT_REGION;
  try {
    const { args: rest, region: flag } = takeRegion(given);
    const config = loadCliConfig(terminal.env, terminal.cwd);
    region = stageRegion(config, flag, terminal.cwd, stageOf(given));
    const io: Io & { cwd: string } = {
      out: (line) => terminal.out(printable(line)),
      err: (line) => terminal.err(printable(line)),
      config: { ...config, region },
      cwd: terminal.cwd,
    };
    switch (command) {
      case 'send':
        return await send(rest, io);
      case 'jobs':
        return await lazy.queries().jobsCommand(rest, io);
      case 'discover':
        return await lazy.queries().discoverCommand(rest, io);
      case 'connections':
        return await lazy.queries().connectionsCommand(rest, io);
      case 'dlq':
        return await lazy.dlqCommand()(rest, io);
      case 'reconcile':
        return await lazy.reconcileCommand()(rest, io);
      case 'notifications':
        return await lazy.notificationsCommand()(rest, io);
      case 'dashboard':
        return await lazy.dashboardCommand()(rest, io);
      case undefined:
      case '-h':
      case '--help':
      case 'help':
        io.out(MAIN_HELP);
        return command === undefined ? 2 : 0;
      default:
        io.err(`unknown command "${command}"\n\n${MAIN_HELP}`);
        return 2;
    }
  } catch (error) {
    terminal.err(printable(explainError(error, command, { region, stage: stageOf(given) })));
    return 2;
  }
}
