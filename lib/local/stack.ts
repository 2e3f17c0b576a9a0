import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { mkdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  localDynamoDbClient,
  localSqsClient,
  NOTIFICATIONS_FILE,
  SQS_JOURNAL_FILE,
} from './local-stack-facts';
import { openSqsJournal, type SqsJournal } from './sqs-journal';
import type { FaultProxy } from './fault-proxy';
import { startLocalGateway, type HttpHandler, type LocalGateway } from './http-gateway';
import { createQueues, createTables, type LocalRef } from './resources';
import {
  extractDefinition,
  printServiceConfig,
  type ServiceDefinition,
} from './service-definition';
import { PARTITION_MODEL_PATH } from './throughput-proxy';
import { isLoopbackHost } from './emulator-gate';
import { startGatedEmulators } from './gated-emulators';
import { LONG_POLL_SECONDS, startPoller, type Poller, type SqsHandler } from './sqs-poller';
import { startReconcileLoop } from './reconcile-loop';
import { localDashboard, serveApart } from './dashboard';
import { prepareDashboard } from '../dashboard/server';
import {
  functionEnvironment,
  handlerEndpoints,
  loadHandler,
  localOverrides,
  resolveLocalSecret,
  restoreJournal,
  runsHere,
  stackInfo,
  writeStackInfo,
} from './stack-setup';
import type { LocalStack, LocalStackOptions, Recovery } from './stack-types';

/** One poller per SQS trigger of `fn` and slot, invoking its real handler. */
function startPollers(
  fn: ServiceDefinition['functions'][number],
  name: string,
  at: {
    options: LocalStackOptions;
    queueRefs: Map<string, LocalRef>;
    sqsEndpoint: string;
    accessKeyId: string;
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
    const sqs = localSqsClient(at.sqsEndpoint, region, at.accessKeyId);
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
    accessKeyId: string;
    region: string;
    /** The dashboard's routes, when it is served beside the webhook routes. */
    local?: (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;
    /** Each part as it starts, so that a failed start stops what it opened. */
    started: { close(): Promise<void> }[];
  },
): Promise<{ gateway: LocalGateway; pollers: Poller[] }> {
  const { options } = at;
  const gateways: LocalGateway[] = [];
  const pollers: Poller[] = [];
  for (const fn of definition.functions) {
    const name = `${definition.service}-${definition.stage}-${fn.key}`;
    // Nothing triggers it on this stage (the read function without readApi: npm start serves
    // /v1 itself, beside the dashboard).
    if (fn.eventCount === 0) continue;
    if (!runsHere(fn) && fn.schedules.length === 0)
      throw new Error(`${fn.key} has no HTTP route, SQS queue or schedule the local stack runs`);
    if (fn.httpRoutes.length > 0) {
      const gateway = await startLocalGateway({
        host: options.host,
        port: options.port,
        functionName: name,
        timeoutSeconds: fn.timeoutSeconds,
        routes: fn.httpRoutes,
        handler: loadHandler<HttpHandler>(options.cwd, fn.handler),
        onError: (error, requestId) =>
          options.log('ingest invocation failed', { requestId, error: String(error) }),
        ...(at.local !== undefined && { local: at.local }),
      });
      at.started.push(gateway);
      gateways.push(gateway);
    }
    const started = startPollers(fn, name, at);
    at.started.push(...started.map((p) => ({ close: () => p.stop() })));
    pollers.push(...started);
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
const faultSetter = (sqsProxy: FaultProxy, dynamoProxy: FaultProxy): LocalStack['setFault'] => {
  // A receive the cut left waiting inside fauxqs ends one long poll after it began, at the latest.
  let sqsCutAt: number | undefined;
  return async (service, down) => {
    (service === 'sqs' ? sqsProxy : dynamoProxy).setDown(down);
    if (service !== 'sqs') return;
    if (down) {
      sqsCutAt = Date.now();
      return;
    }
    const ended = (sqsCutAt ?? 0) + LONG_POLL_SECONDS * 1000 + 500;
    sqsCutAt = undefined;
    if (ended > Date.now()) await new Promise((resolve) => setTimeout(resolve, ended - Date.now()));
  };
};

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
    dataDir: string;
  },
) {
  const queueRefs = await createQueues(at.sqs, definition.queues);
  const tableRefs = await createTables(
    at.dynamo,
    definition.tables,
    `the data folder ${at.dataDir}`,
  );
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
  const doors = await startGatedEmulators(options, dataDir, region, journal, started);
  const { accessKeyId, fauxqs, dynamo, sqs } = doors;
  const { queueRefs, tableRefs, recovered } = await createResources(definition, {
    sqs: localSqsClient(sqs.endpoint, region, accessKeyId),
    dynamo: localDynamoDbClient(dynamo.endpoint, region, accessKeyId),
    restore: () => restoreJournal(fauxqs, journal, journalFile),
    dataDir,
  });
  const refs = new Map([...queueRefs, ...tableRefs]);

  const secret = await resolveLocalSecret({ ...options, dataDir });
  // Handlers read their configuration from process.env at load, as on Lambda.
  Object.assign(process.env, handlerEndpoints(region, doors), {
    ...functionEnvironment(definition, refs),
    ...localOverrides(options.env, join(dataDir, NOTIFICATIONS_FILE)),
    ...secret.env,
  });
  // The dashboard and read API: beside the webhook routes when HOST is loopback, else on a
  // loopback port of their own, so that HOST opens the webhook routes only (never deployed).
  const beside = isLoopbackHost(options.host);
  let dashboardPort = 0;
  const dashboard = await startDashboard({
    dynamodbEndpoint: dynamo.endpoint,
    sqsEndpoint: sqs.endpoint,
    accessKeyId,
    region,
    tables: tableRefs,
    queues: queueRefs,
    stage: definition.stage,
    host: beside ? options.host : '127.0.0.1',
    port: () => dashboardPort,
    notificationsFile: join(dataDir, NOTIFICATIONS_FILE),
  });
  started.push({ close: async () => dashboard.close() });
  const { gateway, pollers } = await startFunctions(definition, {
    options,
    queueRefs,
    sqsEndpoint: `http://127.0.0.1:${doors.sqsHandlers.port}`,
    accessKeyId,
    region,
    ...(beside && { local: dashboard.handler }),
    started,
  });
  dashboardPort = beside ? gateway.port : await serveApart(dashboard.handler, started);
  const info = stackInfo({
    options,
    definition,
    dataDir,
    region,
    gatewayPort: gateway.port,
    dashboardUrl: `http://${beside ? options.host : '127.0.0.1'}:${dashboardPort}/`,
    dynamodbEndpoint: dynamo.endpoint,
    sqsEndpoint: sqs.endpoint,
    accessKeyId,
    queueRefs,
    tableRefs,
    secretFile: secret.file,
    partitionModelUrl: doors.modelled && `${dynamo.endpoint}${PARTITION_MODEL_PATH}`,
  });
  const stackFile = await writeStackInfo(info);
  const reconciling =
    options.reconcile === undefined
      ? undefined
      : startReconcileLoop({ info, ...options.reconcile, log: options.log });
  if (reconciling !== undefined) started.push(reconciling);
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
  const setFault = faultSetter(doors.sqsProxy, doors.dynamoProxy);
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
