/**
 * The dashboard's page script: plain DOM, no framework. Each page reads its filters from the URL,
 * fetches its data from /api/, renders it into the page's tables, and fetches again every few
 * seconds (REFRESH_MS; STAGE_REFRESH_MS for a deployed stage) while the tab is shown, without
 * reloading, so that new events appear and the filters stay.
 */

const REFRESH_MS = 4_000;
/** On a deployed stage, where every refresh is paid for in read units. */
const STAGE_REFRESH_MS = 30_000;

type Json = Record<string, unknown>;

/** An element with attributes and children; text is always set as text, never as HTML. */
function h(
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

const text = (v: unknown): string =>
  v === undefined || v === null ? '' : typeof v === 'string' ? v : JSON.stringify(v);

/** A time as `2026-11-01 10:03:00Z`, short enough for a table; the full value in its title. */
function timeOf(value: unknown): Node | string {
  const s = text(value);
  const short = s.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
  return s === '' ? '' : h('time', { datetime: s, title: s }, short);
}

function duration(from: unknown, to: unknown): string {
  const a = Date.parse(text(from));
  const b = Date.parse(text(to));
  if (Number.isNaN(a) || Number.isNaN(b) || b < a) return '';
  const s = Math.round((b - a) / 1000);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/** A status with its class as a badge: the word carries the meaning, the colour only helps. */
function badge(label: string, tone: string): HTMLElement {
  return h('span', { class: `badge badge-${tone}` }, label);
}

const jobTone = (statusClass: unknown): string =>
  ({ completed: 'ok', failed: 'bad', running: 'busy' })[text(statusClass)] ?? 'other';
const discoverTone = (status: unknown): string =>
  ({ DISCOVER_SUCCESS: 'ok', DISCOVER_FAILED: 'bad', DISCOVER_STARTED: 'busy' })[text(status)] ??
  'other';

/** A table with a caption and header row; rows are replaced on each refresh. */
function table(caption: string, headers: string[]): { element: HTMLElement; body: HTMLElement } {
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

function setRows(body: HTMLElement, rows: HTMLElement[], columns: number, empty: string): void {
  body.replaceChildren(
    ...(rows.length > 0
      ? rows
      : [h('tr', {}, h('td', { colspan: String(columns), class: 'empty' }, empty))]),
  );
}

async function api<T>(path: string): Promise<T> {
  const response = await fetch(path, { headers: { accept: 'application/json' } });
  const body = (await response.json()) as T & { error?: string };
  if (!response.ok) throw new Error(body.error ?? `HTTP ${response.status}`);
  return body;
}

/** The page's status line: when its data was last fetched, or what went wrong. */
const statusLine = h('p', { class: 'status', role: 'status' });

/**
 * How often a page fetches again: every REFRESH_MS locally, every STAGE_REFRESH_MS on a deployed
 * stage (each refresh there is paid for in read units). Known once /api/about answered.
 */
let refreshMs = REFRESH_MS;
const about = api<{ stage: string | null }>('/api/about').then((a) => {
  if (a.stage !== null) refreshMs = STAGE_REFRESH_MS;
  return a;
});

/**
 * Fetches and renders now, then again every refreshMs, whatever happened the last time; while the
 * tab is hidden it fetches nothing, and it fetches at once when the tab is shown again.
 */
function live(render: () => Promise<void>): void {
  let timer: number | undefined;
  const tick = async (): Promise<void> => {
    timer = undefined;
    try {
      await render();
      statusLine.textContent = `Updated ${new Date().toLocaleTimeString()}; refreshes every ${refreshMs / 1000} s while this tab is shown.`;
      statusLine.classList.remove('error');
    } catch (error) {
      statusLine.textContent = `Could not load: ${error instanceof Error ? error.message : String(error)}. Trying again.`;
      statusLine.classList.add('error');
    }
    if (document.visibilityState === 'visible')
      timer = window.setTimeout(() => void tick(), refreshMs);
  };
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState !== 'visible') {
      window.clearTimeout(timer);
      timer = undefined;
      statusLine.textContent = 'Paused while this tab is hidden.';
      return;
    }
    if (timer === undefined) void tick();
  });
  void about.catch(() => undefined).then(() => tick());
}

/** Fetches and renders once: for a view whose reading costs too much to repeat on a timer. */
function once(render: () => Promise<void>): void {
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

interface Field {
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
      h('a', { href: location.pathname }, 'Clear'),
    ),
  ) as HTMLFormElement;
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const next = new URLSearchParams();
    for (const [name, value] of new FormData(form))
      if (String(value).trim() !== '') next.set(name, String(value).trim());
    const query = next.toString();
    history.pushState(null, '', query === '' ? location.pathname : `${location.pathname}?${query}`);
    onChange();
  });
  return form;
}

/** The API query for this page: the URL's filters, only the names the API takes. */
function query(names: string[]): string {
  const params = new URLSearchParams(location.search);
  const out = new URLSearchParams();
  for (const name of names) {
    const value = params.get(name);
    if (value !== null && value !== '') out.set(name, value);
  }
  const s = out.toString();
  return s === '' ? '' : `?${s}`;
}

const jobHref = (s3Root: unknown): string => `/jobs/${encodeURIComponent(text(s3Root))}`;

/** A table column: its header, and the content of its cell for one item. */
type Column<T> = [header: string, cell: (item: T) => Node | string];

const TENANT_FLOW: Field[] = [
  { name: 'tenant', label: 'Tenant', kind: 'text' },
  { name: 'flow', label: 'Flow', kind: 'text' },
];

/**
 * A page of one table whose rows come from `source()` (which reads the URL's filters), with an
 * optional filter form and what goes above it; the rows, and `above`, refresh by themselves.
 */
function listPage<T>(
  main: HTMLElement,
  options: {
    title: string;
    caption: string;
    columns: Column<T>[];
    source: () => string;
    empty: string;
    fields?: Field[];
    above?: { element: HTMLElement; refresh: () => Promise<void> };
  },
): void {
  const list = table(
    options.caption,
    options.columns.map(([header]) => header),
  );
  const refresh = async (): Promise<void> => {
    const [items] = await Promise.all([api<T[]>(options.source()), options.above?.refresh()]);
    setRows(
      list.body,
      items.map((item) =>
        h('tr', {}, ...options.columns.map(([, cell]) => h('td', {}, cell(item)))),
      ),
      options.columns.length,
      options.empty,
    );
  };
  main.append(
    h('h1', {}, options.title),
    ...(options.above === undefined ? [] : [options.above.element]),
    ...(options.fields === undefined
      ? []
      : [filterForm(options.fields, () => void refresh().catch(() => undefined))]),
    list.element,
  );
  live(refresh);
}

/** The jobs page's summary: counts per status class and failures per tenant, last 24 hours. */
function jobsSummary(): { element: HTMLElement; refresh: () => Promise<void> } {
  const element = h('section', { 'aria-labelledby': 'summary-heading', class: 'summary' });
  const refresh = async (): Promise<void> => {
    const sums = await api<{
      byClass: Record<string, number>;
      failuresByTenant: { tenant: string; failed: number }[];
    }>(`/api/summary${query(['tenant', 'flow'])}`);
    const failures = table('Failed jobs per tenant', ['Tenant', 'Failed']);
    failures.element.classList.add('compact');
    setRows(
      failures.body,
      sums.failuresByTenant.map((f) =>
        h(
          'tr',
          {},
          h(
            'td',
            {},
            h('a', { href: `/?tenant=${encodeURIComponent(f.tenant)}&status=failed` }, f.tenant),
          ),
          h('td', {}, String(f.failed)),
        ),
      ),
      2,
      'No failed jobs.',
    );
    element.replaceChildren(
      h('h2', { id: 'summary-heading' }, 'Jobs started in the last 24 hours'),
      h(
        'ul',
        { class: 'counts' },
        ...['running', 'failed', 'completed', 'other'].map((c) =>
          h(
            'li',
            {},
            h(
              'a',
              { href: `/?status=${c}&since=24h` },
              badge(c, jobTone(c)),
              ` ${sums.byClass[c] ?? 0}`,
            ),
          ),
        ),
      ),
      failures.element,
    );
  };
  return { element, refresh };
}

function jobsPage(main: HTMLElement): void {
  listPage<Json>(main, {
    title: 'Jobs',
    caption: 'Jobs by start time, newest first',
    above: jobsSummary(),
    source: () => `/api/jobs${query(['tenant', 'flow', 'status', 'since', 'limit'])}`,
    empty: 'No jobs match these filters.',
    fields: [
      ...TENANT_FLOW,
      {
        name: 'status',
        label: 'Status',
        kind: 'select',
        options: [
          ['', 'Any'],
          ['running', 'Running'],
          ['failed', 'Failed'],
          ['completed', 'Completed'],
          ['other', 'Other'],
          ['lost', 'Lost (reconcile gave up)'],
        ],
      },
      { name: 'since', label: 'Started since', kind: 'text', hint: '24h, 7d or an ISO time' },
    ],
    columns: [
      ['Status', (j) => badge(text(j.status), jobTone(j.status_class))],
      ['Job', (j) => h('a', { href: jobHref(j.s3_root) }, text(j.job_id ?? j.s3_root))],
      ['Tenant', (j) => text(j.tenant)],
      ['Flow', (j) => text(j.flow_id)],
      ['Started', (j) => timeOf(j.started_at)],
      ['Last update', (j) => timeOf(j.updated_at)],
      ['Duration', (j) => duration(j.started_at, j.updated_at)],
    ],
  });
}

function jobPage(main: HTMLElement, s3Root: string): void {
  const heading = h('h1', {}, 'Job');
  const fields = h('dl', { class: 'fields' });
  const timeline = table('Timeline, in lifecycle order', [
    'Time',
    'Status',
    'Error',
    'Message',
    'Records',
    'Source',
  ]);
  main.append(
    h('p', {}, h('a', { href: '/' }, '← All jobs')),
    heading,
    h('h2', {}, 'Record'),
    fields,
    h('h2', {}, 'Events'),
    timeline.element,
  );
  live(async () => {
    const job = await api<Json & { history: Json[] }>(`/api/jobs/${encodeURIComponent(s3Root)}`);
    heading.replaceChildren(
      `Job ${text(job.job_id ?? job.s3_root)} `,
      badge(text(job.status), jobTone(job.status_class)),
    );
    const { history, ...record } = job;
    fields.replaceChildren(
      ...Object.entries(record)
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .flatMap(([name, value]) => [h('dt', {}, name), h('dd', {}, text(value))]),
    );
    setRows(
      timeline.body,
      history.map((e) =>
        h(
          'tr',
          {},
          h('td', {}, timeOf(e.time)),
          h('td', {}, text(e.status)),
          h('td', {}, text(e.error)),
          h('td', {}, text(e.message)),
          h('td', {}, text(e.record_count)),
          h('td', {}, text(e.source)),
        ),
      ),
      6,
      'No events.',
    );
  });
}

function discoverPage(main: HTMLElement): void {
  listPage<Json>(main, {
    title: 'Discover',
    caption: 'Discover state per connector',
    source: () => `/api/discover${query(['tenant', 'flow', 'status'])}`,
    empty: 'No discover state matches these filters.',
    fields: [
      ...TENANT_FLOW,
      {
        name: 'status',
        label: 'Status',
        kind: 'select',
        options: [
          ['', 'Any'],
          ['started', 'Started'],
          ['success', 'Success'],
          ['failed', 'Failed'],
        ],
      },
    ],
    columns: [
      ['Status', (s) => badge(text(s.status), discoverTone(s.status))],
      ['Connector', (s) => text(s.connector)],
      ['Tenant', (s) => text(s.tenant)],
      ['Flow', (s) => text(s.flow_id)],
      ['Environment', (s) => text(s.env_id)],
      ['Last update', (s) => timeOf(s.updated_at)],
      ['Last success', (s) => timeOf(s.last_success_at)],
      ['Last failure', (s) => timeOf(s.last_failed_at)],
      ['Error', (s) => text(s.error ?? s.message)],
    ],
  });
}

function connectionsPage(main: HTMLElement): void {
  listPage<Json>(main, {
    title: 'Connections',
    caption: 'Connections',
    source: () => `/api/connections${query(['tenant', 'flow', 'linked'])}`,
    empty: 'No connections match these filters.',
    fields: [...TENANT_FLOW, { name: 'linked', label: 'Linked only', kind: 'checkbox' }],
    columns: [
      ['Linked', (c) => (c.linked === true ? badge('linked', 'ok') : badge('unlinked', 'bad'))],
      ['Connector', (c) => text(c.connector)],
      ['Type', (c) => text(c.connector_type)],
      ['Tenant', (c) => text(c.tenant)],
      ['Flow', (c) => text(c.flow_id)],
      ['Latest event', (c) => text(c.event)],
      ['Last update', (c) => timeOf(c.updated_at)],
      ['Events', (c) => text(c.event_count)],
      ['History', (c) => h('a', { href: connectionHistoryHref(c) }, 'History')],
    ],
  });
}

/** The history page of the connection a list row shows. */
const connectionHistoryHref = (c: Json, before?: string): string =>
  `/connections/history?${new URLSearchParams({
    env: text(c.env_id),
    tenant: text(c.tenant),
    flow: text(c.flow_id),
    type: text(c.connector_type),
    connector: text(c.connector),
    ...(before !== undefined && { before }),
  }).toString()}`;

/** One connection's events, newest first, a page at a time (read once: a page reads it all). */
function connectionHistoryPage(main: HTMLElement): void {
  const params = new URLSearchParams(location.search);
  const key: Json = {
    env_id: params.get('env'),
    tenant: params.get('tenant'),
    flow_id: params.get('flow'),
    connector_type: params.get('type'),
    connector: params.get('connector'),
  };
  const events = table('Events, newest first', ['Time', 'Event', 'Event id', 'First link']);
  const older = h('p', {});
  main.append(
    h('p', {}, h('a', { href: '/connections' }, '← All connections')),
    h('h1', {}, `Connection ${text(key.connector)} of ${text(key.tenant)}`),
    h(
      'p',
      {},
      `Flow ${text(key.flow_id)}, ${text(key.connector_type)}, environment ${text(key.env_id)}.`,
    ),
    events.element,
    older,
  );
  once(async () => {
    const page = await api<{ items: Json[]; next: string | null }>(
      `/api/connections/history${location.search}`,
    );
    setRows(
      events.body,
      page.items.map((e) =>
        h(
          'tr',
          {},
          h('td', {}, timeOf(e.timestamp)),
          h('td', {}, text(e.event)),
          h('td', {}, text(e.event_id)),
          h('td', {}, text(e.first_link)),
        ),
      ),
      4,
      'No events.',
    );
    older.replaceChildren(
      page.next === null
        ? ''
        : h('a', { href: connectionHistoryHref(key, page.next) }, 'Older events'),
    );
  });
}

interface QueueRow {
  kind: string;
  queue?: { name: string; messages: number };
  deadLetter: { name: string; messages: number };
  redrive: string;
}

function queuesPage(main: HTMLElement): void {
  listPage<QueueRow>(main, {
    title: 'Queues',
    caption: 'Queues and their dead-letter queues',
    above: {
      element: h(
        'p',
        {},
        'This page only reads. Dead letters wait until you move them back with the command shown, once the cause is fixed.',
      ),
      refresh: async () => undefined,
    },
    source: () => '/api/queues',
    empty: 'No queues.',
    columns: [
      ['Kind', (q) => q.kind],
      ['Queue', (q) => q.queue?.name ?? '—'],
      ['Waiting or in flight', (q) => (q.queue === undefined ? '—' : String(q.queue.messages))],
      ['Dead-letter queue', (q) => q.deadLetter.name],
      [
        'Dead letters',
        (q) =>
          q.deadLetter.messages > 0
            ? badge(String(q.deadLetter.messages), 'bad')
            : String(q.deadLetter.messages),
      ],
      ['To redrive them', (q) => h('code', {}, q.redrive)],
    ],
  });
}

function notificationsPage(main: HTMLElement): void {
  const note = h(
    'p',
    {},
    'One per change of a record’s state, as the local stack delivered them (to its log, NOTIFY_URL when set, and notifications tail). A deployed stage puts them on its EventBridge bus instead.',
  );
  listPage<Json>(main, {
    title: 'Notifications',
    caption: 'Notifications sent, newest first',
    above: { element: note, refresh: async () => undefined },
    source: () => '/api/notifications',
    empty: 'No notification yet: a job that completes or fails sends one.',
    columns: [
      ['Time', (n) => timeOf(n.time)],
      ['Detail-type', (n) => text(n['detail-type'])],
      [
        'About',
        (n) => {
          const d = (n.detail ?? {}) as Json;
          return d.s3_root !== undefined
            ? h('a', { href: jobHref(d.s3_root) }, text(d.job_id ?? d.s3_root))
            : `${text(d.connector)} · ${text(d.tenant)}`;
        },
      ],
      [
        'Change',
        (n) => {
          const d = (n.detail ?? {}) as Json;
          return d.previous_linked !== undefined
            ? `linked ${text(d.previous_linked) || '—'} → ${text(d.linked)}`
            : `${text(d.previous_status) || '—'} → ${text(d.status)}`;
        },
      ],
      ['Id', (n) => h('code', {}, text(n.id))],
    ],
  });
}

const PAGES: [path: string, label: string][] = [
  ['/', 'Jobs'],
  ['/discover', 'Discover'],
  ['/connections', 'Connections'],
  ['/queues', 'Queues'],
  ['/notifications', 'Notifications'],
];

function start(): void {
  const path = location.pathname;
  const current = path.startsWith('/jobs/')
    ? '/'
    : path.startsWith('/connections/')
      ? '/connections'
      : path;
  const nav = h(
    'nav',
    { 'aria-label': 'Pages' },
    h(
      'ul',
      {},
      ...PAGES.map(([href, label]) =>
        h('li', {}, h('a', { href, ...(href === current && { 'aria-current': 'page' }) }, label)),
      ),
    ),
  );
  const where = h('span', { class: 'where' });
  void about.then((a) => {
    where.textContent = a.stage === null ? 'local stack' : `stage ${a.stage}`;
  });
  const main = h('main', { id: 'main' });
  document.body.replaceChildren(
    h('header', {}, h('a', { href: '/', class: 'brand' }, 'hotglue-webhooks'), where, nav),
    main,
    h('footer', {}, statusLine),
  );
  if (path.startsWith('/jobs/')) jobPage(main, decodeURIComponent(path.slice('/jobs/'.length)));
  else if (path === '/discover') discoverPage(main);
  else if (path === '/connections') connectionsPage(main);
  else if (path === '/connections/history') connectionHistoryPage(main);
  else if (path === '/queues') queuesPage(main);
  else if (path === '/notifications') notificationsPage(main);
  else jobsPage(main);
}

// The back and forward buttons move between filter states: show the state the URL names.
window.addEventListener('popstate', () => location.reload());
start();
