import {
  boundField,
  FIELD_ENTRY_BYTES,
  RECORD_BUDGET_BYTES,
  SMALL_VALUE_BYTES,
  storedBytes,
} from './bounds';
import { compareKeys, type SortKey } from './compare';
import { own, setOwn } from './own';
import { isPresent } from './stored-event';

/**
 * Which event gave each field its value, so that one more event can be folded into a record
 * without reading the others: `latest` is the key of the greatest event seen, and `older` names
 * the fields whose value came from an earlier event (with that event's key). Every other field's
 * value came from `latest`. Kept on the record's CURRENT item; small, since most fields come from
 * the latest event.
 *
 * What bounds the record (see fieldsCost): `sizes`, the largest bounded size seen of each field
 * whose value took more than SMALL_VALUE_BYTES; `keyBytes`, the largest key folded (an `older`
 * entry takes no more); and `dropped`, set once the record outgrew RECORD_BUDGET_BYTES, after
 * which only the fields a record is made of (its identity, `error`, `message`) are folded.
 */
export interface Winners {
  latest?: SortKey;
  older: Record<string, SortKey>;
  sizes?: Record<string, number>;
  keyBytes?: number;
  dropped?: true;
}

export const noWinners = (): Winners => ({ older: {} });

/**
 * Folds one event's fields (`incoming`, with its `key`) into `values`: each field keeps the value
 * of the greatest-keyed event that carries it non-null, bounded (boundField; the names in `keep`
 * as an identity is). Commutative, associative and idempotent: any order and any repetition of
 * the same events give the same values and winners. Mutates `values` and `winners`.
 */
export function foldFields(
  values: Record<string, unknown>,
  winners: Winners,
  incoming: Record<string, unknown>,
  key: SortKey,
  keep: ReadonlySet<string>,
): void {
  const { latest, older } = winners;
  const present: [string, unknown][] = [];
  for (const [name, value] of Object.entries(incoming)) {
    if (!isPresent(value) || (winners.dropped && !keep.has(name))) continue;
    const bounded = boundField(value, keep.has(name));
    present.push([name, bounded]);
    if (winners.dropped) continue;
    const bytes = storedBytes(bounded);
    if (bytes > SMALL_VALUE_BYTES) {
      winners.sizes ??= {};
      setOwn(winners.sizes, name, Math.max(own(winners.sizes, name) ?? 0, bytes));
    }
  }
  winners.keyBytes = Math.max(winners.keyBytes ?? 0, storedBytes(key));
  if (latest === undefined) {
    for (const [name, value] of present) setOwn(values, name, value);
    winners.latest = key;
    return;
  }
  const order = compareKeys(key, latest);
  if (order === 0) return;
  if (order > 0) {
    for (const name of Object.keys(values))
      if (!Object.hasOwn(older, name) && !isPresent(own(incoming, name)))
        setOwn(older, name, latest);
    for (const [name, value] of present) {
      setOwn(values, name, value);
      delete older[name];
    }
    winners.latest = key;
    return;
  }
  for (const [name, value] of present) {
    const winner = own(older, name) ?? (Object.hasOwn(values, name) ? latest : undefined);
    if (winner === undefined || compareKeys(key, winner) > 0) {
      setOwn(values, name, value);
      setOwn(older, name, key);
    }
  }
}

/**
 * At most what one field takes in an item with its fold state, whatever its value is now: its name
 * three times (the field, its `older` entry, its size), the largest value it has had (`size`, at
 * least SMALL_VALUE_BYTES) and a key of `keyBytes`.
 * @internal exported for the tests
 */
export const nameCost = (name: string, size: number, keyBytes: number): number =>
  3 * Buffer.byteLength(name) + Math.max(size, SMALL_VALUE_BYTES) + FIELD_ENTRY_BYTES + keyBytes;

/**
 * At most what the fields `names` and their fold state (`winners`) take in an item (nameCost of
 * each). It only grows as events are folded in, whatever their order, so that a record outgrows
 * its budget for the same set of events in any order of arrival.
 */
export function fieldsCost(names: Iterable<string>, winners: Winners, keyBytes: number): number {
  let cost = 0;
  for (const name of names) {
    const size = winners.sizes === undefined ? 0 : (own(winners.sizes, name) ?? 0);
    cost += nameCost(name, size, keyBytes);
  }
  return cost;
}

/** Whether a record whose parts cost `costs` (fieldsCost and the like) outgrew its budget. */
export const overBudget = (...costs: number[]): boolean =>
  costs.reduce((a, b) => a + b, 0) > RECORD_BUDGET_BYTES;

/**
 * Drops every field of `values` but those in `keep`, for good: the record's fields outgrew
 * RECORD_BUDGET_BYTES (see fieldsCost). Mutates `values` and `winners`.
 */
export function dropFields(
  values: Record<string, unknown>,
  winners: Winners,
  keep: ReadonlySet<string>,
): void {
  for (const name of Object.keys(values)) if (!keep.has(name)) delete values[name];
  for (const name of Object.keys(winners.older)) if (!keep.has(name)) delete winners.older[name];
  delete winners.sizes;
  winners.dropped = true;
}

/** The greater of two keys (the first may be missing). */
export const greaterKey = (a: SortKey | undefined, b: SortKey): SortKey =>
  a === undefined || compareKeys(b, a) > 0 ? b : a;
