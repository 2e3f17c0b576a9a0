import {
  createServer,
  request,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  DescribeTableCommand,
  GetItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import {
  PartitionMeter,
  readUnitsOf,
  writeCharges,
  type Charge,
  type Limits,
  type TableSchema,
  type WireItem,
} from './partition-model';
import { wireItemBytes } from '../aws/dynamodb/item-size';
import { endpointOf, type LocalAddress } from './emulator-gate';

/**
 * An HTTP proxy speaking DynamoDB's JSON protocol in front of dynalite or DynamoDB Local, that
 * charges every request to the partition key values, and the tables and indexes, it touches (see
 * PartitionMeter) and answers DynamoDB's throttling error, as DynamoDB would, to a request past a
 * limit. The per-key limits are given; a table's and an index's are a new on-demand table's
 * (4,000 write and 12,000 read units per second) unless given too. The writes' charges are known
 * before they are forwarded (the item before is read from the backend), so a throttled write is
 * not applied. Two approximations, both on the cautious side of nothing: an UpdateItem is
 * charged to its table key before it is applied and to the indexes it moved only after (none of
 * this project's updates moves an index key); a read is refused when its key's window is already
 * full, and charged its actual units after.
 */
export interface ThroughputProxy {
  readonly address: LocalAddress;
  /** `http://127.0.0.1:<port>`, or `unix:<path>` on a socket. */
  readonly endpoint: string;
  readonly meter: PartitionMeter;
  /** What the meter saw, as `GET /__partition-model` answers it. */
  report(): PartitionReport;
  close(): Promise<void>;
}

/** @internal exported for the tests */
export interface PartitionReport {
  limits: Limits;
  throttled: number;
  throttledKeys: Record<string, number>;
  hottestWrites: { key: string; unitsPerSecond: number }[];
  hottestReads: { key: string; unitsPerSecond: number }[];
  /** Each table and index (`jobs-table/by-status`) with its peak write units in a second. */
  tableWrites: { key: string; unitsPerSecond: number }[];
  /** Writes per key over the run, every key that had any. */
  writes: Record<string, number>;
}

type Body = Record<string, unknown>;

/** Where the proxy answers its report (`GET`), and where the stack's DynamoDB gate does. */
export const PARTITION_MODEL_PATH = '/__partition-model';

const THROTTLED = {
  __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
  message:
    'Throughput exceeds the current capacity for one or more partition key values, or of the table or index (modelled by the local stack)',
};

/** The key attributes of `item` for `table`. */
const keyOf = (table: TableSchema, item: WireItem): WireItem => {
  const key: WireItem = {};
  for (const name of [table.hashKey, table.rangeKey])
    if (name !== undefined && item[name] !== undefined) key[name] = item[name] as AttributeValue;
  return key;
};

const keyText = (v: AttributeValue | undefined): string => v?.S ?? v?.N ?? '';

/** The hash key value a KeyConditionExpression fixes (`#h = :h`, `pk = :pk AND …`). */
function queriedHash(body: Body, hashKey: string): string {
  const names = (body.ExpressionAttributeNames ?? {}) as Record<string, string>;
  const values = (body.ExpressionAttributeValues ?? {}) as Record<string, AttributeValue>;
  for (const part of String(body.KeyConditionExpression ?? '').split(/\s+AND\s+/i)) {
    const match = /^\s*\(?\s*([#\w.]+)\s*=\s*(:\w+)\s*\)?\s*$/.exec(part);
    if (match === null) continue;
    const name = match[1]?.startsWith('#') ? names[match[1]] : match[1];
    if (name === hashKey) return keyText(values[match[2] as string]);
  }
  return '';
}

type Forwarded = { status: number; headers: IncomingHttpHeaders; body: string };

/** What handling a request needs: the meter, the tables' key schemas, the backend. */
interface Proxying {
  meter: PartitionMeter;
  schemaOf(table: string): Promise<TableSchema>;
  /** The item as it is now in the backend (strongly consistent). */
  itemBefore(table: string, key: WireItem): Promise<WireItem | undefined>;
  forward(headers: IncomingHttpHeaders, body: string): Promise<Forwarded>;
}

const keyName = (schema: { AttributeName?: string; KeyType?: string }[] = [], type: string) =>
  schema.find((k) => k.KeyType === type)?.AttributeName;

/** A table's key schema, from DescribeTable, loaded once per table. */
function schemaLoader(backend: DynamoDBClient): (table: string) => Promise<TableSchema> {
  const schemas = new Map<string, Promise<TableSchema>>();
  return (name) => {
    const known = schemas.get(name);
    if (known !== undefined) return known;
    const loaded = backend.send(new DescribeTableCommand({ TableName: name })).then(({ Table }) => {
      const range = keyName(Table?.KeySchema, 'RANGE');
      return {
        name,
        hashKey: keyName(Table?.KeySchema, 'HASH') ?? '',
        ...(range !== undefined && { rangeKey: range }),
        indexes: (Table?.GlobalSecondaryIndexes ?? []).map((i) => {
          const indexRange = keyName(i.KeySchema, 'RANGE');
          return {
            name: i.IndexName ?? '',
            hashKey: keyName(i.KeySchema, 'HASH') ?? '',
            ...(indexRange !== undefined && { rangeKey: indexRange }),
            projection: i.Projection?.ProjectionType ?? 'ALL',
            nonKeyAttributes: i.Projection?.NonKeyAttributes ?? [],
          };
        }),
      };
    });
    loaded.catch(() => schemas.delete(name));
    schemas.set(name, loaded);
    return loaded;
  };
}

/** Sends a request on to the backend as it came, and reads its answer whole. */
const forwarder =
  (target: { host: string; port: number } | { socketPath: string }) =>
  (headers: IncomingHttpHeaders, body: string): Promise<Forwarded> =>
    new Promise((resolve, reject) => {
      const out = request({ ...target, method: 'POST', path: '/', headers }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (c: Buffer) => chunks.push(c));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 500,
            headers: response.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        response.on('error', reject);
      });
      out.on('error', reject);
      out.end(body);
    });

/** The charges of one Put (`put`) or Delete (`deleteKey`), from the item it replaces. */
async function writeOf(
  p: Proxying,
  table: string,
  put?: WireItem,
  deleteKey?: WireItem,
): Promise<Charge[]> {
  const schema = await p.schemaOf(table);
  const key = put !== undefined ? keyOf(schema, put) : (deleteKey ?? {});
  return writeCharges(schema, await p.itemBefore(table, key), put);
}

/** An UpdateItem: its table key charged before, the index entries it moved after (see above). */
async function update(p: Proxying, body: Body, headers: IncomingHttpHeaders, raw: string) {
  const table = String(body.TableName ?? '');
  const schema = await p.schemaOf(table);
  const key = body.Key as WireItem;
  const before = await p.itemBefore(table, key);
  const tableOnly = writeCharges({ ...schema, indexes: [] }, before, before ?? key);
  if (p.meter.charge(tableOnly, 'write') !== undefined) return undefined;
  const answer = await p.forward(headers, raw);
  const after = await p.itemBefore(table, key);
  p.meter.charge(writeCharges(schema, before, after).slice(1), 'write');
  return answer;
}

type WriteRequests = Record<
  string,
  { PutRequest?: { Item: WireItem }; DeleteRequest?: { Key: WireItem } }[]
>;

/** A BatchWriteItem: the requests a limit refuses come back in UnprocessedItems, as on DynamoDB. */
async function batchWrite(p: Proxying, body: Body, headers: IncomingHttpHeaders) {
  const kept: WriteRequests = {};
  const unprocessed: WriteRequests = {};
  for (const [name, list] of Object.entries(body.RequestItems as WriteRequests)) {
    for (const r of list) {
      const charges = await writeOf(p, name, r.PutRequest?.Item, r.DeleteRequest?.Key);
      const into = p.meter.charge(charges, 'write') === undefined ? kept : unprocessed;
      (into[name] ??= []).push(r);
    }
  }
  if (Object.keys(kept).length === 0) return undefined;
  const answer = await p.forward(headers, JSON.stringify({ ...body, RequestItems: kept }));
  if (Object.keys(unprocessed).length === 0 || answer.status !== 200) return answer;
  const parsed = JSON.parse(answer.body) as { UnprocessedItems?: WriteRequests };
  for (const [name, list] of Object.entries(parsed.UnprocessedItems ?? {}))
    (unprocessed[name] ??= []).push(...list);
  return { ...answer, body: JSON.stringify({ ...parsed, UnprocessedItems: unprocessed }) };
}

/** A GetItem or Query: refused when its key's window is full, then charged what it read. */
async function read(
  p: Proxying,
  action: string,
  body: Body,
  headers: IncomingHttpHeaders,
  raw: string,
) {
  const table = String(body.TableName ?? '');
  const schema = await p.schemaOf(table);
  const index = schema.indexes.find((i) => i.name === body.IndexName);
  const consistent = body.ConsistentRead === true;
  const hash =
    action === 'GetItem'
      ? keyText((body.Key as WireItem)[schema.hashKey])
      : queriedHash(body, index?.hashKey ?? schema.hashKey);
  const key = `${table}${index ? `/${index.name}` : ''} ${hash}`;
  const least = readUnitsOf(0, consistent);
  if (p.meter.charge([{ key, units: least }], 'read') !== undefined) return undefined;
  const answer = await p.forward(headers, raw);
  if (answer.status === 200) {
    const parsed = JSON.parse(answer.body) as { Item?: WireItem; Items?: WireItem[] };
    const items = [...(parsed.Items ?? []), ...(parsed.Item ? [parsed.Item] : [])];
    const bytes = items.reduce((s, i) => s + wireItemBytes(i), 0);
    p.meter.charge([{ key, units: readUnitsOf(bytes, consistent) - least }], 'read');
  }
  return answer;
}

/** One request: throttled (undefined), or the backend's answer. */
async function handle(
  p: Proxying,
  action: string,
  body: Body,
  headers: IncomingHttpHeaders,
  raw: string,
): Promise<Forwarded | undefined> {
  const table = String(body.TableName ?? '');
  const charged = async (charges: Promise<Charge[]>) =>
    p.meter.charge(await charges, 'write') === undefined ? p.forward(headers, raw) : undefined;
  switch (action) {
    case 'PutItem':
      return charged(writeOf(p, table, body.Item as WireItem));
    case 'DeleteItem':
      return charged(writeOf(p, table, undefined, body.Key as WireItem));
    case 'UpdateItem':
      return update(p, body, headers, raw);
    case 'BatchWriteItem':
      return batchWrite(p, body, headers);
    case 'GetItem':
    case 'Query':
      return read(p, action, body, headers, raw);
    default:
      return p.forward(headers, raw);
  }
}

/** Answers one HTTP request: the report, a throttle, or the backend's answer. */
function serve(p: Proxying, report: () => PartitionReport) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    if (req.method === 'GET' && req.url === PARTITION_MODEL_PATH) {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(report()));
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const action = String(req.headers['x-amz-target'] ?? '').split('.')[1] ?? '';
      let body: Body = {};
      try {
        body = JSON.parse(raw) as Body;
      } catch {
        // not JSON: forwarded as it is, for the backend to refuse
      }
      handle(p, action, body, req.headers, raw)
        .then((answer) => {
          if (answer === undefined) {
            res
              .writeHead(400, {
                'content-type': 'application/x-amz-json-1.0',
                'x-amzn-errortype': 'ProvisionedThroughputExceededException',
              })
              .end(JSON.stringify(THROTTLED));
            return;
          }
          const { 'content-length': _length, 'transfer-encoding': _te, ...rest } = answer.headers;
          res.writeHead(answer.status, rest).end(answer.body);
        })
        .catch(() => {
          // The backend's own error text stays here: the SDK retries a 500 whatever it says.
          res.writeHead(500, { 'content-type': 'application/x-amz-json-1.0' }).end(
            JSON.stringify({
              __type: 'InternalServerError',
              message: 'the partition model could not reach its backend',
            }),
          );
        });
    });
  };
}

/**
 * Starts the proxy in front of the backend at `target` (a port of `options.host`, or a unix
 * socket), listening on a free port of that host, or on `options.socketPath`.
 */
export async function startThroughputProxy(
  target: number | { socketPath: string },
  backend: DynamoDBClient,
  limits: Limits,
  options: { host?: string; now?: () => number; socketPath?: string } = {},
): Promise<ThroughputProxy> {
  const host = options.host ?? '127.0.0.1';
  const meter = new PartitionMeter(limits, options.now);
  const proxying: Proxying = {
    meter,
    schemaOf: schemaLoader(backend),
    itemBefore: async (table, key) =>
      (await backend.send(new GetItemCommand({ TableName: table, Key: key, ConsistentRead: true })))
        .Item,
    forward: forwarder(typeof target === 'number' ? { host, port: target } : target),
  };
  const report = (): PartitionReport => ({
    limits: meter.limits,
    throttled: meter.throttled,
    throttledKeys: Object.fromEntries(meter.throttledKeys),
    hottestWrites: meter.hottest('write', 10),
    hottestReads: meter.hottest('read', 10),
    tableWrites: meter.hottestTables('write'),
    writes: Object.fromEntries(meter.writes),
  });
  const server: Server = createServer(serve(proxying, report));
  const { socketPath } = options;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    if (socketPath !== undefined) server.listen(socketPath, resolve);
    else server.listen(0, host, resolve);
  });
  const address: LocalAddress =
    socketPath !== undefined ? { socketPath } : { port: (server.address() as AddressInfo).port };
  return {
    address,
    endpoint: 'port' in address ? `http://${host}:${address.port}` : endpointOf(address),
    meter,
    report,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections?.();
      }),
  };
}
