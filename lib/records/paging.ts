/**
 * Keyset pages of a list (the read API's `next`): a list is read in the order of its index's sort
 * key, and a page ends at a position, the sort key of the last index entry it examined. The next
 * page reads strictly after that position, so it never reads an earlier page again, however many
 * pages came before, and an item whose sort key does not change is on exactly one page.
 *
 * Every list's sort key holds the item's own key (a job's `started_key` ends with its s3_root, a
 * discover state's `sort_key` is its whole key), so no two items share one: the position of every
 * shard stream of a merged index is the same key, the last one the merge gave. Each shard resumes
 * strictly after it. Should one item be read twice in a merge (an index entry moving between two
 * status classes, seen in both while the index catches up), both copies have one key, and the
 * merge drops the second.
 */

/** Which page of a keyset list: at most `limit` items, after `after` when given. */
export interface ListPageRequest {
  limit: number;
  /** A position a previous page returned as `after`. */
  after?: string;
  /**
   * At most this many index entries are examined (READ_BUDGET by default): a list whose filters
   * are checked on the records (a status on the tenant index, say) stops there and returns the
   * items it found, fewer than `limit`, perhaps none, with the position to go on from.
   */
  budget?: number;
}

/** One page of a keyset list, and the position of the next page (null: the list is done). */
export interface ListPage<T> {
  items: T[];
  after: string | null;
}

/** The index entries one page examines at most (ten BatchGetItem calls of 100 keys). */
const READ_BUDGET = 1_000;

/** Keys a page resolves at once at most: BatchGetItem's 100. */
const CHUNK_MAX = 100;

/**
 * Compares two strings by code point: the order of their UTF-8 bytes, DynamoDB's order of sort
 * keys (JavaScript's `<` compares UTF-16 code units, which differ above U+FFFF).
 */
export function compareKeys(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i += 1) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointRank(x) - codePointRank(y);
  }
  return a.length - b.length;
}

/** A UTF-16 code unit moved so that surrogates (U+D800–DFFF) sort above U+E000–FFFF. */
const codePointRank = (unit: number): number =>
  unit >= 0xe000 ? unit - 0x800 : unit >= 0xd800 ? unit + 0x2000 : unit;

/**
 * One page from a list's index entries, read in order from after the page's position: the entries
 * are resolved to items a chunk at a time (`resolve` gives undefined for an entry whose item does
 * not pass the filters, or is gone), until `limit` items or `budget` entries. The page's position
 * is the last entry examined; it has a next page when another entry follows (looked up in the
 * index only). A chunk holds what the page still needs, twice as much again each time a chunk
 * falls short (the filters drop entries), at most CHUNK_MAX.
 */
export async function keysetPage<K, T>(
  entries: AsyncIterator<K> | Iterator<K>,
  positionOf: (entry: K) => string,
  resolve: (chunk: K[]) => Promise<(T | undefined)[]>,
  request: ListPageRequest,
): Promise<ListPage<T>> {
  const budget = request.budget ?? READ_BUDGET;
  const items: T[] = [];
  let examined = 0;
  let after: string | undefined;
  let growth = 1;
  try {
    for (;;) {
      const need = request.limit - items.length;
      if (need <= 0 || examined >= budget) {
        const more = await entries.next();
        return { items, after: more.done === true ? null : (after ?? null) };
      }
      const size = Math.min(CHUNK_MAX, budget - examined, need * growth);
      const chunk: K[] = [];
      while (chunk.length < size) {
        const next = await entries.next();
        if (next.done === true) break;
        chunk.push(next.value);
      }
      const resolved = await resolve(chunk);
      let used = 0;
      for (const entry of chunk) {
        const item = resolved[used];
        used += 1;
        examined += 1;
        after = positionOf(entry);
        if (item !== undefined) items.push(item);
        // The page ends at its last item: the entries after it in this chunk are the next page's.
        if (items.length === request.limit) break;
      }
      if (used < chunk.length) return { items, after: after ?? null };
      if (chunk.length < size) return { items, after: null };
      growth = Math.min(growth * 2, CHUNK_MAX);
    }
  } finally {
    await entries.return?.();
  }
}
