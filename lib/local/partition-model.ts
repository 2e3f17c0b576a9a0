import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { readUnitsOf, wireItemBytes, writeUnitsOf, type WireItem } from '../aws/dynamodb/item-size';

/**
 * A model of DynamoDB's throughput limits, for the local stack, the tests and the bench: DynamoDB
 * serves about 1,000 write units and 3,000 read units per second per partition key value, of a
 * table and of each global secondary index alike; a whole on-demand table, and each of its indexes
 * apart, serves 4,000 write units and 12,000 read units per second while new (more once it has
 * seen more, or once warmed: its warm throughput); and a throttled index write fails the table
 * write that caused it. This charges each request as DynamoDB bills it, per key value and per
 * table or index, in one-second windows, and says which request a limit would throttle. It runs
 * nothing on AWS: the rules are AWS's documented ones (docs/performance.md says what is modelled).
 */

export { readUnitsOf, type WireItem };

interface IndexSchema {
  name: string;
  hashKey: string;
  rangeKey?: string;
  /** KEYS_ONLY, INCLUDE or ALL. */
  projection: string;
  /** The attributes an INCLUDE projection carries. */
  nonKeyAttributes?: string[];
}

export interface TableSchema {
  name: string;
  hashKey: string;
  rangeKey?: string;
  indexes: IndexSchema[];
}

export interface Limits {
  /** Write units per second per partition key value (DynamoDB: 1,000). */
  writeUnits: number;
  /** Read units per second per partition key value (DynamoDB: 3,000). */
  readUnits: number;
  /**
   * Write units per second of a whole table, and of each of its global secondary indexes apart:
   * 4,000 (the default) for a new on-demand table or index, or its warm throughput
   * (`WarmThroughput.WriteUnitsPerSecond`, the stage setting `warmWriteUnitsPerSecond`).
   */
  tableWriteUnitsPerSecond?: number;
  /** Read units per second of a whole table, and of each index apart (default: 12,000). */
  tableReadUnitsPerSecond?: number;
}

/**
 * DynamoDB's limits for a new on-demand table: per key value, and per table or index.
 * @internal exported for the bench and the tests
 */
export const DYNAMODB_LIMITS: Required<Limits> = {
  writeUnits: 1_000,
  readUnits: 3_000,
  tableWriteUnitsPerSecond: 4_000,
  tableReadUnitsPerSecond: 12_000,
};

/** One charge: units on one partition key value of a table or an index. */
export interface Charge {
  /** `<table>` or `<table>/<index>`, then the key value: `jobs-table/by-status running`. */
  key: string;
  units: number;
}

/**
 * The table or index a key belongs to, which the table limit applies to: the key's text before
 * its first space (`jobs-table/by-status`), or the whole key when it has none. Table and index
 * names cannot contain a space.
 */
const tableOf = (key: string): string => {
  const space = key.indexOf(' ');
  return space < 0 ? key : key.slice(0, space);
};

/** A key value as text (strings as they are; numbers and binary by their wire form). */
const keyText = (value: AttributeValue | undefined): string | undefined =>
  value === undefined ? undefined : (value.S ?? value.N ?? String(value.B ?? ''));

/** The index entry of `item`, if it has the index's keys: what DynamoDB stores and bills. */
function indexEntry(table: TableSchema, index: IndexSchema, item: WireItem | undefined) {
  if (item === undefined) return undefined;
  const hash = item[index.hashKey];
  if (hash === undefined || (index.rangeKey !== undefined && item[index.rangeKey] === undefined))
    return undefined;
  const keys = [table.hashKey, table.rangeKey, index.hashKey, index.rangeKey].filter(
    (k): k is string => k !== undefined,
  );
  const projected =
    index.projection === 'ALL'
      ? Object.keys(item)
      : index.projection === 'INCLUDE'
        ? [...keys, ...(index.nonKeyAttributes ?? [])]
        : keys;
  const entry: WireItem = {};
  for (const name of new Set(projected)) {
    const value = item[name];
    if (value !== undefined) entry[name] = value;
  }
  // DynamoDB adds 100 bytes of overhead to each index entry.
  return { hash: keyText(hash) as string, entry, bytes: wireItemBytes(entry) + 100 };
}

/**
 * What writing `after` over `before` (either may be absent: a new item, a delete) costs, per key
 * value: the table's partition by the larger item, and each index as DynamoDB maintains it: a new
 * entry is a put, a removed one a delete, a changed key a delete and a put, and an unchanged key
 * a write only when the projection carries a changed attribute.
 */
export function writeCharges(
  table: TableSchema,
  before: WireItem | undefined,
  after: WireItem | undefined,
): Charge[] {
  const either = after ?? before;
  if (either === undefined) return [];
  const charges: Charge[] = [
    {
      key: `${table.name} ${keyText(either[table.hashKey]) ?? ''}`,
      units: writeUnitsOf(
        Math.max(before ? wireItemBytes(before) : 0, after ? wireItemBytes(after) : 0),
      ),
    },
  ];
  for (const index of table.indexes) {
    const old = indexEntry(table, index, before);
    const now = indexEntry(table, index, after);
    const sameKey =
      old !== undefined &&
      now !== undefined &&
      old.hash === now.hash &&
      (index.rangeKey === undefined ||
        keyText(before?.[index.rangeKey]) === keyText(after?.[index.rangeKey]));
    const on = (hash: string, bytes: number) =>
      charges.push({ key: `${table.name}/${index.name} ${hash}`, units: writeUnitsOf(bytes) });
    if (sameKey) {
      if (JSON.stringify(old.entry) !== JSON.stringify(now.entry)) on(now.hash, now.bytes);
      continue;
    }
    if (old !== undefined) on(old.hash, old.bytes);
    if (now !== undefined) on(now.hash, now.bytes);
  }
  return charges;
}

/** Units per key value, and per table or index, in one-second windows; the peaks over the run. */
export class PartitionMeter {
  private window = -1;
  private current = new Map<string, { write: number; read: number }>();
  private currentTables = new Map<string, { write: number; read: number }>();
  private readonly peaks = new Map<string, { write: number; read: number }>();
  private readonly tablePeaks = new Map<string, { write: number; read: number }>();
  /** The limits applied: those given, a table's defaulting to a new on-demand table's. */
  readonly limits: Required<Limits>;
  /** Requests a limit refused, and on which key (or table, or index) first. */
  throttled = 0;
  readonly throttledKeys = new Map<string, number>();
  /** Writes charged per key over the run (an index key: the entries put, moved or deleted). */
  readonly writes = new Map<string, number>();

  constructor(
    limits: Limits,
    private readonly now: () => number = Date.now,
  ) {
    this.limits = {
      ...limits,
      tableWriteUnitsPerSecond:
        limits.tableWriteUnitsPerSecond ?? DYNAMODB_LIMITS.tableWriteUnitsPerSecond,
      tableReadUnitsPerSecond:
        limits.tableReadUnitsPerSecond ?? DYNAMODB_LIMITS.tableReadUnitsPerSecond,
    };
  }

  private roll(): void {
    const second = Math.floor(this.now() / 1000);
    if (second !== this.window) {
      this.window = second;
      this.current = new Map();
      this.currentTables = new Map();
    }
  }

  /**
   * Charges `charges` of one request, all or none: returns the first key, or else the first table
   * or index (`jobs-table/by-status`), that a limit refuses (the request is throttled and nothing
   * is charged), or undefined when they are charged.
   */
  charge(charges: readonly Charge[], kind: 'write' | 'read'): string | undefined {
    this.roll();
    const limit = kind === 'write' ? this.limits.writeUnits : this.limits.readUnits;
    const tableLimit =
      kind === 'write' ? this.limits.tableWriteUnitsPerSecond : this.limits.tableReadUnitsPerSecond;
    const sums = new Map<string, number>();
    const tableSums = new Map<string, number>();
    for (const c of charges) {
      sums.set(c.key, (sums.get(c.key) ?? 0) + c.units);
      tableSums.set(tableOf(c.key), (tableSums.get(tableOf(c.key)) ?? 0) + c.units);
    }
    const refused =
      over(sums, this.current, kind, limit) ??
      over(tableSums, this.currentTables, kind, tableLimit);
    if (refused !== undefined) {
      this.throttled += 1;
      this.throttledKeys.set(refused, (this.throttledKeys.get(refused) ?? 0) + 1);
      return refused;
    }
    if (kind === 'write')
      for (const c of charges) this.writes.set(c.key, (this.writes.get(c.key) ?? 0) + 1);
    add(sums, this.current, this.peaks, kind);
    add(tableSums, this.currentTables, this.tablePeaks, kind);
    return undefined;
  }

  /** The keys with the highest peak write (or read) units in any one second, highest first. */
  hottest(kind: 'write' | 'read', count = 5): { key: string; unitsPerSecond: number }[] {
    return highest(this.peaks, kind, count);
  }

  /**
   * Each table and each index (`jobs-table/by-status`) with its peak write (or read) units in any
   * one second, highest first: what the table limit is measured against.
   */
  hottestTables(
    kind: 'write' | 'read',
    count = Number.POSITIVE_INFINITY,
  ): { key: string; unitsPerSecond: number }[] {
    return highest(this.tablePeaks, kind, count);
  }
}

type Units = Map<string, { write: number; read: number }>;

/** The first of `sums` that would take its window's units past `limit`. */
function over(sums: Map<string, number>, window: Units, kind: 'write' | 'read', limit: number) {
  for (const [key, units] of sums) if ((window.get(key)?.[kind] ?? 0) + units > limit) return key;
  return undefined;
}

/** Adds `sums` to the window, raising the peaks they pass. */
function add(sums: Map<string, number>, window: Units, peaks: Units, kind: 'write' | 'read') {
  for (const [key, units] of sums) {
    const used = window.get(key) ?? { write: 0, read: 0 };
    used[kind] += units;
    window.set(key, used);
    const peak = peaks.get(key) ?? { write: 0, read: 0 };
    peak[kind] = Math.max(peak[kind], used[kind]);
    peaks.set(key, peak);
  }
}

function highest(peaks: Units, kind: 'write' | 'read', count: number) {
  return [...peaks]
    .map(([key, peak]) => ({ key, unitsPerSecond: peak[kind] }))
    .filter((k) => k.unitsPerSecond > 0)
    .sort((a, b) => b.unitsPerSecond - a.unitsPerSecond)
    .slice(0, count);
}
