import { marshall } from '@aws-sdk/util-dynamodb';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  encodePayload,
  EVENT_PREFIX,
  historyAttributes,
  toCurrentItem,
} from '../../lib/aws/dynamodb/table-layout';
import { LOGICAL_IDS } from '../../lib/local/local-stack-facts';
import {
  DYNAMODB_LIMITS,
  PartitionMeter,
  writeCharges,
  type TableSchema,
} from '../../lib/local/partition-model';
import { extractDefinition, printServiceConfig } from '../../lib/local/service-definition';
import { ENTITIES } from '../../lib/records/entities';
import type { StoredEvent } from '../../lib/records/stored-event';
import { contentHash } from '../../lib/webhook/content-hash';
import { samplePayload } from '../../lib/webhook/samples';
import { ROOT } from './common';

/**
 * (h) hotglue's top of the hour, modelled: 2,000 new jobs of one flow in one second (one per
 * tenant), each written as the consumer writes it (its CURRENT item with the real layout and
 * index keys, and its history item), charged per partition key value of the table and of each
 * index as DynamoDB bills it (lib/local/partition-model.ts). The figure is the hottest key's
 * write units in that second over DynamoDB's 1,000 per key value.
 */
export async function benchHotPartition(jobsPerSecond = 2_000) {
  const definition = extractDefinition(
    await printServiceConfig(ROOT, 'bench', join(tmpdir(), 'hotglue-webhooks-print-cache')),
  );
  const spec = definition.tables.find((t) => t.logicalId === LOGICAL_IDS.jobs.table);
  const props = spec?.properties as {
    KeySchema: { AttributeName: string; KeyType: string }[];
    GlobalSecondaryIndexes: {
      IndexName: string;
      KeySchema: { AttributeName: string; KeyType: string }[];
      Projection: { ProjectionType: string };
    }[];
  };
  const key = (schema: { AttributeName: string; KeyType: string }[], type: string) =>
    schema.find((k) => k.KeyType === type)?.AttributeName;
  const schema: TableSchema = {
    name: 'jobs',
    hashKey: key(props.KeySchema, 'HASH') ?? 'pk',
    rangeKey: key(props.KeySchema, 'RANGE') ?? 'sk',
    indexes: props.GlobalSecondaryIndexes.map((i) => ({
      name: i.IndexName,
      hashKey: key(i.KeySchema, 'HASH') ?? '',
      ...(key(i.KeySchema, 'RANGE') !== undefined && { rangeKey: key(i.KeySchema, 'RANGE') }),
      projection: i.Projection.ProjectionType,
    })),
  };
  const meter = new PartitionMeter(
    { writeUnits: Number.POSITIVE_INFINITY, readUnits: Number.POSITIVE_INFINITY },
    () => 0,
  );
  const flow = 'flow-top-of-the-hour';
  const hour = new Date('2026-11-30T07:00:00.000Z');
  for (let n = 0; n < jobsPerSecond; n += 1) {
    const payload = {
      ...samplePayload('jobs', { now: hour }),
      tenant: `tenant-${n}`,
      flow_id: flow,
      status: 'JOB_CREATED',
    };
    const event: StoredEvent = {
      hash: contentHash(payload),
      receivedAt: hour.toISOString(),
      payload,
    };
    const entity = ENTITIES.jobs;
    const pk = entity.key(payload);
    const { record, fold } = entity.fold(undefined, event, true);
    const current = marshall(
      toCurrentItem('jobs', pk, { version: 1, record, fold, pending: [], outbox: [] }),
      { removeUndefinedValues: true },
    );
    const history = marshall(
      {
        pk,
        sk: `${EVENT_PREFIX}${entity.historyId(event)}`,
        ...historyAttributes('jobs', event),
        payload_gz: encodePayload(payload),
      },
      { removeUndefinedValues: true },
    );
    meter.charge(writeCharges(schema, undefined, current), 'write');
    meter.charge(writeCharges(schema, undefined, history), 'write');
  }
  const hottest = meter.hottest('write', 5);
  const top = hottest[0] ?? { key: '', unitsPerSecond: 0 };
  return {
    jobsPerSecond,
    hottest,
    share: top.unitsPerSecond / DYNAMODB_LIMITS.writeUnits,
  };
}
