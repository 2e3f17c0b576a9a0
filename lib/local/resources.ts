import {
  BatchWriteItemCommand,
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  ResourceNotFoundException,
  ScanCommand,
  type AttributeValue,
  type BatchWriteItemCommandOutput,
  type CreateTableCommandInput,
  type DynamoDBClient,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { CURRENT, indexAttributes, recordOf } from '../aws/dynamodb/table-layout';
import { KINDS, type Kind } from '../webhook/kinds';
import { LOGICAL_IDS } from './local-stack-facts';
import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { QueueSpec, TableSpec } from './service-definition';

export interface LocalRef {
  ref: string;
  arn: string;
}

/** Creates every queue, dead-letter queues first so that redrive policies can name them. */
export async function createQueues(
  sqs: SQSClient,
  queues: QueueSpec[],
): Promise<Map<string, LocalRef>> {
  const refs = new Map<string, LocalRef>();
  const ordered = [...queues].sort(
    (a, b) => Number(a.deadLetter !== undefined) - Number(b.deadLetter !== undefined),
  );
  for (const queue of ordered) {
    const attributes = { ...queue.attributes };
    if (queue.deadLetter) {
      const dlq = refs.get(queue.deadLetter.logicalId);
      if (dlq === undefined)
        throw new Error(`dead-letter queue ${queue.deadLetter.logicalId} is not defined`);
      attributes.RedrivePolicy = JSON.stringify({
        deadLetterTargetArn: dlq.arn,
        maxReceiveCount: queue.deadLetter.maxReceiveCount,
      });
    }
    const created = await sqs.send(
      new CreateQueueCommand({ QueueName: queue.name, Attributes: attributes }),
    );
    const url = created.QueueUrl ?? '';
    const got = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }),
    );
    refs.set(queue.logicalId, { ref: url, arn: got.Attributes?.QueueArn ?? '' });
  }
  return refs;
}

type Props = Record<string, unknown>;

/** The CreateTable input for a CloudFormation table: keys, indexes and billing, nothing else. */
function createTableInput(properties: Props): CreateTableCommandInput {
  const index = (i: unknown): Props => {
    const { IndexName, KeySchema, Projection } = i as Props;
    return { IndexName, KeySchema, Projection };
  };
  const input: Props = {
    TableName: properties.TableName,
    KeySchema: properties.KeySchema,
    AttributeDefinitions: properties.AttributeDefinitions,
    BillingMode: properties.BillingMode ?? 'PAY_PER_REQUEST',
  };
  if (Array.isArray(properties.GlobalSecondaryIndexes)) {
    input.GlobalSecondaryIndexes = properties.GlobalSecondaryIndexes.map(index);
  }
  if (Array.isArray(properties.LocalSecondaryIndexes)) {
    input.LocalSecondaryIndexes = properties.LocalSecondaryIndexes.map(index);
  }
  return input as unknown as CreateTableCommandInput;
}

/** The index names a table has, sorted. */
const indexNames = (indexes: readonly { IndexName?: string }[] | undefined): string =>
  (indexes ?? [])
    .map((i) => String(i.IndexName))
    .sort()
    .join(',');

/**
 * Recreates a table whose indexes differ from the definition's (a data folder made by 0.2.0):
 * dynalite cannot add or drop an index, so every item is read, the table made anew, and the items
 * written back, CURRENT items with the index keys of today's layout (as `migrate` gives a stage's).
 */
async function rebuildTable(
  dynamo: DynamoDBClient,
  input: CreateTableCommandInput,
  kind: Kind | undefined,
): Promise<number> {
  const name = String(input.TableName);
  const items: Record<string, AttributeValue>[] = [];
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await dynamo.send(new ScanCommand({ TableName: name, ExclusiveStartKey: start }));
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start !== undefined);
  await dynamo.send(new DeleteTableCommand({ TableName: name }));
  await dynamo.send(new CreateTableCommand(input));
  const upgraded = items.map((item) => {
    if (kind === undefined || item.sk?.S !== CURRENT) return item;
    const plain = unmarshall(item);
    const keys = indexAttributes(kind, String(plain.pk), recordOf(kind, plain));
    return marshall({ ...plain, ...keys }, { removeUndefinedValues: true });
  });
  for (let i = 0; i < upgraded.length; i += 25) {
    let request: WriteRequest[] | undefined = upgraded
      .slice(i, i + 25)
      .map((Item) => ({ PutRequest: { Item } }));
    while (request !== undefined && request.length > 0) {
      const done: BatchWriteItemCommandOutput = await dynamo.send(
        new BatchWriteItemCommand({ RequestItems: { [name]: request } }),
      );
      request = done.UnprocessedItems?.[name];
    }
  }
  return items.length;
}

/**
 * Creates each table unless it already exists (a second start on the same data folder); one whose
 * indexes are not the definition's is rebuilt (see rebuildTable), and `log` says so.
 */
export async function createTables(
  dynamo: DynamoDBClient,
  tables: TableSpec[],
  log: (message: string, fields: Record<string, unknown>) => void = () => undefined,
): Promise<Map<string, LocalRef>> {
  const refs = new Map<string, LocalRef>();
  for (const table of tables) {
    const input = createTableInput(table.properties);
    const name = String(input.TableName);
    let arn: string | undefined;
    try {
      const existing = (await dynamo.send(new DescribeTableCommand({ TableName: name }))).Table;
      arn = existing?.TableArn;
      if (
        indexNames(existing?.GlobalSecondaryIndexes) !== indexNames(input.GlobalSecondaryIndexes)
      ) {
        const kind = KINDS.find((k) => LOGICAL_IDS[k].table === table.logicalId);
        const items = await rebuildTable(dynamo, input, kind);
        log('table rebuilt with the indexes serverless.yml defines', {
          table: name,
          indexes: indexNames(input.GlobalSecondaryIndexes),
          items,
        });
      }
    } catch (error) {
      if (!(error instanceof ResourceNotFoundException)) throw error;
      arn = (await dynamo.send(new CreateTableCommand(input))).TableDescription?.TableArn;
    }
    refs.set(table.logicalId, { ref: name, arn: arn ?? '' });
  }
  return refs;
}
