import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { numberBytes } from '../../records/bounds';
import { MARSHALL_OPTIONS } from '../dynamodb-client';

/** An item in DynamoDB's wire format (what the JSON protocol carries). */
export type WireItem = Record<string, AttributeValue>;

/** Binary on the wire (the JSON protocol) is base64 text; an SDK hands over bytes. */
const binaryBytes = (b: Uint8Array | string): number =>
  typeof b === 'string' ? Buffer.from(b, 'base64').byteLength : b.byteLength;

function valueBytes(value: AttributeValue): number {
  if (value.S !== undefined) return Buffer.byteLength(value.S);
  if (value.N !== undefined) return numberBytes(value.N);
  if (value.B !== undefined) return binaryBytes(value.B);
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.SS !== undefined) return value.SS.reduce((s, v) => s + Buffer.byteLength(v), 0);
  if (value.NS !== undefined) return value.NS.reduce((s, v) => s + numberBytes(v), 0);
  if (value.BS !== undefined) return value.BS.reduce((s, v) => s + binaryBytes(v), 0);
  if (value.L !== undefined) return 3 + value.L.reduce((s, v) => s + 1 + valueBytes(v), 0);
  if (value.M !== undefined)
    return (
      3 +
      Object.entries(value.M).reduce((s, [k, v]) => s + 1 + Buffer.byteLength(k) + valueBytes(v), 0)
    );
  return 0;
}

/**
 * DynamoDB's size of an item, as it bills it: each attribute's name in UTF-8 bytes plus its value
 * (a string in UTF-8 bytes; a number about one byte per two significant digits, plus one; binary
 * in bytes; a boolean or null one byte; a list or map three bytes, plus one byte and the size of
 * each element, a map's keys counted like names).
 */
export const wireItemBytes = (item: WireItem): number =>
  Object.entries(item).reduce((s, [name, v]) => s + Buffer.byteLength(name) + valueBytes(v), 0);

/**
 * The same for an item as the document client holds it. Only for counting: should a value be one
 * the document client cannot marshal (which the store never writes), its JSON length stands in.
 */
export function itemBytes(item: Record<string, unknown>): number {
  try {
    return wireItemBytes(marshall(item, MARSHALL_OPTIONS));
  } catch {
    return Buffer.byteLength(JSON.stringify(item) ?? '');
  }
}

/** Write units of writing an item of `bytes`: one per KB, at least one. */
export const writeUnitsOf = (bytes: number): number => Math.max(1, Math.ceil(bytes / 1024));

/** Read units of reading `bytes`: one per 4 KB strongly consistent, half that eventually. */
export const readUnitsOf = (bytes: number, consistent: boolean): number =>
  Math.max(1, Math.ceil(bytes / 4096)) * (consistent ? 1 : 0.5);
