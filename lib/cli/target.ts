import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { queueUrlByName } from '../aws/dead-letters';
import { toDocumentClient } from '../aws/dynamodb-client';
import { dynamoDbRecordQueries } from '../aws/dynamodb/dynamodb-store';
import { TOOL_REQUEST_HANDLER } from '../aws/request-limits';
import { notificationsDeadLetterQueueName, queueName, tableName } from '../aws/resource-names';
import type { CliConfig } from '../config/cli';
import {
  localDocumentClient,
  localQueueUrls,
  localSqsClient,
  type KindQueueUrls,
  localTables,
  readLocalStackInfo,
} from '../local/local-stack-facts';
import type { RecordQueries } from '../ports/event-store';
import { KINDS, type Kind } from '../webhook/kinds';

/** Where queries go, and how to let go of its client. */
export interface Target {
  records: RecordQueries;
  close(): void;
}

export interface QueueTarget {
  sqs: SQSClient;
  /** The URLs of a kind's queue and its dead-letter queue. */
  queues(kind: Kind): Promise<KindQueueUrls>;
  /** The URL of the queue where notifications a rule could not deliver end. */
  notificationsDeadLetter(): Promise<string>;
}

/**
 * Where queries go: a deployed stage (`--stage`, tables named as serverless.yml names them,
 * region and credentials from the usual AWS environment), or else the local stack running from
 * this folder (read from `<DATA_DIR>/local-stack.json`, so no flag or endpoint is needed).
 */
export async function resolveTarget(stage: string | undefined, config: CliConfig): Promise<Target> {
  const { db, tables } = await resolveTables(stage, config);
  return { records: dynamoDbRecordQueries(db, tables), close: () => db.destroy() };
}

/** The tables of a deployed stage (named as serverless.yml names them) or of the local stack. */
export async function resolveTables(
  stage: string | undefined,
  config: CliConfig,
): Promise<{ db: DynamoDBDocumentClient; tables: Record<Kind, string> }> {
  if (stage !== undefined) {
    const db = toDocumentClient(
      new DynamoDBClient({ region: config.region, requestHandler: TOOL_REQUEST_HANDLER }),
    );
    const tables = Object.fromEntries(KINDS.map((kind) => [kind, tableName(stage, kind)]));
    return { db, tables: tables as Record<Kind, string> };
  }
  const info = await readLocalStackInfo(config.dataDir);
  return {
    db: localDocumentClient(info.dynamodbEndpoint, info.region, info.accessKeyId),
    tables: localTables(info),
  };
}

/** The queues of a deployed stage (`--stage`, looked up by name), or of the local stack. */
export async function resolveQueueTarget(
  stage: string | undefined,
  config: CliConfig,
): Promise<QueueTarget> {
  if (stage !== undefined) {
    const sqs = new SQSClient({ region: config.region, requestHandler: TOOL_REQUEST_HANDLER });
    return {
      sqs,
      queues: async (kind) => ({
        source: await queueUrlByName(sqs, queueName(stage, kind)),
        deadLetter: await queueUrlByName(sqs, queueName(stage, kind, true)),
      }),
      notificationsDeadLetter: () => queueUrlByName(sqs, notificationsDeadLetterQueueName(stage)),
    };
  }
  const info = await readLocalStackInfo(config.dataDir);
  return {
    sqs: localSqsClient(info.sqsEndpoint, info.region, info.accessKeyId),
    queues: async (kind) => localQueueUrls(info, kind),
    notificationsDeadLetter: async () => {
      const queue = info.queues.NotificationsDeadLetterQueue;
      if (queue === undefined) throw new Error('the local stack has no notifications DLQ');
      return queue.url;
    },
  };
}
