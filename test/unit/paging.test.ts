import fc from 'fast-check';
import { compareKeys, keysetPage, type ListPageRequest } from '../../lib/records/paging';

/**
 * keysetPage, the pager every list of the read API shares: over a sorted list of entries, some
 * dropped by a filter, its pages give every kept entry once and in order, whatever the page size
 * and read budget; a page never examines more than its budget.
 */

interface Entry {
  key: string;
  kept: boolean;
}

/** The entries after `after`, as an index read from a position gives them (keys ascending). */
function* from(entries: Entry[], after: string | undefined, read: { examined: number }) {
  for (const e of entries)
    if (after === undefined || compareKeys(e.key, after) > 0) {
      read.examined += 1;
      yield e;
    }
}

describe('keysetPage', () => {
  it('walks a filtered list page by page: every kept entry once, in order, each page within its limit and budget', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.string({ minLength: 1, maxLength: 4 }), { maxLength: 80 }),
        fc.func(fc.boolean()),
        fc.integer({ min: 1, max: 7 }),
        fc.option(fc.integer({ min: 1, max: 9 }), { nil: undefined }),
        async (keys, keep, limit, budget) => {
          const entries = keys
            .sort(compareKeys)
            .map((key) => ({ key, kept: keep(key) }) satisfies Entry);
          const shown: string[] = [];
          let after: string | undefined;
          for (let page = 0; page <= entries.length + 1; page += 1) {
            const read = { examined: 0 };
            const request: ListPageRequest = {
              limit,
              ...(after !== undefined && { after }),
              ...(budget !== undefined && { budget }),
            };
            const got = await keysetPage(
              from(entries, after, read),
              (e) => e.key,
              async (chunk) => chunk.map((e) => (e.kept ? e.key : undefined)),
              request,
            );
            expect(got.items.length).toBeLessThanOrEqual(limit);
            // What it examined, plus at most one chunk's worth looked ahead and the one peeked.
            expect(read.examined).toBeLessThanOrEqual(
              (budget ?? 1000) + Math.min(100, limit * 2) + 1,
            );
            shown.push(...got.items);
            if (got.after === null) break;
            expect(after === undefined || compareKeys(got.after, after) > 0).toBe(true);
            after = got.after;
          }
          expect(shown).toEqual(entries.filter((e) => e.kept).map((e) => e.key));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('fills a page of an unfiltered list exactly, and ends it with null only when nothing follows', async () => {
    const entries = ['a', 'b', 'c', 'd'].map((key) => ({ key, kept: true }));
    const page = (after?: string) =>
      keysetPage(
        from(entries, after, { examined: 0 }),
        (e) => e.key,
        async (chunk) => chunk.map((e) => e.key),
        { limit: 2, ...(after !== undefined && { after }) },
      );
    expect(await page()).toEqual({ items: ['a', 'b'], after: 'b' });
    expect(await page('b')).toEqual({ items: ['c', 'd'], after: null });
  });

  it('orders keys as DynamoDB does, by UTF-8 bytes (code points), not UTF-16 units', () => {
    const astral = '\u{1F600}'; // U+1F600: a surrogate pair in UTF-16
    const high = '\uFF21'; // U+FF21: one unit above the surrogates
    expect(compareKeys(high, astral)).toBeLessThan(0);
    expect(Buffer.compare(Buffer.from(high), Buffer.from(astral))).toBeLessThan(0);
    expect(high < astral).toBe(false); // what JavaScript's < says instead
    expect(compareKeys('a#1', 'a#1')).toBe(0);
    expect(compareKeys('a', 'a#')).toBeLessThan(0);
  });
});
