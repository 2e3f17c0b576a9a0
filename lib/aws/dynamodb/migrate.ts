import { ConditionalCheckFailedException, DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import {
  GetCommand,
  ScanCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import type { Kind } from '../../webhook/kinds';
import { canonicalJson } from '../../webhook/content-hash';
import { CURRENT, INDEX, indexAttributes, recordOf, type Item } from './table-layout';

/** What one run of migrateIndexKeys did, and where to go on from when it stopped early. */
export interface MigrateProgress {
  scanned: number;
  updated: number;
  /** The Scan's position after the last page done; undefined once the table is done. */
  next?: Item;
}

/** The index attributes `item` lacks or holds with 0.2.0's values; none when it is current. */
function missing(kind: Kind, item: Item): Item {
  const wanted = indexAttributes(kind, String(item.pk), recordOf(kind, item));
  return Object.fromEntries(
    Object.entries(wanted).filter(([k, v]) => canonicalJson(item[k]) !== canonicalJson(v)),
  );
}

/**
 * Gives a 0.2.0 CURRENT item the index keys of 0.3.0 (the sharded `entity`, `status_shard`,
 * `flow_shard`, from its record), with an UpdateItem that holds only if its version is unchanged,
 * so that a consumer's write in between wins (it writes the same keys). Returns whether it wrote.
 */
async function migrateItem(
  db: DynamoDBDocumentClient,
  table: string,
  kind: Kind,
  first: Item,
): Promise<boolean> {
  let item: Item | undefined = first;
  for (let attempt = 0; attempt < 5 && item !== undefined; attempt += 1) {
    const set = missing(kind, item);
    const names = Object.keys(set);
    if (names.length === 0) return false;
    try {
      await db.send(
        new UpdateCommand({
          TableName: table,
          Key: { pk: item.pk, sk: CURRENT },
          UpdateExpression: `SET ${names.map((_, i) => `#a${i} = :a${i}`).join(', ')}`,
          ConditionExpression:
            item.version === undefined ? 'attribute_not_exists(#version)' : '#version = :version',
          ExpressionAttributeNames: {
            '#version': 'version',
            ...Object.fromEntries(names.map((n, i) => [`#a${i}`, n])),
          },
          ExpressionAttributeValues: {
            ...(item.version !== undefined && { ':version': item.version }),
            ...Object.fromEntries(names.map((n, i) => [`:a${i}`, set[n]])),
          },
        }),
      );
      return true;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      item = (
        await db.send(
          new GetCommand({
            TableName: table,
            Key: { pk: item.pk, sk: CURRENT },
            ConsistentRead: true,
          }),
        )
      ).Item;
    }
  }
  if (item !== undefined && Object.keys(missing(kind, item)).length > 0)
    throw new Error(`could not migrate ${String(item.pk)}: it kept changing`);
  return false;
}

/**
 * Gives every CURRENT item of a kind's table 0.3.0's index keys: a Scan, page by page, from
 * `from` (a previous run's `next`). Idempotent: an item that has them is left alone, so running
 * it again (or over a table another run is migrating) is safe. `onPage` hears after each page.
 */
export async function migrateIndexKeys(
  db: DynamoDBDocumentClient,
  table: string,
  kind: Kind,
  options: { from?: Item; onPage?: (progress: MigrateProgress) => void; pageSize?: number } = {},
): Promise<MigrateProgress> {
  const progress: MigrateProgress = { scanned: 0, updated: 0 };
  let start = options.from;
  do {
    const page = await db.send(
      new ScanCommand({
        TableName: table,
        FilterExpression: 'sk = :current',
        ExpressionAttributeValues: { ':current': CURRENT },
        ExclusiveStartKey: start,
        Limit: options.pageSize ?? 500,
      }),
    );
    for (const item of (page.Items ?? []) as Item[]) {
      progress.scanned += 1;
      if (await migrateItem(db, table, kind, item)) progress.updated += 1;
    }
    start = page.LastEvaluatedKey as Item | undefined;
    if (start === undefined) delete progress.next;
    else progress.next = start;
    options.onPage?.(progress);
  } while (start !== undefined);
  return progress;
}

/**
 * Which layout step a table's indexes are at (serverless.yml's `indexStep`), from the indexes it
 * has: 0 (0.2.0's), 4 (0.3.0's), 5 (the current one; discover and connections tables have their
 * final layout from step 4 on, and answer 5).
 */
export async function indexStepOf(
  db: DynamoDBDocumentClient,
  table: string,
  kind: Kind,
): Promise<number> {
  const described = await db.send(new DescribeTableCommand({ TableName: table }));
  const names = new Set((described.Table?.GlobalSecondaryIndexes ?? []).map((i) => i.IndexName));
  const has = (name: string) => names.has(name);
  if (kind !== 'jobs') {
    if (!has(INDEX.byFlow)) return 0;
    return has(INDEX.legacyByFlow) ? 1 : 5;
  }
  if (has(INDEX.byWatch)) return 5;
  if (!has(INDEX.byStatus)) return 0;
  if (!has(INDEX.byFlow)) return 1;
  if (has(INDEX.legacyByStatus)) return 2;
  return has(INDEX.legacyByFlow) ? 3 : 4;
}
