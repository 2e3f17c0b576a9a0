import {
  type Json,
  h,
  text,
  timeOf,
  duration,
  badge,
  jobTone,
  table,
  setRows,
  api,
  live,
  query,
  jobHref,
  TENANT_FLOW,
  statusField,
  listPage,
  ApiError,
} from './ui';
import { replaceIfChanged } from './redraw';
import { DAY, HOUR, jobsChart, perDay, type HourCount } from './chart';

/** The jobs list with its summary, and one job's page. */

/**
 * The last 7 days per day: read once, when first opened (its counts read seven days of index
 * entries, too many to read again on every refresh of the page).
 */
function weekChart(): HTMLElement {
  const week = h('details', { class: 'week' }, h('summary', {}, 'The last 7 days, per day'));
  week.addEventListener('toggle', () => {
    if (!(week as HTMLDetailsElement).open || week.dataset.loaded !== undefined) return;
    week.dataset.loaded = 'true';
    const base = new URLSearchParams(location.search);
    const params = new URLSearchParams(query(['tenant', 'flow']).slice(1));
    params.set('since', '7d');
    void api<{ byHour: HourCount[] }>(`/v1/summary?${params.toString()}`).then(
      (sums) => week.append(jobsChart(perDay(sums.byHour), DAY, base)),
      (error: unknown) =>
        week.append(h('p', { class: 'error' }, `Could not load: ${String(error)}`)),
    );
  });
  return week;
}

function jobsSummary(): { element: HTMLElement; refresh: () => Promise<void> } {
  const element = h('section', { 'aria-labelledby': 'summary-heading', class: 'summary' });
  const week = weekChart();
  // The hour table, open or closed as the reader left it: the chart is drawn on every refresh.
  const hours = { open: false };
  const refresh = async (): Promise<void> => {
    const sums = await api<{
      byClass: Record<string, number>;
      failuresByTenant: { tenant: string; failed: number }[];
      byHour: HourCount[];
    }>(`/v1/summary${query(['tenant', 'flow'])}`);
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
    replaceIfChanged(element, [
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
      jobsChart(sums.byHour, HOUR, new URLSearchParams(location.search), hours),
      week,
    ]);
  };
  return { element, refresh };
}

/** A failed job's error as the list shows it: its first line that is not blank. */
const firstLine = (error: unknown): string =>
  text(error)
    .split(/\r?\n/)
    .find((line) => line.trim() !== '')
    ?.trim() ?? '';

export function jobsPage(main: HTMLElement): void {
  listPage<Json>(main, {
    title: 'Jobs',
    caption: 'Jobs by start time, newest first',
    above: jobsSummary(),
    source: () =>
      `/v1/jobs${query(['tenant', 'flow', 'status', 'since', 'until', 'limit', 'cursor'])}`,
    paged: {
      count: () => `/api/count/jobs${query(['tenant', 'flow', 'status', 'since', 'until'])}`,
      noun: ['job', 'jobs'],
    },
    empty: 'No jobs match these filters.',
    fields: [
      ...TENANT_FLOW,
      statusField([
        ['running', 'Running'],
        ['failed', 'Failed'],
        ['completed', 'Completed'],
        ['other', 'Other'],
        ['lost', 'Lost (reconcile gave up)'],
      ]),
      { name: 'since', label: 'Started since', kind: 'text', hint: '24h, 7d or an ISO time' },
      {
        name: 'until',
        label: 'Started before',
        kind: 'text',
        hint: 'an ISO time (a chart hour sets it)',
      },
    ],
    columns: [
      ['Status', (j) => badge(text(j.status), jobTone(j.status_class))],
      ['Job', (j) => h('a', { href: jobHref(j.s3_root) }, text(j.job_id ?? j.s3_root))],
      ['Tenant', (j) => text(j.tenant)],
      ['Flow', (j) => text(j.flow_id)],
      ['Started', (j) => timeOf(j.started_at)],
      ['Last update', (j) => timeOf(j.updated_at)],
      ['Duration', (j) => duration(j.started_at, j.updated_at)],
      [
        'Error',
        (j) => (j.status_class === 'failed' ? firstLine(j.error ?? j.message) : ''),
        'wrap',
      ],
    ],
  });
}

/**
 * One job's page: its record and its events. A job the API does not know (yet: its first webhook
 * may be on its way) is one message, and the page keeps looking for it.
 */
export function jobPage(main: HTMLElement, s3Root: string): void {
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
  const back = () => h('p', {}, h('a', { href: '/' }, '← All jobs'));
  const found = [
    back(),
    heading,
    h('h2', {}, 'Record'),
    fields,
    h('h2', {}, 'Events'),
    timeline.element,
  ];
  const unknown = h('h1', {}, 'No such job');
  const missing = [
    back(),
    unknown,
    h(
      'p',
      { class: 'missing' },
      `No job has the s3_root or job_id “${s3Root}”. A job shows here once its first webhook is stored; this page keeps looking.`,
    ),
  ];
  live(async () => {
    let job: Json & { history: Json[] };
    try {
      job = await api<Json & { history: Json[] }>(`/v1/jobs/${encodeURIComponent(s3Root)}`);
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 404)) throw error;
      if (!main.contains(unknown)) main.replaceChildren(...missing);
      return;
    }
    if (!main.contains(heading)) main.replaceChildren(...found);
    replaceIfChanged(heading, [
      `Job ${text(job.job_id ?? job.s3_root)} `,
      badge(text(job.status), jobTone(job.status_class)),
    ]);
    const { history, ...record } = job;
    replaceIfChanged(
      fields,
      Object.entries(record)
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
          h('td', { class: 'wrap' }, text(e.error)),
          h('td', { class: 'wrap' }, text(e.message)),
          h('td', {}, text(e.record_count)),
          h('td', {}, text(e.source)),
        ),
      ),
      6,
      'No events.',
    );
  });
}
