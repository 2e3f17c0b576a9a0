/** The dashboard's building blocks: elements, tables, filters, fetching and refreshing. */
import { countText, firstOfPage, pagePath, pagerLinks, type ListCount, type Noun } from './pager';
import { replaceIfChanged } from './redraw';

const REFRESH_MS = 4_000;
/** On a deployed stage, where every refresh is paid for in read units. */
const STAGE_REFRESH_MS = 30_000;
/** How long a list's count is kept across refreshes while its filters stay (see listPage). */
const COUNT_KEPT_MS = 60_000;

export type Json = Record<string, unknown>;

/** An element with attributes and children; text is always set as text, never as HTML. */
export function h(
  tag: string,
  attributes: Record<string, string | undefined> = {},
  ...children: (Node | string | undefined | null)[]
): HTMLElement {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes))
    if (value !== undefined) element.setAttribute(name, value);
  for (const child of children)
    if (child !== undefined && child !== null)
      element.append(typeof child === 'string' ? document.createTextNode(child) : child);
  return element;
}

export const text = (v: unknown): string =>
  v === undefined || v === null ? '' : typeof v === 'string' ? v : JSON.stringify(v);

/** A time as `2026-11-01 10:03:00Z`, short enough for a table; the full value in its title. */
export function timeOf(value: unknown): Node | string {
  const s = text(value);
  const short = s.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
  return s === '' ? '' : h('time', { datetime: s, title: s }, short);
}

export function duration(from: unknown, to: unknown): string {
  const a = Date.parse(text(from));
  const b = Date.parse(text(to));
  if (Number.isNaN(a) || Number.isNaN(b) || b < a) return '';
  const s = Math.round((b - a) / 1000);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/** A status with its class as a badge: the word carries the meaning, the colour only helps. */
export function badge(label: string, tone: string): HTMLElement {
  return h('span', { class: `badge badge-${tone}` }, label);
}

const JOB_TONES = new Map([
  ['completed', 'ok'],
  ['failed', 'bad'],
  ['running', 'busy'],
]);
const DISCOVER_TONES = new Map([
  ['DISCOVER_SUCCESS', 'ok'],
  ['DISCOVER_FAILED', 'bad'],
  ['DISCOVER_STARTED', 'busy'],
]);
export const jobTone = (statusClass: unknown): string =>
  JOB_TONES.get(text(statusClass)) ?? 'other';
export const discoverTone = (status: unknown): string =>
  DISCOVER_TONES.get(text(status)) ?? 'other';

/** A table with a caption and header row; rows are replaced on each refresh. */
export function table(
  caption: string,
  headers: string[],
): { element: HTMLElement; body: HTMLElement } {
  const body = h('tbody');
  const element = h(
    'table',
    {},
    h('caption', {}, caption),
    h('thead', {}, h('tr', {}, ...headers.map((name) => h('th', { scope: 'col' }, name)))),
    body,
  );
  return { element, body };
}

export function setRows(
  body: HTMLElement,
  rows: HTMLElement[],
  columns: number,
  empty: string,
): void {
  replaceIfChanged(
    body,
    rows.length > 0
      ? rows
      : [h('tr', {}, h('td', { colspan: String(columns), class: 'empty' }, empty))],
  );
}

/** An answer that is not 200: its status, and the API's reason as the message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    reason: string,
  ) {
    super(reason);
  }
}

/** A 4xx: the request itself is wrong (a filter, say), so asking again answers the same. */
const refused = (error: unknown): boolean =>
  error instanceof ApiError && error.status >= 400 && error.status < 500;

export async function api<T>(path: string): Promise<T> {
  const response = await fetch(path, { headers: { accept: 'application/json' } });
  const body = (await response.json()) as T & { error?: string };
  if (!response.ok) throw new ApiError(response.status, body.error ?? `HTTP ${response.status}`);
  return body;
}

/** The page's status line: when its data was last fetched, or what went wrong. */
export const statusLine = h('p', { class: 'status', role: 'status' });

/**
 * How often a page fetches again: every REFRESH_MS locally, every STAGE_REFRESH_MS on a deployed
 * stage (each refresh there is paid for in read units). Known once /api/about answered.
 */
let refreshMs = REFRESH_MS;
export const about = api<{ stage: string | null }>('/api/about').then((a) => {
  if (a.stage !== null) refreshMs = STAGE_REFRESH_MS;
  return a;
});

/**
 * Fetches and renders now, then again every refreshMs; while the tab is hidden it fetches nothing,
 * and it fetches at once when the tab is shown again. A failure is tried again in REFRESH_MS, but
 * for a 4xx (a filter the API refuses): its reason stays shown, and nothing is fetched until the
 * returned `restart` is called (the filters changed).
 */
export function live(render: () => Promise<void>): () => void {
  let timer: number | undefined;
  let stopped = false;
  /** The latest tick: an older one still fetching when a newer started leaves it the page. */
  let latest = 0;
  const tick = async (): Promise<void> => {
    timer = undefined;
    const run = (latest += 1);
    // After a failed fetch, the next try comes soon (REFRESH_MS) even on a stage: errors read little.
    let next = REFRESH_MS;
    try {
      await render();
      if (run !== latest) return;
      next = refreshMs;
      statusLine.textContent = `Updated ${new Date().toLocaleTimeString()}; refreshes every ${refreshMs / 1000} s while this tab is shown.`;
      statusLine.classList.remove('error');
    } catch (error) {
      if (run !== latest) return;
      const reason = error instanceof Error ? error.message : String(error);
      stopped = refused(error);
      statusLine.textContent = stopped
        ? `Could not load: ${reason}. Change the filters to try again.`
        : `Could not load: ${reason}. Trying again in ${REFRESH_MS / 1000} s.`;
      statusLine.classList.add('error');
    }
    if (!stopped && document.visibilityState === 'visible')
      timer = window.setTimeout(() => void tick(), next);
  };
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState !== 'visible') {
      window.clearTimeout(timer);
      timer = undefined;
      if (!stopped) statusLine.textContent = 'Paused while this tab is hidden.';
      return;
    }
    if (timer === undefined && !stopped) void tick();
  });
  void about.catch(() => undefined).then(() => tick());
  return () => {
    window.clearTimeout(timer);
    stopped = false;
    void tick();
  };
}

/** Fetches and renders once: for a view whose reading costs too much to repeat on a timer. */
export function once(render: () => Promise<void>): void {
  render().then(
    () => {
      statusLine.textContent = `Updated ${new Date().toLocaleTimeString()}; reload the page for newer events.`;
      statusLine.classList.remove('error');
    },
    (error: unknown) => {
      statusLine.textContent = `Could not load: ${error instanceof Error ? error.message : String(error)}.`;
      statusLine.classList.add('error');
    },
  );
}

export interface Field {
  name: string;
  label: string;
  kind: 'text' | 'select' | 'checkbox';
  options?: [value: string, label: string][];
  hint?: string;
}

/**
 * A filter form whose values live in the URL's query: submitting it rewrites the URL (so a view
 * can be shared or bookmarked) and renders again, without reloading the page.
 */
function filterForm(fields: Field[], onChange: () => void): HTMLElement {
  const params = new URLSearchParams(location.search);
  const controls = fields.map((f) => {
    const id = `filter-${f.name}`;
    const value = params.get(f.name) ?? '';
    let control: HTMLElement;
    if (f.kind === 'select') {
      control = h(
        'select',
        { id, name: f.name },
        ...(f.options ?? []).map(([v, label]) => {
          const option = h('option', { value: v }, label);
          if (v === value) option.setAttribute('selected', '');
          return option;
        }),
      );
    } else if (f.kind === 'checkbox') {
      control = h('input', { id, name: f.name, type: 'checkbox', value: 'true' });
      if (value === 'true') control.setAttribute('checked', '');
    } else {
      control = h('input', {
        id,
        name: f.name,
        type: 'text',
        value,
        placeholder: f.hint,
        autocomplete: 'off',
      });
    }
    return h('div', { class: 'field' }, h('label', { for: id }, f.label), control);
  });
  const form = h(
    'form',
    { class: 'filters', role: 'search', 'aria-label': 'Filters' },
    ...controls,
    h(
      'div',
      { class: 'actions' },
      h('button', { type: 'submit' }, 'Apply'),
      h('a', { href: pagePath() }, 'Clear'),
    ),
  ) as HTMLFormElement;
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const next = new URLSearchParams();
    for (const [name, value] of new FormData(form))
      if (String(value).trim() !== '') next.set(name, String(value).trim());
    const query = next.toString();
    history.pushState(null, '', query === '' ? pagePath() : `${pagePath()}?${query}`);
    onChange();
  });
  return form;
}

/** The API query for this page: the URL's filters, only the names the API takes. */
export function query(names: string[]): string {
  const params = new URLSearchParams(location.search);
  const out = new URLSearchParams();
  for (const name of names) {
    const value = params.get(name);
    if (value !== null && value !== '') out.set(name, value);
  }
  const s = out.toString();
  return s === '' ? '' : `?${s}`;
}

export const jobHref = (s3Root: unknown): string => `/jobs/${encodeURIComponent(text(s3Root))}`;

/**
 * A table column: its header, the content of its cell for one item, and `wrap` for a column of
 * free text (an error), which wraps where the others keep each cell on one line on a phone.
 */
export type Column<T> = [header: string, cell: (item: T) => Node | string, kind?: 'wrap'];

export const TENANT_FLOW: Field[] = [
  { name: 'tenant', label: 'Tenant', kind: 'text' },
  { name: 'flow', label: 'Flow', kind: 'text' },
];

/** The status filter: any, or one of `options` ([value, label]). */
export const statusField = (options: [string, string][]): Field => ({
  name: 'status',
  label: 'Status',
  kind: 'select',
  options: [['', 'Any'], ...options],
});

/**
 * A page of one table whose rows come from `source()` (which reads the URL's filters), with an
 * optional filter form and what goes above it; the rows, and `above`, refresh by themselves.
 * A `paged` list is a /v1 list read a keyset page at a time: `source()` passes on the URL's
 * `cursor`, a line above the table counts it ("50 of 60 jobs", from `paged.count()`, an
 * /api/count/ path with the same filters, asked again only when they change or after a minute),
 * and links under it lead to the next and first pages.
 */
export function listPage<T>(
  main: HTMLElement,
  options: {
    title: string;
    caption: string;
    columns: Column<T>[];
    source: () => string;
    empty: string;
    fields?: Field[];
    above?: { element: HTMLElement; refresh: () => Promise<void> };
    paged?: { count: () => string; noun: Noun };
  },
): void {
  const list = table(
    options.caption,
    options.columns.map(([header]) => header),
  );
  const counted = h('p', { class: 'count' });
  const pager = h('p', { class: 'pager' });
  const { paged } = options;
  /** The last count asked: its path (the filters), when, and its answer. */
  let kept: { path: string; at: number; total: Promise<ListCount | undefined> } | undefined;
  /**
   * The list's count, asked again only when the filters changed, COUNT_KEPT_MS passed or it
   * failed: a count reads up to some 20,000 index entries (370 read units on a stage), where a
   * refresh reads a page's worth. A new page is a new page load, which counts anew.
   */
  const count = (path: string): Promise<ListCount | undefined> => {
    if (kept?.path === path && Date.now() - kept.at < COUNT_KEPT_MS) return kept.total;
    const asked = {
      path,
      at: Date.now(),
      // The count only says how long the list is: the list shows without it.
      total: api<ListCount>(path).catch(() => {
        if (kept === asked) kept = undefined;
        return undefined;
      }),
    };
    kept = asked;
    return asked.total;
  };
  const refresh = async (): Promise<void> => {
    // A /v1 list answers one page ({ items, next }); the dashboard's own lists, an array.
    const [answer, , total] = await Promise.all([
      api<T[] | { items: T[]; next: string | null }>(options.source()),
      options.above?.refresh(),
      paged && count(paged.count()),
    ]);
    const items = Array.isArray(answer) ? answer : answer.items;
    setRows(
      list.body,
      items.map((item) =>
        h(
          'tr',
          {},
          ...options.columns.map(([, cell, kind]) =>
            h('td', kind === undefined ? {} : { class: kind }, cell(item)),
          ),
        ),
      ),
      options.columns.length,
      options.empty,
    );
    if (paged === undefined || Array.isArray(answer)) return;
    const first = firstOfPage();
    counted.textContent = countText(first, items.length, total, paged.noun);
    replaceIfChanged(pager, pagerLinks(first, items.length, answer.next));
  };
  main.append(
    h('h1', {}, options.title),
    ...(options.above === undefined ? [] : [options.above.element]),
    ...(options.fields === undefined ? [] : [filterForm(options.fields, () => restart())]),
    ...(paged === undefined ? [list.element] : [counted, list.element, pager]),
  );
  // New filters fetch at once, and start the refreshes again if the last filters were refused.
  const restart = live(refresh);
}

/** The jobs page's summary: counts per status class and failures per tenant, last 24 hours. */
