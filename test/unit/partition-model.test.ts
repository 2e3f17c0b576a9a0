import { itemBytes } from '../../lib/aws/dynamodb/item-size';
import {
  DYNAMODB_LIMITS,
  PartitionMeter,
  writeCharges,
  type TableSchema,
  type WireItem,
} from '../../lib/local/partition-model';

const table: TableSchema = {
  name: 't',
  hashKey: 'pk',
  rangeKey: 'sk',
  indexes: [
    { name: 'by-status', hashKey: 'status', rangeKey: 'started', projection: 'KEYS_ONLY' },
    { name: 'all', hashKey: 'entity', projection: 'ALL' },
  ],
};
const item = (fields: Record<string, string>): WireItem =>
  Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, { S: v }]));

describe('writeCharges: what DynamoDB bills a write, per key value', () => {
  it('charges a new item to its partition and a put to each index it enters', () => {
    const after = item({ pk: 'a', sk: 'CURRENT', status: 'running', started: '1', entity: 'job' });
    expect(writeCharges(table, undefined, after)).toEqual([
      { key: 't a', units: 1 },
      { key: 't/by-status running', units: 1 },
      { key: 't/all job', units: 1 },
    ]);
  });

  it('charges a changed index key as a delete and a put, and no index write for an unchanged KEYS_ONLY entry', () => {
    const before = item({
      pk: 'a',
      sk: 'C',
      status: 'running',
      started: '1',
      entity: 'job',
      x: '1',
    });
    const after = { ...before, status: { S: 'failed' }, x: { S: '2' } };
    const keys = writeCharges(table, before, after).map((c) => c.key);
    // by-status moved (delete on the old value, put on the new); `all` projects ALL, so x counts.
    expect(keys).toEqual(['t a', 't/by-status running', 't/by-status failed', 't/all job']);
    const same = { ...before, x: { S: '3' } };
    expect(writeCharges(table, before, same).map((c) => c.key)).toEqual(['t a', 't/all job']);
  });

  it('charges a kilobyte more for each kilobyte of the larger item', () => {
    const big = item({ pk: 'a', sk: 'C', blob: 'x'.repeat(3000) });
    expect(writeCharges(table, big, item({ pk: 'a', sk: 'C' }))[0]?.units).toBe(3);
  });
});

describe('PartitionMeter', () => {
  it('throttles a key value past its limit within one second, and starts again the next', () => {
    let now = 10_000;
    const meter = new PartitionMeter({ writeUnits: 3, readUnits: 9 }, () => now);
    const one = [{ key: 'k', units: 1 }];
    expect([1, 2, 3, 4].map(() => meter.charge(one, 'write'))).toEqual([
      undefined,
      undefined,
      undefined,
      'k',
    ]);
    // Other keys and reads have their own budgets.
    expect(meter.charge([{ key: 'other', units: 3 }], 'write')).toBeUndefined();
    expect(meter.charge([{ key: 'k', units: 9 }], 'read')).toBeUndefined();
    now += 1000;
    expect(meter.charge(one, 'write')).toBeUndefined();
    expect(meter.throttled).toBe(1);
    expect(meter.hottest('write')[0]).toEqual({ key: 'k', unitsPerSecond: 3 });
  });

  it('charges a request all or nothing: a throttled write leaves every key as it was', () => {
    const meter = new PartitionMeter({ writeUnits: 2, readUnits: 6 }, () => 0);
    expect(meter.charge([{ key: 'hot', units: 2 }], 'write')).toBeUndefined();
    expect(
      meter.charge(
        [
          { key: 'cold', units: 1 },
          { key: 'hot', units: 1 },
        ],
        'write',
      ),
    ).toBe('hot');
    expect(meter.charge([{ key: 'cold', units: 2 }], 'write')).toBeUndefined();
  });
});

describe('PartitionMeter: the table limit', () => {
  /**
   * 5,000 new items in one second, each a 1-unit write to its own key value of table `t` and a
   * 1-unit put to one of 16 key values of its index `by-status` (without an `entity`, none enters
   * `all`): every key value stays far below its 1,000 (313 at most), but the table takes 5,000
   * write units in the second, and so does its index.
   */
  const burst = (meter: PartitionMeter) => {
    const refused: string[] = [];
    for (let n = 0; n < 5_000; n += 1) {
      const after = item({
        pk: `job-${n}`,
        sk: 'CURRENT',
        status: `running#${n % 16}`,
        started: String(n),
      });
      const key = meter.charge(writeCharges(table, undefined, after), 'write');
      if (key !== undefined) refused.push(key);
    }
    return refused;
  };

  it('throttles past 4,000 write units a second on a new table, though no key value is near its limit', () => {
    const meter = new PartitionMeter(
      { writeUnits: DYNAMODB_LIMITS.writeUnits, readUnits: DYNAMODB_LIMITS.readUnits },
      () => 0,
    );
    expect(meter.limits.tableWriteUnitsPerSecond).toBe(4_000);
    const refused = burst(meter);
    // Each item takes 2 units (1 on the table, 1 on its index), all or nothing: 4,000 items fit.
    expect(refused).toHaveLength(1_000);
    expect(new Set(refused)).toEqual(new Set(['t']));
    expect(meter.hottest('write')[0]?.unitsPerSecond).toBeLessThan(DYNAMODB_LIMITS.writeUnits);
    expect(meter.hottestTables('write')).toEqual([
      { key: 't', unitsPerSecond: 4_000 },
      { key: 't/by-status', unitsPerSecond: 4_000 },
    ]);
  });

  it('charges an index against its own table limit, apart from its table', () => {
    const meter = new PartitionMeter(
      { writeUnits: 10, readUnits: 30, tableWriteUnitsPerSecond: 5 },
      () => 0,
    );
    const write = (n: number) => [
      { key: `t k${n}`, units: 1 },
      { key: 't/by-status hot', units: 1 },
    ];
    expect([1, 2, 3, 4, 5, 6].map((n) => meter.charge(write(n), 'write'))).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      't',
    ]);
    // The index took 5 too, and is full on its own: a write to it alone is refused.
    expect(meter.charge([{ key: 't/by-status other', units: 1 }], 'write')).toBe('t/by-status');
    expect(meter.charge([{ key: 'u k', units: 5 }], 'write')).toBeUndefined();
  });

  it('lets the same burst through a table warmed to 12,000 write units a second', () => {
    const meter = new PartitionMeter(
      { ...DYNAMODB_LIMITS, tableWriteUnitsPerSecond: 12_000 },
      () => 0,
    );
    expect(burst(meter)).toEqual([]);
    expect(meter.throttled).toBe(0);
    expect(meter.hottestTables('write')[0]).toEqual({ key: 't', unitsPerSecond: 5_000 });
  });

  it('starts the table’s budget again each second', () => {
    let now = 0;
    const meter = new PartitionMeter(
      { ...DYNAMODB_LIMITS, tableWriteUnitsPerSecond: 4 },
      () => now,
    );
    const at = (n: number) => [{ key: `t k${n}`, units: 2 }];
    expect([1, 2, 3].map((n) => meter.charge(at(n), 'write'))).toEqual([undefined, undefined, 't']);
    now += 1000;
    expect(meter.charge(at(4), 'write')).toBeUndefined();
  });
});

describe('itemBytes: an item’s size as DynamoDB bills it', () => {
  it('counts names and values as DynamoDB does, and never throws on a value it cannot marshal', () => {
    // "pk" (2) + "a" (1); "n" (1) + 123 (3 digits: 2 + 1); "m" (1) + map {x: true} (3 + 1 + 1 + 1).
    expect(itemBytes({ pk: 'a' })).toBe(3);
    expect(itemBytes({ n: 123 })).toBe(4);
    expect(itemBytes({ m: { x: true } })).toBe(7);
    expect(itemBytes({ big: 2 ** 60 })).toBeGreaterThan(0);
  });
});
