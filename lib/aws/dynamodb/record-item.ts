import { isDeepStrictEqual } from 'node:util';

/**
 * How a record becomes the readable attributes of its CURRENT item, and back. Every field is a
 * plain attribute under its own name — the record's attributes (`status`, `event_count`, …) and
 * every payload field hotglue sent (`error`, `message`, `tap`, …) — with strings, numbers,
 * booleans, lists and maps as DynamoDB holds them natively.
 *
 * Two exceptions keep any payload storable, both listed on the item itself:
 * - a payload field whose name the table uses itself (`pk`, `version`, …), or whose value differs
 *   from the record's attribute of the same name, is kept under `shadowed.<name>`;
 * - a value DynamoDB cannot hold as it is (a number beyond ±2^53 or below 1e-130 in magnitude, a
 *   map with an empty key, nesting deeper than 30 levels) is kept as its JSON text, and its name
 *   is listed in `json_fields`.
 */
export type Item = Record<string, unknown>;

/** Attributes the table itself uses on CURRENT items: never a payload field's name. */
const BOOKKEEPING = [
  'pk',
  'sk',
  'version',
  'started_key',
  'updated_key',
  'entity',
  'sort_key',
  'status_shard',
  'flow_shard',
  'watch_shard',
  'watch_key',
  'shadowed',
  'json_fields',
  'fold',
  'pending',
  'outbox',
  'stale_notified',
  'poll',
  'expires_at',
] as const;
const RESERVED = new Set<string>(BOOKKEEPING);

const MAX_DEPTH = 30;

/** Whether DynamoDB (through the document client) stores `value` as it is. */
function storable(value: unknown, depth = 0): boolean {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number')
    return (
      Number.isFinite(value) &&
      Math.abs(value) <= Number.MAX_SAFE_INTEGER &&
      (value === 0 || Math.abs(value) >= 1e-130)
    );
  if (depth >= MAX_DEPTH || typeof value !== 'object') return false;
  if (Array.isArray(value)) return value.every((v) => storable(v, depth + 1));
  return Object.entries(value as Record<string, unknown>).every(
    ([key, v]) => key !== '' && storable(v, depth + 1),
  );
}

/** `value` as an attribute: itself when DynamoDB holds it as it is, else its JSON text. */
export const attributeValue = (value: unknown): unknown =>
  storable(value) ? value : JSON.stringify(value);

/** The readable attributes of a record with payload `fields` and its own `attributes`. */
export function recordAttributes(
  record: { fields?: Record<string, unknown> } & Record<string, unknown>,
  attributes: readonly string[],
  computed: readonly string[],
): Item {
  const { fields = {}, ...own } = record;
  const item: Item = {};
  const shadowed: Item = {};
  for (const [name, value] of Object.entries(fields)) {
    // A payload field named like a computed attribute is always kept apart, so that reading the
    // item back can tell the payload's fields from what the record computed.
    const clashes =
      computed.includes(name) ||
      (attributes.includes(name) && !isDeepStrictEqual(own[name], value));
    if (RESERVED.has(name) || name === '' || clashes) shadowed[name] = value;
    else item[name] = value;
  }
  for (const name of attributes) if (own[name] !== undefined) item[name] = own[name];
  if (Object.keys(shadowed).length > 0) item.shadowed = shadowed;
  const asJson = Object.keys(item).filter((name) => !storable(item[name]));
  for (const name of asJson) item[name] = JSON.stringify(item[name]);
  if (asJson.length > 0) item.json_fields = asJson.sort();
  return item;
}

/** The record of a CURRENT item: its own attributes, and `fields` holding every payload field. */
export function recordFromItem<R>(
  item: Item,
  attributes: readonly string[],
  computed: readonly string[],
): R {
  const values: Item = { ...item };
  for (const name of (item.json_fields as string[] | undefined) ?? [])
    values[name] = JSON.parse(String(values[name])) as unknown;
  const fields: Item = {};
  const own: Item = {};
  for (const [name, value] of Object.entries(values)) {
    if (RESERVED.has(name)) continue;
    if (!computed.includes(name)) fields[name] = value;
    if (attributes.includes(name)) own[name] = value;
  }
  Object.assign(fields, (values.shadowed as Item | undefined) ?? {});
  return { ...own, fields } as R;
}
