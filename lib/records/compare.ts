import { compareText } from '../webhook/content-hash';
import { microsToIso } from '../webhook/time';

export type SortKey = (number | string)[];

/** Compares two keys element by element (numbers numerically, strings by code unit). */
export function compareKeys(a: SortKey, b: SortKey): number {
  for (let i = 0; i < Math.max(a.length, b.length); i += 1) {
    const x = a[i];
    const y = b[i];
    if (x === y) continue;
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    if (typeof x === 'number' && typeof y === 'number') return x < y ? -1 : 1;
    return compareText(String(x), String(y));
  }
  return 0;
}

/** @internal exported for the tests */
export function maxBy<T>(items: readonly T[], key: (item: T) => SortKey): T | undefined {
  let best: T | undefined;
  for (const item of items)
    if (best === undefined || compareKeys(key(item), key(best)) > 0) best = item;
  return best;
}

export function sortBy<T>(items: readonly T[], key: (item: T) => SortKey): T[] {
  return [...items].sort((a, b) => compareKeys(key(a), key(b)));
}

/** Keeps one event per hash: a history is a set. */
export function distinct<T extends { hash: string }>(events: readonly T[]): T[] {
  return [...new Map(events.map((e) => [e.hash, e])).values()];
}

/**
 * The part of a content hash that orders events with equal times and positions: its first 32 hex
 * digits (128 bits), which tell contents apart as surely as the whole and keep the keys that
 * storage keeps short.
 */
export const hashOrder = (hash: string): string => hash.slice(0, 32);

/**
 * `<time>#<position>#<hash>` that sorts as [time, position, hash] do: the time as ISO with
 * microseconds (empty when the event has none, which sorts first), the position as three digits,
 * and the first 32 hex digits (128 bits) of the content hash, which tell contents apart as surely
 * as the whole and keep a history item within one write unit more often.
 */
export const orderText = (micros: number, position: number, hash: string): string =>
  `${micros >= 0 ? microsToIso(micros) : ''}#${String(position).padStart(3, '0')}#${hashOrder(hash)}`;
