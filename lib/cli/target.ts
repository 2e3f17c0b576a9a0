import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Kind } from '../kinds';
import type { LocalStackInfo } from '../local/stack';
import { queueUrlByName } from '../dlq';
import { queueName, tableName } from '../names';
import { SQSClient } from '@aws-sdk/client-sqs';

export interface Target {
  db: DynamoDBDocumentClient;
  tables: Record<Kind, string>;
}

export interface QueueTarget {
  sqs: SQSClient;
  /** The URLs of a kind's queue and its dead-letter queue. */
  queues(kind: Kind): Promise<{ source: string; deadLetter: string }>;
}

const LOGICAL_IDS: Record<Kind, string> = {
  jobs: 'JobsTable',
  discover: 'DiscoverTable',
  connections: 'ConnectionsTable',
};

/**
 * Where queries go: a deployed stage (`--stage`, tables named as serverless.yml names them,
 * region and credentials from the usual AWS environment), or else the local stack running from
 * this folder (read from `<DATA_DIR>/local-stack.json`, so no flag or endpoint is needed).
 */
export async function resolveTarget(
  stage: string | undefined,
  io: { env: Record<string, string | undefined>; cwd: string },
): Promise<Target> {
  const document = (client: DynamoDBClient) =>
    DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  if (stage !== undefined) {
    return {
      db: document(new DynamoDBClient({})),
      tables: {
        jobs: tableName(stage, 'jobs'),
        discover: tableName(stage, 'discover'),
        connections: tableName(stage, 'connections'),
      },
    };
  }
  const file = join(resolve(io.cwd, io.env.DATA_DIR ?? '.data'), 'local-stack.json');
  let info: LocalStackInfo;
  try {
    info = JSON.parse(await readFile(file, 'utf8')) as LocalStackInfo;
  } catch {
    throw new Error(
      `no local stack is running here (no ${file}): start one with "npm start", or pass --stage NAME`,
    );
  }
  const tables = Object.fromEntries(
    (Object.entries(LOGICAL_IDS) as [Kind, string][]).map(([kind, id]) => [
      kind,
      info.tables[id] ?? '',
    ]),
  ) as Record<Kind, string>;
  const client = new DynamoDBClient({
    region: info.region,
    endpoint: info.dynamodbEndpoint,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 2,
  });
  return { db: document(client), tables };
}

async function localStack(io: {
  env: Record<string, string | undefined>;
  cwd: string;
}): Promise<LocalStackInfo> {
  const file = join(resolve(io.cwd, io.env.DATA_DIR ?? '.data'), 'local-stack.json');
  try {
    return JSON.parse(await readFile(file, 'utf8')) as LocalStackInfo;
  } catch {
    throw new Error(
      `no local stack is running here (no ${file}): start one with "npm start", or pass --stage NAME`,
    );
  }
}

/** The queues of a deployed stage (`--stage`, looked up by name), or of the local stack. */
export async function resolveQueueTarget(
  stage: string | undefined,
  io: { env: Record<string, string | undefined>; cwd: string },
): Promise<QueueTarget> {
  if (stage !== undefined) {
    const sqs = new SQSClient({});
    return {
      sqs,
      queues: async (kind) => ({
        source: await queueUrlByName(sqs, queueName(stage, kind)),
        deadLetter: await queueUrlByName(sqs, queueName(stage, kind, true)),
      }),
    };
  }
  const info = await localStack(io);
  const sqs = new SQSClient({
    region: info.region,
    endpoint: info.sqsEndpoint,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    useQueueUrlAsEndpoint: false,
  });
  const byName = new Map(Object.values(info.queues).map((q) => [q.name, q.url]));
  return {
    sqs,
    queues: async (kind) => {
      const source = byName.get(queueName(info.stage, kind));
      const deadLetter = byName.get(queueName(info.stage, kind, true));
      if (source === undefined || deadLetter === undefined)
        throw new Error(`the local stack has no ${kind} queues`);
      return { source, deadLetter };
    },
  };
}
