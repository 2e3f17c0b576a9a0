/**
 * Size bounds shared by the record (its CURRENT item), a history item's readable attributes and a
 * notification: one text field carries at most TEXT_MAX_BYTES, cut with a marker that says its
 * full length. The whole text always stays in the event's stored payload (see views.ts, which
 * shows it again where a person asks for one job).
 */

/**
 * The most UTF-8 bytes one text field keeps where it is copied out of its payload: a record's
 * field, a history item's `error` and `message`, a notification's detail. More than any identity
 * field can take (1,024 characters: at most 3,072 bytes), so that an identity is never cut.
 */
export const TEXT_MAX_BYTES = 4096;

/** What ends a cut text: its full length, in UTF-8 bytes. */
const marker = (bytes: number): string => ` … [cut: ${bytes} bytes in all]`;
const MARKED = / … \[cut: (\d+) bytes in all\]$/;

/**
 * `text` as it is when it takes at most `max` UTF-8 bytes, else its first bytes (whole
 * characters) and the marker ` … [cut: <bytes> bytes in all]`, `max` bytes at most in all. A
 * function of the text alone, and cutting a cut text changes nothing, so records stay
 * order-independent.
 */
export function cutText(text: string, max = TEXT_MAX_BYTES): string {
  const bytes = Buffer.byteLength(text);
  if (bytes <= max) return text;
  const end = marker(bytes);
  const utf8 = Buffer.from(text);
  let at = Math.max(0, max - Buffer.byteLength(end));
  // Back to the first byte of a character (UTF-8 continuation bytes are 10xxxxxx).
  while (at > 0 && ((utf8[at] ?? 0) & 0xc0) === 0x80) at -= 1;
  return utf8.subarray(0, at).toString('utf8') + end;
}

/** The full length a cut text had (see cutText); undefined for any other value. */
export function cutBytes(value: unknown): number | undefined {
  if (typeof value !== 'string' || Buffer.byteLength(value) > TEXT_MAX_BYTES) return undefined;
  const found = MARKED.exec(value);
  return found === null ? undefined : Number(found[1]);
}

/** How a value too large to copy is shown instead: omitted, with the bytes of its JSON. */
export const omitted = (bytes: number): { omitted: true; bytes: number } => ({
  omitted: true,
  bytes,
});

const jsonBytes = (value: unknown): number => Buffer.byteLength(JSON.stringify(value) ?? '');

/**
 * A value as a readable copy carries it (a history item's `error` and `message`, a change field
 * of a notification): a string cut (cutText), any other value whose JSON takes more than
 * TEXT_MAX_BYTES omitted.
 */
export function boundValue(value: unknown): unknown {
  if (typeof value === 'string') return cutText(value);
  const bytes = jsonBytes(value);
  return bytes > TEXT_MAX_BYTES ? omitted(bytes) : value;
}

/** DynamoDB's size of a number (as text): about one byte per two significant digits, plus one. */
export function numberBytes(n: number | string): number {
  // The significant digits: from the mantissa's first non-zero digit to its last, less the point
  // between them. One pass, no regular expressions: every number stored is measured.
  const text = String(n);
  let first = -1;
  let last = -1;
  let point = -1;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (c === 101 || c === 69) break; // e, E: the exponent
    if (c === 46) point = i;
    else if (c > 48 && c <= 57) {
      if (first < 0) first = i;
      last = i;
    }
  }
  const digits = first < 0 ? 0 : last - first + 1 - (point > first && point < last ? 1 : 0);
  return Math.ceil(Math.max(digits, 1) / 2) + 1;
}

/** DynamoDB's size of a value as the document client stores it (see item-size.ts). */
function attributeBytes(value: unknown): number {
  if (typeof value === 'string') return Buffer.byteLength(value);
  if (typeof value === 'number') return numberBytes(value);
  if (typeof value !== 'object' || value === null) return 1;
  if (Array.isArray(value)) return value.reduce<number>((s, v) => s + 1 + attributeBytes(v), 3);
  return Object.entries(value as Record<string, unknown>).reduce(
    (s, [k, v]) => s + 1 + Buffer.byteLength(k) + attributeBytes(v),
    3,
  );
}

/**
 * What a value takes in an item, at most: DynamoDB's size of it, or its JSON text's where that is
 * larger (a value DynamoDB cannot hold is kept as its JSON text). A list of small numbers takes
 * half as much again as its JSON: counting JSON alone would let an item past 400 KB.
 */
export const storedBytes = (value: unknown): number =>
  Math.max(jsonBytes(value), attributeBytes(value));

/**
 * The most a record's field other than a text takes (DynamoDB's size, see storedBytes): a larger
 * value is `{"omitted": true, "bytes": n}` in the record, whole in its event's stored payload.
 */
const FIELD_MAX_BYTES = 32_768;

/**
 * What a record's fields and their fold state may take (see fieldsCost in fold.ts): past it, the
 * record keeps only its identity, `error` and `message`. With the outbox (64 KB), the index keys
 * and the rest, an item stays well under DynamoDB's 400 KB.
 */
export const RECORD_BUDGET_BYTES = 250_000;

/** A field's value is counted as at least this (so that small values need no size of their own). */
export const SMALL_VALUE_BYTES = 256;

/** What one field's entries take beside its name, its value and its key (map overheads, a size). */
export const FIELD_ENTRY_BYTES = 24;

/**
 * A field's value as a record keeps it, a function of the value alone (so that records stay
 * order-independent): a text cut (cutText); any other value omitted when it takes more than
 * FIELD_MAX_BYTES, or TEXT_MAX_BYTES for a field a record is made of (`identity`). The marker
 * is always smaller than what it replaces.
 */
export function boundField(value: unknown, identity = false): unknown {
  if (typeof value === 'string') return cutText(value);
  const bytes = storedBytes(value);
  return bytes > (identity ? TEXT_MAX_BYTES : FIELD_MAX_BYTES) ? omitted(jsonBytes(value)) : value;
}
