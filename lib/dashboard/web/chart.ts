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
const HEIGHT = 200;
/** The plot's margins: the y scale's numbers on the left, the x labels under it. */
const LEFT = 48;
const RIGHT = 16;
const TOP = 12;
const BOTTOM = 28;
const PLOT_WIDTH = WIDTH - LEFT - RIGHT;
const BASE = HEIGHT - BOTTOM;

function svg(tag: string, attributes: Record<string, string | number>, ...children: Node[]) {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  element.append(...children);
  return element;
}

function label(attributes: Record<string, string | number>, content: string): SVGElement {
  const element = svg('text', attributes);
  element.textContent = content;
  return element;
}

/**
 * The y scale for a tallest bar of `most` jobs: from 0 in steps of 1, 2 or 5 times a power of ten,
 * at most four, to the first tick at or above `most`.
 */
function yTicks(most: number): number[] {
  const step = yStep(most);
  const steps = Math.max(1, Math.ceil(most / step));
  return Array.from({ length: steps + 1 }, (_, i) => i * step);
}

function yStep(most: number): number {
  for (let unit = 1; ; unit *= 10)
    for (const m of [1, 2, 5]) if (Math.ceil(most / (m * unit)) <= 4) return m * unit;
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

/** One bucket's two stacked bars, failed on top of completed; a mark behind them when selected. */
function bar(count: Bucket, x: number, width: number, scale: number, selected: boolean) {
  const completed = count.completed * scale;
  const failed = count.failed * scale;
  return svg(
    'g',
    { class: selected ? 'bucket selected' : 'bucket', 'data-start': count.start },
    ...(selected
      ? [svg('rect', { class: 'mark', x: x - 1, y: TOP, width: width + 2, height: BASE - TOP })]
      : []),
    svg('rect', { class: 'completed', x, y: BASE - completed, width, height: completed }),
    svg('rect', { class: 'failed', x, y: BASE - completed - failed, width, height: failed }),
    // The whole column takes the click, however short its bars.
    svg('rect', { class: 'hit', x, y: TOP, width, height: BASE - TOP }),
  );
}

/** The y scale: a line and a number at each tick. */
function yScale(ticks: readonly number[], scale: number): SVGElement {
  return svg(
    'g',
    { class: 'y-scale' },
    ...ticks.flatMap((tick) => {
      const y = BASE - tick * scale;
      return [
        svg('line', {
          class: tick === 0 ? 'baseline' : 'grid',
          x1: LEFT,
          x2: WIDTH - RIGHT,
          y1: y,
          y2: y,
        }),
        label(
          { class: 'axis', x: LEFT - 6, y, 'text-anchor': 'end', 'dominant-baseline': 'middle' },
          String(tick),
        ),
      ];
    }),
  );
}

/** Whether the page lists exactly `start`'s span: a bar's link was followed. */
function isSelected(start: string, span: Span, base: URLSearchParams): boolean {
  const since = Date.parse(base.get('since') ?? '');
  const until = Date.parse(base.get('until') ?? '');
  return since === Date.parse(start) && until - since === span.ms;
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
function numbers(
  buckets: readonly Bucket[],
  span: Span,
  base: URLSearchParams,
  shown: { open: boolean },
): HTMLElement {
  const rows = buckets.map((c) =>
    h(
      'tr',
      isSelected(c.start, span, base) ? { class: 'selected', 'aria-current': 'true' } : {},
      h('td', {}, h('a', { href: spanHref(c.start, span, base) }, span.label(c.start))),
      h('td', {}, String(c.completed)),
      h('td', {}, String(c.failed)),
    ),
  );
  const headers = [`${span.name === 'hour' ? 'Hour' : 'Day'} (UTC)`, 'Completed', 'Failed'];
  const details = h(
    'details',
    shown.open ? { open: '' } : {},
    h('summary', {}, `The numbers, ${span.name} by ${span.name}`),
    h(
      'table',
      { class: 'compact' },
      h('caption', {}, span.title),
      h('thead', {}, h('tr', {}, ...headers.map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, ...rows),
    ),
  );
  // Drawn again on every refresh: the next drawing opens it as the reader left it.
  details.addEventListener('toggle', () => {
    shown.open = (details as HTMLDetailsElement).open;
  });
  return details;
}

/** What the bars' colours stand for. */
const legend = (): HTMLElement =>
  h(
    'ul',
    { class: 'legend' },
    ...(['completed', 'failed'] as const).map((name) =>
      h(
        'li',
        {},
        h('span', { class: `swatch ${name}`, 'aria-hidden': 'true' }),
        name === 'completed' ? 'Completed' : 'Failed',
      ),
    ),
  );

/**
 * The chart and its table, for `counts` oldest first; `base` holds the page's filters (the bar of
 * the span they list is marked). `shown` keeps the table open or closed across drawings.
 */
export function jobsChart(
  counts: readonly HourCount[],
  span: Span,
  base: URLSearchParams,
  shown: { open: boolean } = { open: false },
): HTMLElement {
  const buckets: Bucket[] = counts.map((c) => ({ ...c, start: c.hour }));
  const ticks = yTicks(Math.max(0, ...buckets.map((c) => c.completed + c.failed)));
  const scale = (BASE - TOP) / (ticks.at(-1) ?? 1);
  const slot = PLOT_WIDTH / Math.max(1, buckets.length);
  const labels = buckets
    .map((c, i) => [c, i] as const)
    .filter(([, i]) => i % span.every === 0)
    .map(([c, i]) =>
      label(
        { x: LEFT + (i + 0.5) * slot, y: HEIGHT - 8, class: 'axis', 'text-anchor': 'middle' },
        span.name === 'hour' ? c.start.slice(11, 16) : c.start.slice(5, 10),
      ),
    );
  const chart = svg(
    'svg',
    {
      role: 'img',
      'aria-labelledby': `chart-${span.name}-title chart-${span.name}-desc`,
      viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
      class: 'chart',
    },
    ...describe(buckets, span),
    yScale(ticks, scale),
    ...buckets.map((c, i) =>
      bar(c, LEFT + i * slot + 1, slot - 2, scale, isSelected(c.start, span, base)),
    ),
    ...labels,
  );
  chart.addEventListener('click', (event) => {
    const start = (event.target as Element).closest('[data-start]')?.getAttribute('data-start');
    if (start) location.assign(spanHref(start, span, base));
  });
  return h(
    'figure',
    { class: `jobs-chart ${span.name}s` },
    chart,
    legend(),
    numbers(buckets, span, base, shown),
  );
}
