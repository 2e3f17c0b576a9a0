import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { localDynamoDbClient } from '../../lib/local/local-stack-facts';
import { createTables } from '../../lib/local/resources';
import {
  extractDefinition,
  printServiceConfig,
  type TableSpec,
} from '../../lib/local/service-definition';
import { suiteDynalite } from '../support/dynamo-servers';
import { ROOT } from '../support/processes';

/**
 * The local stack's tables on a data folder it started on before: kept as they are when their
 * indexes are the definition's, refused with one line naming the folder when they are not (a
 * folder made by another version: nothing is upgraded before 1.0).
 */
const dynamo = suiteDynalite();

let tables: TableSpec[];
beforeAll(async () => {
  tables = extractDefinition(
    await printServiceConfig(ROOT, 'test', join(tmpdir(), 'hotglue-webhooks-print-cache')),
  ).tables;
});

/** The definition's tables under other names, so that each test has its own. */
const renamed = (suffix: string): TableSpec[] =>
  tables.map((t) => ({
    ...t,
    properties: { ...t.properties, TableName: `${String(t.properties.TableName)}-${suffix}` },
  }));

/** The definition with the jobs table's last index left out. */
const withoutAnIndex = (tables: TableSpec[]): TableSpec[] =>
  tables.map((table) => {
    const indexes = table.properties.GlobalSecondaryIndexes as unknown[];
    return table.logicalId === 'JobsTable'
      ? {
          ...table,
          properties: { ...table.properties, GlobalSecondaryIndexes: indexes.slice(0, -1) },
        }
      : table;
  });

describe('the local stack’s tables on an existing data folder', () => {
  it('keeps tables whose indexes are the definition’s', async () => {
    const client = localDynamoDbClient(dynamo().endpoint, 'us-east-1');
    try {
      const same = renamed('same');
      const first = await createTables(client, same, 'the data folder /tmp/same');
      expect(await createTables(client, same, 'the data folder /tmp/same')).toEqual(first);
    } finally {
      client.destroy();
    }
  });

  it('refuses tables whose indexes differ, naming the data folder to delete', async () => {
    const client = localDynamoDbClient(dynamo().endpoint, 'us-east-1');
    try {
      const other = renamed('other');
      await createTables(client, withoutAnIndex(other), 'the data folder /tmp/old');
      const refused = createTables(client, other, 'the data folder /tmp/old');
      await expect(refused).rejects.toThrow(
        /^the data folder \/tmp\/old was made by another version \(table \S+-jobs-table-other has the indexes [^)]+, not [^)]+\): delete it and start again \(nothing is upgraded before 1\.0\)$/,
      );
      await expect(refused).rejects.not.toThrow(/\n/);
    } finally {
      client.destroy();
    }
  });
});
