import {
  CreateTableCommand,
  DescribeTableCommand,
  ResourceNotFoundException,
  type CreateTableCommandInput,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
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
 * Creates each table unless it already exists (a second start on the same data folder). A table
 * whose indexes are not the definition's was made by another version, and dynalite cannot add or
 * drop an index: refused, saying to delete `where` (the data folder; nothing is upgraded before 1.0).
 */
export async function createTables(
  dynamo: DynamoDBClient,
  tables: TableSpec[],
  where: string,
): Promise<Map<string, LocalRef>> {
  const refs = new Map<string, LocalRef>();
  for (const table of tables) {
    const input = createTableInput(table.properties);
    const name = String(input.TableName);
    let arn: string | undefined;
    try {
      const existing = (await dynamo.send(new DescribeTableCommand({ TableName: name }))).Table;
      arn = existing?.TableArn;
      const have = indexNames(existing?.GlobalSecondaryIndexes);
      const want = indexNames(input.GlobalSecondaryIndexes);
      if (have !== want)
        throw new Error(
          `${where} was made by another version (table ${name} has the indexes ${have || 'none'}, not ${want || 'none'}): delete it and start again (nothing is upgraded before 1.0)`,
        );
    } catch (error) {
      if (!(error instanceof ResourceNotFoundException)) throw error;
      arn = (await dynamo.send(new CreateTableCommand(input))).TableDescription?.TableArn;
    }
    refs.set(table.logicalId, { ref: name, arn: arn ?? '' });
  }
  return refs;
}
