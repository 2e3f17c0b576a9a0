import { parseArgs } from 'node:util';
import type { CliConfig } from '../config/cli';
import { AmbiguousJobIdError, type RecordQueries } from '../ports/event-store';
import { take, type ConnectionView } from '../records/views';
import { checkWindow, countOf } from '../read-api/params';
import { parseSince } from '../webhook/time';
import { fields, table } from './format';
import { resolveTarget } from './target';
import { CONNECTIONS_HELP, DISCOVER_HELP, JOBS_HELP } from './query-help';

/** Where the CLI writes, and its configuration. */
export interface Io {
  out(line: string): void;
  err(line: string): void;
  config: CliConfig;
}

const common = {
  json: { type: 'boolean', default: false },
  stage: { type: 'string' },
  limit: { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

/** --limit: a whole number of at least 1 (refused as the read API refuses a bad limit). */
const limitOf = (value: string | undefined, fallback: number): number =>
  countOf(value, fallback, '--limit');

const json = (io: Io, value: unknown) => io.out(JSON.stringify(value, null, 2));

/** Runs `fn` against the resolved target's records and always releases its client. */
export async function withRecords<T>(
  stage: string | undefined,
  io: Io,
  fn: (records: RecordQueries) => Promise<T>,
): Promise<T> {
  const target = await resolveTarget(stage, io.config);
  try {
    return await fn(target.records);
  } finally {
    target.close();
  }
}

type Column<T> = [header: string, value: (item: T) => unknown];

/** An array as JSON, or as a table with the given columns. */
export function printList<T>(io: Io, asJson: boolean, items: T[], columns: Column<T>[]): void {
  if (asJson) json(io, items);
  else
    io.out(
      table(
        columns.map(([header]) => header),
        items.map((item) => columns.map(([, value]) => value(item))),
      ),
    );
}

/** The options every list command takes. */
interface ListOptions {
  limit?: string;
  json: boolean;
  stage?: string;
}

/** A list command's run: up to --limit items of `list`, printed as JSON or as these columns. */
async function runList<T>(
  io: Io,
  options: ListOptions,
  list: {
    defaultLimit: number;
    items: (records: RecordQueries) => AsyncIterable<T>;
    columns: Column<T>[];
  },
): Promise<number> {
  const limit = limitOf(options.limit, list.defaultLimit);
  const items = await withRecords(options.stage, io, (records) => take(list.items(records), limit));
  printList(io, options.json, items, list.columns);
  return 0;
}

/** Whether a command was asked for its help (`--help` before or after the subcommand). */
const helpAsked = (sub: string | undefined, values: { help: boolean }): boolean =>
  values.help || sub === '--help' || sub === '-h';

/** Drops options that were not given, so that filters carry only what was asked. */
function given<T extends Record<string, unknown>>(
  options: T,
): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(
    Object.entries(options).filter(([, v]) => v !== undefined && v !== false),
  ) as {
    [K in keyof T]?: Exclude<T[K], undefined>;
  };
}

/** jobs get: one job, by s3_root or job_id, with its history. */
async function getJobCommand(
  id: string,
  stage: string | undefined,
  asJson: boolean,
  io: Io,
): Promise<number> {
  const target = await resolveTarget(stage, io.config);
  try {
    const job = await target.records.getJob(id);
    if (job === undefined) {
      io.err(`no job ${id}`);
      return 1;
    }
    if (asJson) {
      json(io, job);
    } else {
      io.out(
        fields(job, [
          's3_root',
          'job_id',
          'tenant',
          'flow_id',
          'env_id',
          'status',
          'started_at',
          'updated_at',
          'tap',
          'target',
          'error',
          'message',
        ]),
      );
      io.out('');
      io.out(
        table(
          ['TIME', 'STATUS', 'RECORDS', 'ERROR'],
          job.history.map((h) => [h.time, h.status, h.record_count, h.error ?? h.message]),
        ),
      );
    }
    return 0;
  } catch (error) {
    if (error instanceof AmbiguousJobIdError) {
      io.err(error.message);
      return 1;
    }
    throw error;
  } finally {
    target.close();
  }
}

export async function jobsCommand(args: string[], io: Io): Promise<number> {
  const [sub, ...rest] = args;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      ...common,
      tenant: { type: 'string' },
      flow: { type: 'string' },
      env: { type: 'string' },
      status: { type: 'string' },
      since: { type: 'string' },
      until: { type: 'string' },
      'updated-since': { type: 'string' },
    },
  });
  if (helpAsked(sub, values)) {
    io.out(JOBS_HELP);
    return 0;
  }
  if (sub === 'get') {
    const id = positionals[0];
    if (id === undefined || positionals.length !== 1) {
      io.err(`jobs get needs one s3_root or job_id\n\n${JOBS_HELP}`);
      return 2;
    }
    return getJobCommand(id, values.stage, values.json, io);
  }
  if (sub === 'list') {
    if (positionals.length > 0) {
      io.err(`jobs list takes no arguments, only options\n\n${JOBS_HELP}`);
      return 2;
    }
    const since = values.since === undefined ? undefined : parseSince(values.since);
    const until = values.until === undefined ? undefined : parseSince(values.until, '--until');
    const updated = values['updated-since'];
    const updatedSince = updated === undefined ? undefined : parseSince(updated, '--updated-since');
    checkWindow(since, until, ['--since', '--until']);
    const filter = given({
      tenant: values.tenant,
      flow: values.flow,
      env: values.env,
      status: values.status,
      since,
      until,
      updatedSince,
    });
    return runList(io, values, {
      defaultLimit: 50,
      items: (records) => records.listJobs(filter),
      columns: [
        ['STARTED', (j) => j.started_at],
        ['UPDATED', (j) => j.updated_at],
        ['STATUS', (j) => j.status],
        ['TENANT', (j) => j.tenant],
        ['FLOW', (j) => j.flow_id],
        ['JOB_ID', (j) => j.job_id],
        ['S3_ROOT', (j) => j.s3_root],
      ],
    });
  }
  io.err(`jobs needs get or list\n\n${JOBS_HELP}`);
  return 2;
}

export async function discoverCommand(args: string[], io: Io): Promise<number> {
  const [sub, ...rest] = args;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      ...common,
      tenant: { type: 'string' },
      flow: { type: 'string' },
      status: { type: 'string' },
    },
  });
  if (helpAsked(sub, values)) {
    io.out(DISCOVER_HELP);
    return 0;
  }
  if (sub !== 'list' || positionals.length > 0) {
    io.err(`discover needs list\n\n${DISCOVER_HELP}`);
    return 2;
  }
  const filter = given({ tenant: values.tenant, flow: values.flow, status: values.status });
  return runList(io, values, {
    defaultLimit: 100,
    items: (records) => records.listDiscover(filter),
    columns: [
      ['TENANT', (s) => s.tenant],
      ['FLOW', (s) => s.flow_id],
      ['CONNECTOR', (s) => s.connector],
      ['ENV', (s) => s.env_id],
      ['STATUS', (s) => s.status],
      ['LAST_STARTED', (s) => s.last_started_at],
      ['LAST_SUCCESS', (s) => s.last_success_at],
      ['LAST_FAILED', (s) => s.last_failed_at],
      ['ERROR', (s) => s.error ?? s.message],
    ],
  });
}

export async function connectionsCommand(args: string[], io: Io): Promise<number> {
  const [sub, ...rest] = args;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      ...common,
      tenant: { type: 'string' },
      flow: { type: 'string' },
      linked: { type: 'boolean', default: false },
      connector: { type: 'string' },
      type: { type: 'string' },
      env: { type: 'string' },
      before: { type: 'string' },
    },
  });
  if (helpAsked(sub, values)) {
    io.out(CONNECTIONS_HELP);
    return 0;
  }
  if ((sub !== 'list' && sub !== 'history') || positionals.length > 0) {
    io.err(`connections needs list or history\n\n${CONNECTIONS_HELP}`);
    return 2;
  }
  if (sub === 'history') return connectionHistoryCommand(values, io);
  const filter = given({ tenant: values.tenant, flow: values.flow, linked: values.linked });
  return runList(io, values, {
    defaultLimit: 100,
    items: (records) => records.listConnections(filter),
    columns: [
      ['TENANT', (c) => c.tenant],
      ['FLOW', (c) => c.flow_id],
      ['TYPE', (c) => c.connector_type],
      ['CONNECTOR', (c) => c.connector],
      ['ENV', (c) => c.env_id],
      ['EVENT', (c) => c.event],
      ['LINKED', (c) => c.linked],
      ['UPDATED', (c) => c.updated_at],
    ],
  });
}

interface HistoryOptions {
  tenant?: string;
  flow?: string;
  connector?: string;
  type?: string;
  env?: string;
  before?: string;
  limit?: string;
  json: boolean;
  stage?: string;
}

/** The one connection the options name, or why they do not name exactly one. */
async function theConnection(
  records: RecordQueries,
  o: HistoryOptions,
): Promise<ConnectionView | string> {
  const found = (await take(records.listConnections({ tenant: o.tenant, flow: o.flow }), 1000))
    .filter((c) => c.connector === o.connector)
    .filter((c) => o.type === undefined || c.connector_type === o.type)
    .filter((c) => o.env === undefined || c.env_id === o.env);
  if (found.length === 1 && found[0] !== undefined) return found[0];
  if (found.length === 0)
    return `no connection ${o.connector} of tenant ${o.tenant}, flow ${o.flow}`;
  const which = found.map((c) => `--type ${c.connector_type} --env ${c.env_id}`).join('; ');
  return `${found.length} connections match; name one: ${which}`;
}

/** connections history: one connection's events, newest first, one page. */
async function connectionHistoryCommand(o: HistoryOptions, io: Io): Promise<number> {
  if (o.tenant === undefined || o.flow === undefined || o.connector === undefined) {
    io.err(`connections history needs --tenant, --flow and --connector\n\n${CONNECTIONS_HELP}`);
    return 2;
  }
  const limit = limitOf(o.limit, 50);
  const answer = await withRecords(o.stage, io, async (records) => {
    const connection = await theConnection(records, o);
    if (typeof connection === 'string') return connection;
    return records.connectionHistory(connection, { limit, ...given({ before: o.before }) });
  });
  if (typeof answer === 'string' || answer === undefined) {
    io.err(answer ?? 'the connection is gone');
    return 1;
  }
  if (o.json) json(io, answer);
  else {
    printList(io, false, answer.items, [
      ['TIMESTAMP', (e) => e.timestamp],
      ['EVENT', (e) => e.event],
      ['EVENT_ID', (e) => e.event_id],
      ['FIRST_LINK', (e) => e.first_link],
    ]);
    if (answer.next !== null) io.out(`older events: --before ${answer.next}`);
  }
  return 0;
}
