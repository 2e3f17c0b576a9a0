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
  type Charge,
  type Limits,
  type TableSchema,
} from '../../lib/local/partition-model';
import {
  extractDefinition,
  printServiceConfig,
  type ServiceDefinition,
} from '../../lib/local/service-definition';
import { ENTITIES } from '../../lib/records/entities';
import type { StoredEvent } from '../../lib/records/stored-event';
import { contentHash } from '../../lib/webhook/content-hash';
import { KINDS, type Kind } from '../../lib/webhook/kinds';
import { samplePayload } from '../../lib/webhook/samples';
import { ROOT } from './common';

type KeySchema = { AttributeName: string; KeyType: string }[];

/** A kind's table as serverless.yml defines it (the default stage params), for the model. */
function schemaOf(definition: ServiceDefinition, kind: Kind): TableSchema {
  const spec = definition.tables.find((t) => t.logicalId === LOGICAL_IDS[kind].table);
  const props = spec?.properties as {
    KeySchema: KeySchema;
    GlobalSecondaryIndexes: {
      IndexName: string;
      KeySchema: KeySchema;
      Projection: { ProjectionType: string; NonKeyAttributes?: string[] };
    }[];
  };
  const key = (schema: KeySchema, type: string) =>
    schema.find((k) => k.KeyType === type)?.AttributeName;
  return {
    name: `${kind}-table`,
    hashKey: key(props.KeySchema, 'HASH') ?? 'pk',
    rangeKey: key(props.KeySchema, 'RANGE') ?? 'sk',
    indexes: props.GlobalSecondaryIndexes.map((i) => ({
      name: i.IndexName,
      hashKey: key(i.KeySchema, 'HASH') ?? '',
      ...(key(i.KeySchema, 'RANGE') !== undefined && { rangeKey: key(i.KeySchema, 'RANGE') }),
      projection: i.Projection.ProjectionType,
      nonKeyAttributes: i.Projection.NonKeyAttributes ?? [],
    })),
  };
}

/** The two writes that store a first event of its entity: its CURRENT item, its history item. */
function firstWrites(schema: TableSchema, kind: Kind, payload: Record<string, unknown>, at: Date) {
  const event: StoredEvent = { hash: contentHash(payload), receivedAt: at.toISOString(), payload };
  const entity = ENTITIES[kind];
  const pk = entity.key(payload);
  const { record, fold } = entity.fold(undefined, event, true);
  const current = marshall(
    toCurrentItem(kind, pk, { version: 1, record, fold, pending: [], outbox: [] }),
    { removeUndefinedValues: true },
  );
  const history = marshall(
    {
      pk,
      sk: `${EVENT_PREFIX}${entity.historyId(event)}`,
      ...historyAttributes(kind, event),
      payload_gz: encodePayload(payload),
    },
    { removeUndefinedValues: true },
  );
  return [writeCharges(schema, undefined, current), writeCharges(schema, undefined, history)];
}

/** Plays the burst's writes, in order, within one second, against `limits`. */
function play(writes: Charge[][], limits: Limits): PartitionMeter {
  const meter = new PartitionMeter(limits, () => 0);
  for (const charges of writes) meter.charge(charges, 'write');
  return meter;
}

/**
 * The warm throughput to ask for: the peak of any table or index plus a tenth, rounded up to a
 * thousand, and never below a new table's 4,000. The tenth is for the second's mix of events: a
 * first event of a job costs 3 units on the jobs table, (d)'s job events 3.1 on average.
 */
const warmFigure = (peak: number) =>
  Math.max(DYNAMODB_LIMITS.tableWriteUnitsPerSecond, Math.ceil((peak * 1.1) / 1_000) * 1_000);

/**
 * (h) hotglue's top of the hour, modelled: 2,000 new jobs of one flow in one second (one per
 * tenant), and, at most, each of those tenants' discover state and connection in the same second
 * (as test/e2e/burst.test.ts sends them alongside): each written as the consumer writes a first
 * event (its CURRENT item with the real layout and index keys, and its history item), charged per
 * partition key value and per table and index as DynamoDB bills it
 * (lib/local/partition-model.ts). The figures: the hottest key value's write units in that second
 * over DynamoDB's 1,000 per key value (the jobs table's; the others' beside it); each table's and index's over a new on-demand table's 4,000;
 * the warm throughput (`warmWriteUnitsPerSecond`) that lets the burst through, and the writes the
 * model throttles without it and with it.
 */
export async function benchHotPartition(jobsPerSecond = 2_000) {
  const definition = extractDefinition(
    await printServiceConfig(ROOT, 'bench', join(tmpdir(), 'hotglue-webhooks-print-cache')),
  );
  const flow = 'flow-top-of-the-hour';
  const hour = new Date('2026-11-30T07:00:00.000Z');
  const writes: Charge[][] = [];
  const entities: Record<Kind, number> = { jobs: 0, discover: 0, connections: 0 };
  for (const kind of KINDS) {
    const schema = schemaOf(definition, kind);
    for (let n = 0; n < jobsPerSecond; n += 1) {
      const payload = {
        ...samplePayload(kind, { now: hour }),
        tenant: `tenant-${n}`,
        flow_id: flow,
        ...(kind === 'jobs' && { status: 'JOB_CREATED' }),
        ...(kind === 'connections' && { event_id: `${flow}-link-${n}` }),
      };
      writes.push(...firstWrites(schema, kind, payload, hour));
      entities[kind] += 1;
    }
  }
  const unlimited = Number.POSITIVE_INFINITY;
  const demand = play(writes, {
    writeUnits: unlimited,
    readUnits: unlimited,
    tableWriteUnitsPerSecond: unlimited,
    tableReadUnitsPerSecond: unlimited,
  });
  const keys = demand.hottest('write', Number.POSITIVE_INFINITY);
  // The per-key figure is the jobs table's, as it has been; the other tables' hottest beside it.
  const hottest = keys.filter((k) => k.key.startsWith('jobs-table')).slice(0, 5);
  const hottestOther = keys.filter((k) => !k.key.startsWith('jobs-table')).slice(0, 5);
  const top = hottest[0] ?? { key: '', unitsPerSecond: 0 };
  const tables = demand.hottestTables('write');
  const peak = tables[0] ?? { key: '', unitsPerSecond: 0 };
  const warm = warmFigure(peak.unitsPerSecond);
  const cold = play(writes, DYNAMODB_LIMITS);
  const warmed = play(writes, { ...DYNAMODB_LIMITS, tableWriteUnitsPerSecond: warm });
  const cold4000 = DYNAMODB_LIMITS.tableWriteUnitsPerSecond;
  return {
    jobsPerSecond,
    entities,
    hottest,
    hottestOther,
    share: top.unitsPerSecond / DYNAMODB_LIMITS.writeUnits,
    /** Each table and index, in the order of the tables, its base table first. */
    tables: KINDS.flatMap((kind) =>
      tables
        .filter((t) => t.key === `${kind}-table` || t.key.startsWith(`${kind}-table/`))
        .sort((a, b) => Number(a.key.includes('/')) - Number(b.key.includes('/')))
        .map((t) => ({
          table: t.key,
          writeUnitsPerSecond: t.unitsPerSecond,
          overCold: t.unitsPerSecond / cold4000,
          throttlesCold: t.unitsPerSecond > cold4000,
          throttlesWarm: t.unitsPerSecond > warm,
          throttledCold: cold.throttledKeys.get(t.key) ?? 0,
        })),
    ),
    peak: { table: peak.key, writeUnitsPerSecond: peak.unitsPerSecond },
    warmWriteUnitsPerSecond: warm,
    writes: writes.length,
    throttledCold: cold.throttled,
    throttledWarm: warmed.throttled,
  };
}
