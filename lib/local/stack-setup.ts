import { randomBytes } from 'node:crypto';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { SHARED_SECRET_VARIABLE } from '../config/ingest';
import type { RunningSqs } from './emulators';
import {
  LOCAL_CREDENTIALS,
  NOTIFICATIONS_FILE,
  SECRET_FILE,
  STACK_FILE,
  type LocalStackInfo,
} from './local-stack-facts';
import type { LocalRef } from './resources';
import { resolveIntrinsic, type ServiceDefinition } from './service-definition';
import type { SqsJournal } from './sqs-journal';
import type { LocalStackOptions, Recovery } from './stack-types';

/**
 * What the local stack hands its handlers (their environment, as Lambda would) and its users
 * (local-stack.json), and what it reads back at start (the secret, the journal's backlog).
 */

const countByQueue = (messages: readonly { queue: string }[]): Record<string, number> => {
  const counts: Record<string, number> = {};
  for (const { queue } of messages) counts[queue] = (counts[queue] ?? 0) + 1;
  return counts;
};

/**
 * The webhook secret for the local stack: WEBHOOK_SECRET (or per-kind secrets) when set;
 * otherwise, unless unsigned events are allowed, one generated on first start and kept in the
 * data folder so that later starts and the CLI use the same one.
 */
export async function resolveLocalSecret(
  options: LocalStackOptions,
): Promise<{ env: Record<string, string>; secret?: string; file?: string }> {
  if (options.secretsConfigured) {
    const shared = options.env[SHARED_SECRET_VARIABLE];
    return { env: {}, ...(shared !== undefined && shared !== '' && { secret: shared }) };
  }
  if (options.allowUnsigned) return { env: {} };
  const file = join(options.dataDir, SECRET_FILE);
  let secret: string;
  try {
    secret = (await readFile(file, 'utf8')).trim();
  } catch {
    secret = randomBytes(24).toString('hex');
    await writeFile(file, `${secret}\n`, { mode: 0o600 });
  }
  return { env: { [SHARED_SECRET_VARIABLE]: secret }, secret, file };
}

/**
 * What differs from a deployment on purpose: secrets come from WEBHOOK_SECRET and friends instead
 * of SSM, the signature opt-ins from this shell rather than the stage params, EMF metrics (which
 * would print a JSON blob per event) are off unless asked for, and notifications go to the log,
 * a file and NOTIFY_URL instead of an EventBridge bus.
 */
export function localOverrides(
  env: Record<string, string | undefined>,
  notificationsFile: string,
): Record<string, string> {
  const overrides: Record<string, string> = {
    WEBHOOK_SECRETS_SSM_PATH: '',
    POWERTOOLS_METRICS_DISABLED: env.POWERTOOLS_METRICS_DISABLED ?? 'true',
    EVENT_BUS_NAME: '',
    NOTIFICATIONS_FILE: notificationsFile,
    NOTIFY_URL: env.NOTIFY_URL ?? '',
  };
  for (const name of [
    'WEBHOOK_ALLOW_UNSIGNED',
    'WEBHOOK_SIGNATURE_JSON_FALLBACK',
    'HISTORY_RETENTION_DAYS',
    'RECORD_RETENTION_DAYS',
  ]) {
    const value = env[name];
    if (value !== undefined) overrides[name] = value;
  }
  return overrides;
}

/** Loads `functions/x.handler` from the project, as Lambda would load the bundle. */
export function loadHandler<T>(cwd: string, handler: string): T {
  const dot = handler.lastIndexOf('.');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require(resolve(cwd, handler.slice(0, dot))) as Record<string, unknown>;
  const fn = mod[handler.slice(dot + 1)];
  if (typeof fn !== 'function') throw new Error(`${handler} is not a function`);
  return fn as T;
}

/** Functions the local stack invokes: HTTP routes and SQS event sources. */
export const runsHere = (fn: ServiceDefinition['functions'][number]): boolean =>
  fn.httpRoutes.length > 0 || fn.sqs.length > 0;

export function functionEnvironment(
  definition: ServiceDefinition,
  refs: Map<string, LocalRef>,
): Record<string, string> {
  const merged: Record<string, string> = {};
  const add = (name: string, value: unknown, owner: string): void => {
    const resolved = resolveIntrinsic(value, refs);
    if (merged[name] !== undefined && merged[name] !== resolved) {
      // Handlers share one process here, so their variables must not disagree.
      throw new Error(`environment variable ${name} differs between functions (${owner})`);
    }
    merged[name] = resolved;
  };
  for (const [name, value] of Object.entries(definition.providerEnvironment))
    add(name, value, 'provider');
  // Only the functions this process runs: a scheduled function's variables (HOTGLUE_API_URL, …)
  // would override the shell's, and the local loop reads those instead (see startLocalStack).
  for (const fn of definition.functions.filter(runsHere)) {
    for (const [name, value] of Object.entries(fn.environment)) add(name, value, fn.key);
  }
  return merged;
}

/** Puts the previous run's journalled backlog back on its queues; says what it put back. */
export function restoreJournal(fauxqs: RunningSqs, journal: SqsJournal, file: string): Recovery {
  const unknown = fauxqs.restore(journal.recovered);
  return {
    file,
    byQueue: countByQueue(journal.recovered.filter((m) => !unknown.includes(m))),
    unknownQueues: countByQueue(unknown),
    unreadableLines: journal.unreadable,
  };
}

/**
 * Where the handlers' SDK clients go: the gates in front of the fault proxies, signed with the
 * stack's per-run access key id.
 */
export const handlerEndpoints = (
  region: string,
  gates: {
    accessKeyId: string;
    sqsHandlers: { endpoint: string };
    dynamoHandlers: { endpoint: string };
  },
) => ({
  AWS_ACCESS_KEY_ID: gates.accessKeyId,
  AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
  AWS_REGION: region,
  AWS_ENDPOINT_URL_SQS: gates.sqsHandlers.endpoint,
  AWS_ENDPOINT_URL_DYNAMODB: gates.dynamoHandlers.endpoint,
});

/** The webhook URLs under the gateway's base URL. */
const stackUrls = (baseUrl: string) => ({
  baseUrl,
  webhookUrls: {
    auto: `${baseUrl}/webhooks`,
    jobs: `${baseUrl}/webhooks/jobs`,
    discover: `${baseUrl}/webhooks/discover`,
    connections: `${baseUrl}/webhooks/connections`,
  },
});

/** Each queue's name, URL and ARN, by logical id. */
const queueFacts = (definition: ServiceDefinition, queueRefs: Map<string, LocalRef>) =>
  Object.fromEntries(
    definition.queues.map((q) => {
      const ref = queueRefs.get(q.logicalId) as LocalRef;
      return [q.logicalId, { name: q.name, url: ref.ref, arn: ref.arn }];
    }),
  );

/** What the running stack tells its users (written to local-stack.json). */
export function stackInfo(at: {
  options: LocalStackOptions;
  definition: ServiceDefinition;
  dataDir: string;
  region: string;
  gatewayPort: number;
  dashboardUrl: string;
  dynamodbEndpoint: string;
  sqsEndpoint: string;
  accessKeyId: string;
  queueRefs: Map<string, LocalRef>;
  tableRefs: Map<string, LocalRef>;
  secretFile: string | undefined;
  partitionModelUrl: string | undefined;
}): LocalStackInfo {
  const { options, definition } = at;
  return {
    ...stackUrls(`http://${options.host}:${at.gatewayPort}`),
    dashboardUrl: at.dashboardUrl,
    pid: process.pid,
    dynamodbEndpoint: at.dynamodbEndpoint,
    sqsEndpoint: at.sqsEndpoint,
    accessKeyId: at.accessKeyId,
    region: at.region,
    stage: definition.stage,
    dataDir: at.dataDir,
    routes: definition.functions.flatMap((f) => f.httpRoutes),
    queues: queueFacts(definition, at.queueRefs),
    tables: Object.fromEntries([...at.tableRefs].map(([id, ref]) => [id, ref.ref])),
    ...(at.secretFile !== undefined && { secretFile: at.secretFile }),
    notificationsFile: join(at.dataDir, NOTIFICATIONS_FILE),
    ...(options.notifyUrl !== undefined && { notifyUrl: options.notifyUrl }),
    ...(at.partitionModelUrl !== undefined && { partitionModelUrl: at.partitionModelUrl }),
  };
}

/**
 * Writes local-stack.json into the data folder; returns its path. It holds the access key id, so
 * it is the owner's only (mode 0600, also when a crashed run left one behind).
 */
export async function writeStackInfo(info: LocalStackInfo): Promise<string> {
  const file = join(info.dataDir, STACK_FILE);
  await writeFile(file, JSON.stringify(info, null, 2), { mode: 0o600 });
  await chmod(file, 0o600);
  return file;
}
