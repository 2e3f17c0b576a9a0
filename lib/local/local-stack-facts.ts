import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { toDocumentClient } from '../aws/dynamodb-client';
import { TOOL_REQUEST_HANDLER } from '../aws/request-limits';
import { KINDS, type Kind } from '../webhook/kinds';

/**
 * Everything other programs need to know about a running local stack (the CLI, the tests, the
 * load and bench scripts): where it writes its facts, how to sign in, and where each kind's
 * table and queues are.
 */

/** The file in the data folder where a running stack writes its LocalStackInfo. */
export const STACK_FILE = 'local-stack.json';
/** The file in the data folder holding the generated webhook secret. */
export const SECRET_FILE = 'webhook-secret';
/** The file in the data folder journalling every queued message (see lib/local/sqs-journal.ts). */
export const SQS_JOURNAL_FILE = 'sqs-journal.ndjson';
/** Every notification the stack delivered, one JSON line each (`notifications tail` follows it). */
export const NOTIFICATIONS_FILE = 'notifications.ndjson';
/**
 * Credentials for an emulator started without a gate (the tests' own dynalite and fauxqs): they
 * check that a request is signed, not by whom. A running stack's gates admit only its per-run
 * access key id (LocalStackInfo.accessKeyId), signed with this same secret.
 */
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' } as const;

/** The credentials for an emulator's endpoint: the stack's per-run key id when given. */
const credentialsFor = (accessKeyId: string | undefined) =>
  accessKeyId === undefined ? LOCAL_CREDENTIALS : { ...LOCAL_CREDENTIALS, accessKeyId };

interface KindResources {
  table: string;
  /** The kind's FIFO queue and its FIFO dead-letter queue. */
  queue: string;
  deadLetterQueue: string;
}

/** serverless.yml's logical ids of each kind's table, queue and dead-letter queue. */
export const LOGICAL_IDS: Record<Kind, KindResources> = {
  jobs: {
    table: 'JobsTable',
    queue: 'JobsFifoQueue',
    deadLetterQueue: 'JobsFifoDeadLetterQueue',
  },
  discover: {
    table: 'DiscoverTable',
    queue: 'DiscoverFifoQueue',
    deadLetterQueue: 'DiscoverFifoDeadLetterQueue',
  },
  connections: {
    table: 'ConnectionsTable',
    queue: 'ConnectionsFifoQueue',
    deadLetterQueue: 'ConnectionsFifoDeadLetterQueue',
  },
};

/** What a running stack tells its users; written to `<dataDir>/local-stack.json`. */
export interface LocalStackInfo {
  pid: number;
  baseUrl: string;
  webhookUrls: Record<'auto' | Kind, string>;
  /** The gates in front of dynalite and fauxqs (see emulator-gate.ts). */
  dynamodbEndpoint: string;
  sqsEndpoint: string;
  /**
   * The access key id the gates admit, new on every start: sign with it (the file is 0600, and
   * the stack never prints it).
   */
  accessKeyId: string;
  region: string;
  stage: string;
  dataDir: string;
  /** HTTP API route keys served, as serverless.yml defines them. */
  routes: string[];
  /** By logical id. */
  queues: Record<string, { name: string; url: string; arn: string }>;
  /** Table names by logical id. */
  tables: Record<string, string>;
  /** Where the generated secret is kept, when the stack generated one. */
  secretFile?: string;
  /** The dashboard, served beside the webhook routes. */
  dashboardUrl: string;
  /** Every delivered notification, one JSON line each. */
  notificationsFile: string;
  /** Where notifications are POSTed (NOTIFY_URL), when set. */
  notifyUrl?: string;
  /** What the partition model saw (LOCAL_PARTITION_WRITE_UNITS), when it runs: GET it. */
  partitionModelUrl?: string;
}

/** Reads the facts of the stack running on `dataDir`; explains what to do when there is none. */
export async function readLocalStackInfo(dataDir: string): Promise<LocalStackInfo> {
  const file = join(dataDir, STACK_FILE);
  let info: LocalStackInfo;
  try {
    info = JSON.parse(await readFile(file, 'utf8')) as LocalStackInfo;
  } catch {
    throw new Error(
      `no local stack is running here (no ${file}): start one with "npm start", or pass --stage NAME`,
    );
  }
  // A stack killed with SIGKILL (or a crash) leaves its file behind: its process is gone.
  if (!processAlive(info.pid))
    throw new Error(
      `no local stack is running here (${file} is left from one that stopped without cleaning up, pid ${info.pid}): start one with "npm start", or pass --stage NAME`,
    );
  return info;
}

/** Whether a process with this id runs (signal 0 only checks; EPERM means it runs as another user). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Each kind's table name in a running stack. */
export const localTables = (info: LocalStackInfo): Record<Kind, string> =>
  Object.fromEntries(
    KINDS.map((kind) => [kind, info.tables[LOGICAL_IDS[kind].table] ?? '']),
  ) as Record<Kind, string>;

/** A kind's queue URLs: its FIFO queue and its DLQ. */
export interface KindQueueUrls {
  source: string;
  deadLetter: string;
}

/** Each kind's queue and dead-letter queue URLs in a running stack. */
export function localQueueUrls(info: LocalStackInfo, kind: Kind): KindQueueUrls {
  const ids = LOGICAL_IDS[kind];
  const source = info.queues[ids.queue]?.url;
  const deadLetter = info.queues[ids.deadLetterQueue]?.url;
  if (source === undefined || deadLetter === undefined)
    throw new Error(`the local stack has no ${kind} queues`);
  return { source, deadLetter };
}

/**
 * An SQS client for a local emulator (its queue URLs name a host that does not resolve). Pass a
 * running stack's `accessKeyId` for its endpoints: its gates refuse any other.
 */
export const localSqsClient = (endpoint: string, region: string, accessKeyId?: string): SQSClient =>
  new SQSClient({
    region,
    endpoint,
    credentials: credentialsFor(accessKeyId),
    useQueueUrlAsEndpoint: false,
    requestHandler: TOOL_REQUEST_HANDLER,
  });

/** A DynamoDB client for a local emulator; a running stack's `accessKeyId` for its endpoint. */
export const localDynamoDbClient = (
  endpoint: string,
  region: string,
  accessKeyId?: string,
): DynamoDBClient =>
  new DynamoDBClient({
    region,
    endpoint,
    credentials: credentialsFor(accessKeyId),
    requestHandler: TOOL_REQUEST_HANDLER,
  });

/** The document client the stores use, over a local emulator (see localDynamoDbClient). */
export const localDocumentClient = (
  endpoint: string,
  region: string,
  accessKeyId?: string,
): DynamoDBDocumentClient => toDocumentClient(localDynamoDbClient(endpoint, region, accessKeyId));
