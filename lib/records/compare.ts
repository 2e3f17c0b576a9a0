import { compareText } from '../webhook/content-hash';

export type SortKey = (number | string)[];

/** Compares two keys element by element (numbers numerically, strings by code unit). */
function compareKeys(a: SortKey, b: SortKey): number {
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
