import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { SHARED_SECRET_VARIABLE } from '../config/ingest';
import type { LocalStackConfig } from '../config/local-stack';
import {
  LOCAL_CREDENTIALS,
  localDynamoDbClient,
  localSqsClient,
  SECRET_FILE,
  NOTIFICATIONS_FILE,
  SQS_JOURNAL_FILE,
  STACK_FILE,
  type LocalStackInfo,
} from './local-stack-facts';
import { startDynalite, startFauxqs, type RunningEmulator, type RunningSqs } from './emulators';
import { openSqsJournal, type SqsJournal } from './sqs-journal';
import { startFaultProxy, type FaultProxy } from './fault-proxy';
import { startLocalGateway, type HttpHandler, type LocalGateway } from './http-gateway';
import { createQueues, createTables, type LocalRef } from './resources';
import {
  extractDefinition,
  printServiceConfig,
  resolveIntrinsic,
  type ServiceDefinition,
} from './service-definition';
import { startThroughputProxy } from './throughput-proxy';
import { LONG_POLL_SECONDS, startPoller, type Poller, type SqsHandler } from './sqs-poller';
import { startReconcileLoop } from './reconcile-loop';
import { localDashboard } from './dashboard';
import { prepareDashboard } from '../dashboard/server';

export interface LocalStackOptions extends Omit<LocalStackConfig, 'sharedSecret'> {
  /** Project folder holding serverless.yml and functions/. */
  cwd: string;
  /** The environment the handlers inherit (their own variables are set on top). */
  env: Record<string, string | undefined>;
  log: (message: string, fields?: Record<string, unknown>) => void;
}

export interface LocalStack {
  info: LocalStackInfo;
  /** The webhook secret in use, when one is configured or generated. */
  secret?: string;
  /** The previous run's backlog, put back on the queues from the journal at this start. */
  recovered: Recovery;
  /**
   * Cuts (or restores) the handlers' connection to SQS or DynamoDB. Restoring SQS resolves only once
   * every long poll the cut left waiting inside fauxqs has ended: such a receive would claim the
   * next message for a connection that is gone, hiding it for the visibility timeout (as a cut
   * receive can on AWS), which a test would take for a lost message.
   */
  setFault(service: 'sqs' | 'dynamodb', down: boolean): Promise<void>;
  /** Stops; what is still queued stays in the journal for the next start. */
  stop(): Promise<{ leftInQueues: Record<string, number> }>;
}

export interface Recovery {
  /** The journal file. */
  file: string;
  /** Messages put back, per queue name. */
  byQueue: Record<string, number>;
  /** Messages for queues this stage does not define: kept in the journal, not delivered. */
  unknownQueues: Record<string, number>;
  /** Journal lines that could not be read (a line torn by a kill never got its 202). */
  unreadableLines: number;
}

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
async function resolveLocalSecret(
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
function localOverrides(
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
function loadHandler<T>(cwd: string, handler: string): T {
  const dot = handler.lastIndexOf('.');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require(resolve(cwd, handler.slice(0, dot))) as Record<string, unknown>;
  const fn = mod[handler.slice(dot + 1)];
  if (typeof fn !== 'function') throw new Error(`${handler} is not a function`);
  return fn as T;
}

/** Functions the local stack invokes: HTTP routes and SQS event sources. */
const runsHere = (fn: ServiceDefinition['functions'][number]): boolean =>
  fn.httpRoutes.length > 0 || fn.sqs.length > 0;

function functionEnvironment(
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

/**
 * dynalite and fauxqs (journalled), each behind a fault proxy for the handlers, and the partition
 * model between dynalite and its proxy when asked for; each registered in `started` to be closed.
 */
async function startEmulators(
  options: LocalStackOptions,
  dataDir: string,
  region: string,
  journal: SqsJournal,
  started: { close(): Promise<void> }[],
) {
  const dynamo: RunningEmulator = await startDynalite(
    join(dataDir, 'dynamodb'),
    options.dynamodbPort,
  );
  started.push(dynamo);
  const fauxqs: RunningSqs = await startFauxqs(options.sqsPort, journal);
  started.push(fauxqs);
  const sqsProxy: FaultProxy = await startFaultProxy(fauxqs.port);
  started.push(sqsProxy);
  // Handlers → fault proxy → (the partition model, when asked for) → dynalite.
  const modelled =
    options.partitionLimits === undefined
      ? undefined
      : await startThroughputProxy(
          dynamo.port,
          localDynamoDbClient(dynamo.endpoint, region),
          options.partitionLimits,
        );
  if (modelled !== undefined) started.push(modelled);
  const dynamoProxy: FaultProxy = await startFaultProxy(modelled?.port ?? dynamo.port);
  started.push(dynamoProxy);

  return { dynamo, fauxqs, sqsProxy, dynamoProxy, modelled };
}

/** One poller per SQS trigger of `fn` and slot, invoking its real handler. */
function startPollers(
  fn: ServiceDefinition['functions'][number],
  name: string,
  at: {
    options: LocalStackOptions;
    queueRefs: Map<string, LocalRef>;
    sqsEndpoint: string;
    region: string;
  },
): Poller[] {
  const { options, queueRefs, region } = at;
  const pollers: Poller[] = [];
  // One poller per trigger and slot; a FIFO queue gives each group's messages to one poller
  // at a time (fauxqs locks a group while one of its messages is in flight), as Lambda does.
  for (const trigger of fn.sqs) {
    const queue = queueRefs.get(trigger.queueLogicalId);
    if (queue === undefined)
      throw new Error(`${fn.key} polls an undefined queue ${trigger.queueLogicalId}`);
    const sqs = localSqsClient(at.sqsEndpoint, region);
    const handler = loadHandler<SqsHandler>(options.cwd, fn.handler);
    for (let n = 0; n < (options.pollersPerQueue ?? 2); n += 1) {
      pollers.push(
        startPoller({
          sqs,
          queueUrl: queue.ref,
          queueArn: queue.arn,
          region,
          functionName: name,
          timeoutSeconds: fn.timeoutSeconds,
          batchSize: trigger.batchSize,
          reportBatchItemFailures: trigger.reportBatchItemFailures,
          retryDelaySeconds: options.retryDelaySeconds,
          ...(options.visibilityTimeoutSeconds !== undefined && {
            visibilityTimeoutSeconds: options.visibilityTimeoutSeconds,
          }),
          handler,
          log: options.log,
        }),
      );
    }
  }
  return pollers;
}

/** Puts the previous run's journalled backlog back on its queues; says what it put back. */
function restoreJournal(fauxqs: RunningSqs, journal: SqsJournal, file: string): Recovery {
  const unknown = fauxqs.restore(journal.recovered);
  return {
    file,
    byQueue: countByQueue(journal.recovered.filter((m) => !unknown.includes(m))),
    unknownQueues: countByQueue(unknown),
    unreadableLines: journal.unreadable,
  };
}

/** Where the handlers' SDK clients go: the fault proxies, with the stack's credentials. */
const handlerEndpoints = (region: string, sqsPort: number, dynamodbPort: number) => ({
  AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
  AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
  AWS_REGION: region,
  AWS_ENDPOINT_URL_SQS: `http://127.0.0.1:${sqsPort}`,
  AWS_ENDPOINT_URL_DYNAMODB: `http://127.0.0.1:${dynamodbPort}`,
});

/** The webhook and dashboard URLs under the gateway's base URL. */
const stackUrls = (baseUrl: string) => ({
  baseUrl,
  webhookUrls: {
    auto: `${baseUrl}/webhooks`,
    jobs: `${baseUrl}/webhooks/jobs`,
    discover: `${baseUrl}/webhooks/discover`,
    connections: `${baseUrl}/webhooks/connections`,
  },
  dashboardUrl: `${baseUrl}/`,
});

/** Each queue's name, URL and ARN, by logical id. */
const queueFacts = (definition: ServiceDefinition, queueRefs: Map<string, LocalRef>) =>
  Object.fromEntries(
    definition.queues.map((q) => {
      const ref = queueRefs.get(q.logicalId) as LocalRef;
      return [q.logicalId, { name: q.name, url: ref.ref, arn: ref.arn }];
    }),
  );

/**
 * Runs every function the way AWS would: the HTTP one behind the local gateway (with the
 * dashboard's routes before its own), each SQS trigger with pollers. A scheduled function
 * (reconcile) runs as a loop of the stack's own, configured from this shell (HOTGLUE_API_KEY,
 * RECONCILE_INTERVAL); anything else would be silently left out, so it is refused.
 */
async function startFunctions(
  definition: ServiceDefinition,
  at: {
    options: LocalStackOptions;
    queueRefs: Map<string, LocalRef>;
    sqsEndpoint: string;
    region: string;
    local: (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;
  },
): Promise<{ gateway: LocalGateway; pollers: Poller[] }> {
  const { options } = at;
  const gateways: LocalGateway[] = [];
  const pollers: Poller[] = [];
  for (const fn of definition.functions) {
    const name = `${definition.service}-${definition.stage}-${fn.key}`;
    if (!runsHere(fn) && fn.schedules.length === 0)
      throw new Error(`${fn.key} has no HTTP route, SQS queue or schedule the local stack runs`);
    if (fn.httpRoutes.length > 0)
      gateways.push(
        await startLocalGateway({
          host: options.host,
          port: options.port,
          functionName: name,
          timeoutSeconds: fn.timeoutSeconds,
          routes: fn.httpRoutes,
          handler: loadHandler<HttpHandler>(options.cwd, fn.handler),
          onError: (error) => options.log('ingest invocation failed', { error: String(error) }),
          local: at.local,
        }),
      );
    pollers.push(...startPollers(fn, name, at));
  }
  const [gateway] = gateways;
  if (gateway === undefined || gateways.length !== 1)
    throw new Error(`expected one HTTP function, found ${gateways.length}`);
  return { gateway, pollers };
}

/** The dashboard, its page bundled now: a broken build shows at start, the first view waits not. */
async function startDashboard(
  options: Parameters<typeof localDashboard>[0],
): Promise<ReturnType<typeof localDashboard>> {
  const dashboard = localDashboard(options);
  await prepareDashboard();
  return dashboard;
}

/** LocalStack.setFault over the two fault proxies (see its contract). */
const faultSetter =
  (sqsProxy: FaultProxy, dynamoProxy: FaultProxy): LocalStack['setFault'] =>
  async (service, down) => {
    (service === 'sqs' ? sqsProxy : dynamoProxy).setDown(down);
    if (service === 'sqs' && !down)
      await new Promise((resolve) => setTimeout(resolve, LONG_POLL_SECONDS * 1000 + 500));
  };

/** What the running stack tells its users (written to local-stack.json). */
function stackInfo(at: {
  options: LocalStackOptions;
  definition: ServiceDefinition;
  dataDir: string;
  region: string;
  gatewayPort: number;
  dynamodbEndpoint: string;
  sqsEndpoint: string;
  queueRefs: Map<string, LocalRef>;
  tableRefs: Map<string, LocalRef>;
  secretFile: string | undefined;
  partitionModelUrl: string | undefined;
}): LocalStackInfo {
  const { options, definition } = at;
  return {
    ...stackUrls(`http://${options.host}:${at.gatewayPort}`),
    pid: process.pid,
    dynamodbEndpoint: at.dynamodbEndpoint,
    sqsEndpoint: at.sqsEndpoint,
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
 * Every queue and table the definition has, then the previous run's backlog back on its queues
 * (before anything polls them).
 */
async function createResources(
  definition: ServiceDefinition,
  at: {
    sqs: SQSClient;
    dynamo: DynamoDBClient;
    restore: () => Recovery;
    log: LocalStackOptions['log'];
  },
) {
  const queueRefs = await createQueues(at.sqs, definition.queues);
  const tableRefs = await createTables(at.dynamo, definition.tables, at.log);
  return { queueRefs, tableRefs, recovered: at.restore() };
}

/**
 * Starts the whole pipeline on this machine: dynalite and fauxqs, every queue and table that
 * serverless.yml defines, the HTTP routes served by the real ingest handler, and one poller per
 * SQS event source invoking the real consumer handlers.
 */
/** What startLocalStack has set up before it starts anything that must be stopped again. */
interface Launch {
  options: LocalStackOptions;
  dataDir: string;
  definition: ServiceDefinition;
  region: string;
  /** What has been started, to close in reverse order (stopAll) on a failed start or a stop. */
  started: { close(): Promise<void> }[];
  stopAll(): Promise<void>;
  journal: SqsJournal;
  journalFile: string;
}

/** Starts the emulators, resources, handlers and loops of the stack (see startLocalStack). */
async function launch(at: Launch): Promise<LocalStack> {
  const { options, dataDir, definition, region, started, stopAll, journal, journalFile } = at;
  const { dynamo, fauxqs, sqsProxy, dynamoProxy, modelled } = await startEmulators(
    options,
    dataDir,
    region,
    journal,
    started,
  );
  const { queueRefs, tableRefs, recovered } = await createResources(definition, {
    sqs: localSqsClient(fauxqs.endpoint, region),
    dynamo: localDynamoDbClient(dynamo.endpoint, region),
    restore: () => restoreJournal(fauxqs, journal, journalFile),
    log: options.log,
  });
  const refs = new Map([...queueRefs, ...tableRefs]);

  const secret = await resolveLocalSecret({ ...options, dataDir });
  // Handlers read their configuration from process.env at load, as on Lambda.
  Object.assign(process.env, handlerEndpoints(region, sqsProxy.port, dynamoProxy.port), {
    ...functionEnvironment(definition, refs),
    ...localOverrides(options.env, join(dataDir, NOTIFICATIONS_FILE)),
    ...secret.env,
  });
  // The dashboard, served by the gateway beside the webhook routes (never deployed).
  let gatewayPort = 0;
  const dashboard = await startDashboard({
    dynamodbEndpoint: dynamo.endpoint,
    sqsEndpoint: fauxqs.endpoint,
    region,
    tables: tableRefs,
    queues: queueRefs,
    stage: definition.stage,
    host: options.host,
    port: () => gatewayPort,
    notificationsFile: join(dataDir, NOTIFICATIONS_FILE),
  });
  started.push({ close: async () => dashboard.close() });
  const { gateway, pollers } = await startFunctions(definition, {
    options,
    queueRefs,
    sqsEndpoint: `http://127.0.0.1:${sqsProxy.port}`,
    region,
    local: dashboard.handler,
  });
  gatewayPort = gateway.port;
  const info = stackInfo({
    options,
    definition,
    dataDir,
    region,
    gatewayPort: gateway.port,
    dynamodbEndpoint: dynamo.endpoint,
    sqsEndpoint: fauxqs.endpoint,
    queueRefs,
    tableRefs,
    secretFile: secret.file,
    partitionModelUrl: modelled && `${modelled.endpoint}/__partition-model`,
  });
  const stackFile = join(dataDir, STACK_FILE);
  await writeFile(stackFile, JSON.stringify(info, null, 2));
  const reconciling =
    options.reconcile === undefined
      ? undefined
      : startReconcileLoop({ info, ...options.reconcile, log: options.log });
  // Stopped in this order: no new request, no new poll, then the journal's count and the rest.
  const stop = async () => {
    await gateway.close();
    await reconciling?.close();
    await Promise.all(pollers.map((p) => p.stop()));
    const leftInQueues = journal.pendingByQueue();
    await rm(stackFile, { force: true });
    await stopAll();
    return { leftInQueues };
  };
  const setFault = faultSetter(sqsProxy, dynamoProxy);
  return { info, recovered, ...(secret.secret && { secret: secret.secret }), setFault, stop };
}

export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const dataDir = resolve(options.dataDir);
  await mkdir(dataDir, { recursive: true });
  const definition = extractDefinition(
    await printServiceConfig(options.cwd, options.stage, dataDir),
  );
  const region = options.region ?? definition.region;
  const started: { close(): Promise<void> }[] = [];
  const stopAll = async (): Promise<void> => {
    for (const s of started.reverse()) await s.close().catch(() => undefined);
  };
  const journalFile = join(dataDir, SQS_JOURNAL_FILE);
  const journal: SqsJournal = openSqsJournal(journalFile);
  started.push({ close: async () => journal.close() });
  try {
    return await launch({
      options,
      dataDir,
      definition,
      region,
      started,
      stopAll,
      journal,
      journalFile,
    });
  } catch (error) {
    await stopAll();
    throw error;
  }
}
