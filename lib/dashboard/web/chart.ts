import { h } from './ui';

/**
 * The jobs page's charts: completed and failed jobs per hour of their start over the last 24 h,
 * and per day over the last 7 days, each an inline SVG drawn here (no library). A chart's text
 * alternative is its title and description, and its numbers in a table under it; clicking a bar
 * (or its row) lists the jobs started in that hour or day.
 */

export interface HourCount {
  hour: string;
  completed: number;
  failed: number;
}

/** What one bar stands for: an hour or a day. */
export interface Span {
  /** `hour` or `day`: the chart's ids and classes. */
  name: 'hour' | 'day';
  ms: number;
  title: string;
  /** A bucket's label on the axis and in the table. */
  label(start: string): string;
  /** Which bars get an axis label. */
  every: number;
}

export const HOUR: Span = {
  name: 'hour',
  ms: 3_600_000,
  title: 'Completed and failed jobs per hour of their start, last 24 hours',
  label: (start) => `${start.slice(0, 10)} ${start.slice(11, 13)}:00`,
  every: 6,
};

export const DAY: Span = {
  name: 'day',
  ms: 86_400_000,
  title: 'Completed and failed jobs per day of their start, last 7 days',
  label: (start) => start.slice(0, 10),
  every: 1,
};

interface Bucket {
  start: string;
  completed: number;
  failed: number;
}

const SVG = 'http://www.w3.org/2000/svg';
const WIDTH = 720;
const HEIGHT = 160;
/** Room under the bars for the axis labels. */
const AXIS = 18;

function svg(tag: string, attributes: Record<string, string | number>, ...children: Node[]) {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  element.append(...children);
  return element;
}

/** The hourly counts summed per day (UTC), oldest first. */
export function perDay(hours: readonly HourCount[]): HourCount[] {
  const days = new Map<string, HourCount>();
  for (const c of hours) {
    const day = `${c.hour.slice(0, 10)}T00:00:00.000Z`;
    const sum = days.get(day) ?? { hour: day, completed: 0, failed: 0 };
    sum.completed += c.completed;
    sum.failed += c.failed;
    days.set(day, sum);
  }
  return [...days.values()];
}

/** The jobs list's address for one bar: jobs started in it, with the page's other filters. */
function spanHref(start: string, span: Span, base: URLSearchParams): string {
  const params = new URLSearchParams();
  for (const name of ['tenant', 'flow']) {
    const value = base.get(name);
    if (value !== null && value !== '') params.set(name, value);
  }
  params.set('since', start);
  params.set('until', new Date(Date.parse(start) + span.ms).toISOString());
  return `/?${params.toString()}`;
}

/** One bucket's two stacked bars: failed on top of completed. */
function bar(count: Bucket, x: number, width: number, scale: number) {
  const completed = count.completed * scale;
  const failed = count.failed * scale;
  const base = HEIGHT - AXIS;
  return svg(
    'g',
    { class: 'bucket', 'data-start': count.start },
    svg('rect', { class: 'completed', x, y: base - completed, width, height: completed }),
    svg('rect', { class: 'failed', x, y: base - completed - failed, width, height: failed }),
    // The whole column takes the click, however short its bars.
    svg('rect', { class: 'hit', x, y: 0, width, height: base }),
  );
}

/** The SVG's title and description: what it shows, its totals and its worst bar. */
function describe(buckets: readonly Bucket[], span: Span): SVGElement[] {
  const completed = buckets.reduce((n, c) => n + c.completed, 0);
  const failed = buckets.reduce((n, c) => n + c.failed, 0);
  const worst = buckets.reduce<Bucket | undefined>(
    (w, c) => (c.failed > (w?.failed ?? 0) ? c : w),
    undefined,
  );
  const title = svg('title', { id: `chart-${span.name}-title` });
  title.textContent = span.title;
  const desc = svg('desc', { id: `chart-${span.name}-desc` });
  desc.textContent = `${completed} completed and ${failed} failed${
    worst === undefined ? '' : `; most failures at ${span.label(worst.start)} (${worst.failed})`
  }. The numbers are in the table below.`;
  return [title, desc];
}

/** The numbers of the chart, bucket by bucket, each a link to its jobs. */
function numbers(buckets: readonly Bucket[], span: Span, base: URLSearchParams): HTMLElement {
  const rows = buckets.map((c) =>
    h(
      'tr',
      {},
      h('td', {}, h('a', { href: spanHref(c.start, span, base) }, span.label(c.start))),
      h('td', {}, String(c.completed)),
      h('td', {}, String(c.failed)),
    ),
  );
  const headers = [`${span.name === 'hour' ? 'Hour' : 'Day'} (UTC)`, 'Completed', 'Failed'];
  return h(
    'details',
    {},
    h('summary', {}, `The numbers, ${span.name} by ${span.name}`),
    h(
      'table',
      { class: 'compact' },
      h('caption', {}, span.title),
      h('thead', {}, h('tr', {}, ...headers.map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, ...rows),
    ),
  );
}

/** The chart and its table, for `counts` oldest first; `base` holds the page's filters. */
export function jobsChart(
  counts: readonly HourCount[],
  span: Span,
  base: URLSearchParams,
): HTMLElement {
  const buckets: Bucket[] = counts.map((c) => ({ ...c, start: c.hour }));
  const most = Math.max(1, ...buckets.map((c) => c.completed + c.failed));
  const scale = (HEIGHT - AXIS - 4) / most;
  const slot = WIDTH / Math.max(1, buckets.length);
  const labels = buckets
    .map((c, i) => [c, i] as const)
    .filter(([, i]) => i % span.every === 0)
    .map(([c, i]) => {
      const label = svg('text', { x: i * slot + 1, y: HEIGHT - 4, class: 'axis' });
      label.textContent = span.name === 'hour' ? c.start.slice(11, 16) : c.start.slice(5, 10);
      return label;
    });
  const chart = svg(
    'svg',
    {
      role: 'img',
      'aria-labelledby': `chart-${span.name}-title chart-${span.name}-desc`,
      viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
      class: 'chart',
    },
    ...describe(buckets, span),
    ...buckets.map((c, i) => bar(c, i * slot + 1, slot - 2, scale)),
    ...labels,
  );
  chart.addEventListener('click', (event) => {
    const start = (event.target as Element).closest('[data-start]')?.getAttribute('data-start');
    if (start) location.assign(spanHref(start, span, base));
  });
  return h('figure', { class: `jobs-chart ${span.name}s` }, chart, numbers(buckets, span, base));
}
