/**
 * A list page's count ("50 of 60 jobs") and its links to the next and the first page. Pages are
 * the read API's keyset pages: the URL holds the `cursor` of the page shown and `from`, the place
 * of its first item, which only the count line reads.
 */

/** The answer of /api/count/<list>: the list's size, or a lower bound of it when not exact. */
export interface ListCount {
  count: number;
  exact: boolean;
}

/** What a list counts, in the singular and the plural. */
export type Noun = [one: string, many: string];

const number = (n: number): string => n.toLocaleString('en-US');

/** The place of the page's first item in the list, from the URL (1 on the first page). */
export function firstOfPage(): number {
  const from = Number(new URLSearchParams(location.search).get('from'));
  return Number.isSafeInteger(from) && from > 1 ? from : 1;
}

/**
 * "50 of 60 jobs" on the first page, "51–60 of 60 jobs" further on; "of at least 1,000" when
 * counting stopped at its bound, and only the shown items when the count failed.
 */
export function countText(
  first: number,
  shown: number,
  total: ListCount | undefined,
  noun: Noun,
): string {
  const last = first + shown - 1;
  const range =
    first === 1 ? number(shown) : shown === 0 ? 'none' : `${number(first)}–${number(last)}`;
  if (total === undefined) return `${range} shown`;
  const size = Math.max(total.count, last);
  if (size === 0) return `0 ${noun[1]}`;
  return `${range} of ${total.exact ? '' : 'at least '}${number(size)} ${size === 1 ? noun[0] : noun[1]}`;
}

/**
 * The page's path with its leading slashes collapsed into one: a link to `//evil.com/` would lead
 * to http://evil.com/ (the server serves no such path, but links stay on this host whatever it
 * serves).
 */
export const pagePath = (): string => location.pathname.replace(/^\/+/, '/');

/** The page's address with the list's position changed (none: the first page). */
function pageHref(position?: { cursor: string; from: number }): string {
  const params = new URLSearchParams(location.search);
  params.delete('cursor');
  params.delete('from');
  if (position !== undefined) {
    params.set('cursor', position.cursor);
    params.set('from', String(position.from));
  }
  const query = params.toString();
  return query === '' ? pagePath() : `${pagePath()}?${query}`;
}

function link(href: string, label: string, rel?: string): HTMLAnchorElement {
  const a = document.createElement('a');
  a.href = href;
  a.textContent = label;
  if (rel !== undefined) a.rel = rel;
  return a;
}

/** The links under a list: the next page when there is one, the first when this is not it. */
export function pagerLinks(first: number, shown: number, next: string | null): Node[] {
  return [
    ...(first > 1 || new URLSearchParams(location.search).has('cursor')
      ? [link(pageHref(), 'First page')]
      : []),
    ...(next === null
      ? []
      : [link(pageHref({ cursor: next, from: first + shown }), 'Next page', 'next')]),
  ];
}
