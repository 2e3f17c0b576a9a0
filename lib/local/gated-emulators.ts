import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { localDynamoDbClient } from './local-stack-facts';
import { startDynalite, startFauxqs, type RunningEmulator, type RunningSqs } from './emulators';
import {
  newAccessKeyId,
  startEmulatorGate,
  type GateOptions,
  type LocalAddress,
} from './emulator-gate';
import { startFaultProxy, type FaultProxy } from './fault-proxy';
import type { SqsJournal } from './sqs-journal';
import {
  PARTITION_MODEL_PATH,
  startThroughputProxy,
  type ThroughputProxy,
} from './throughput-proxy';
import type { LocalStackOptions } from './stack-types';

/**
 * dynalite and fauxqs (journalled) on unix sockets in a private folder, which no web page can
 * reach: the stack's ways in are gates on 127.0.0.1 (see emulator-gate.ts), each admitting only
 * requests signed with this run's access key id. The stack's own clients, the CLI and the
 * dashboard go through `dynamo` and `sqs`; the handlers through `dynamoHandlers` and
 * `sqsHandlers`, with a fault proxy behind each (and the partition model before dynalite when
 * asked for). Each part is registered in `started` to be closed.
 */
export async function startGatedEmulators(
  options: LocalStackOptions,
  dataDir: string,
  region: string,
  journal: SqsJournal,
  started: { close(): Promise<void> }[],
) {
  const sockets = await mkdtemp(join(tmpdir(), 'hotglue-webhooks-'));
  started.push({ close: () => rm(sockets, { recursive: true, force: true }) });
  const socket = (name: string) => join(sockets, `${name}.sock`);
  const accessKeyId = newAccessKeyId();
  const gate = async (upstream: LocalAddress, port: number, more: Partial<GateOptions> = {}) => {
    const running = await startEmulatorGate({ upstream, port, accessKeyId, ...more });
    started.push(running);
    return running;
  };
  const dynamoDb: RunningEmulator = await startDynalite(
    join(dataDir, 'dynamodb'),
    socket('dynamodb'),
  );
  started.push(dynamoDb);
  const fauxqs: RunningSqs = await startFauxqs(socket('sqs'), journal);
  started.push(fauxqs);
  let modelled: ThroughputProxy | undefined;
  const dynamo = await gate(dynamoDb.address, options.dynamodbPort, {
    portVariable: 'DYNAMODB_PORT',
    open: (method, path) =>
      method === 'GET' && path === PARTITION_MODEL_PATH ? modelled?.report() : undefined,
  });
  const sqs = await gate(fauxqs.address, options.sqsPort, { portVariable: 'SQS_PORT' });
  if (options.partitionLimits !== undefined) {
    modelled = await startThroughputProxy(
      { socketPath: socket('dynamodb') },
      localDynamoDbClient(dynamo.endpoint, region, accessKeyId),
      options.partitionLimits,
      { socketPath: socket('partition-model') },
    );
    started.push(modelled);
  }
  const sqsProxy: FaultProxy = await startFaultProxy(fauxqs.address, socket('sqs-fault'));
  started.push(sqsProxy);
  const dynamoProxy: FaultProxy = await startFaultProxy(
    modelled?.address ?? dynamoDb.address,
    socket('dynamodb-fault'),
  );
  started.push(dynamoProxy);
  const sqsHandlers = await gate(sqsProxy.address, 0);
  const dynamoHandlers = await gate(dynamoProxy.address, 0);
  return {
    accessKeyId,
    fauxqs,
    dynamo,
    sqs,
    dynamoHandlers,
    sqsHandlers,
    sqsProxy,
    dynamoProxy,
    modelled,
  };
}
