import { h } from './ui';

/**
 * The jobs page's chart: completed and failed jobs per hour of their start over the last 24 h,
 * an inline SVG drawn here (no library). Its text alternative is its title and description, and
 * the numbers in a table under it; clicking an hour (a bar, or its row) lists that hour's jobs.
 */

export interface HourCount {
  hour: string;
  completed: number;
  failed: number;
}

const SVG = 'http://www.w3.org/2000/svg';
const WIDTH = 720;
const HEIGHT = 160;
/** Room under the bars for the hour labels. */
const AXIS = 18;

function svg(tag: string, attributes: Record<string, string | number>, ...children: Node[]) {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  element.append(...children);
  return element;
}

const hourLabel = (iso: string): string => `${iso.slice(11, 13)}:00`;

/** The jobs list's address for one hour: jobs started in it, with the page's other filters. */
function hourHref(hour: string, base: URLSearchParams): string {
  const params = new URLSearchParams();
  for (const name of ['tenant', 'flow']) {
    const value = base.get(name);
    if (value !== null && value !== '') params.set(name, value);
  }
  params.set('since', hour);
  params.set('until', new Date(Date.parse(hour) + 3_600_000).toISOString());
  return `/?${params.toString()}`;
}

/** One hour's two stacked bars: failed on top of completed. */
function bar(count: HourCount, x: number, width: number, scale: number) {
  const completed = count.completed * scale;
  const failed = count.failed * scale;
  const base = HEIGHT - AXIS;
  return svg(
    'g',
    { class: 'hour', 'data-hour': count.hour },
    svg('rect', { class: 'completed', x, y: base - completed, width, height: completed }),
    svg('rect', { class: 'failed', x, y: base - completed - failed, width, height: failed }),
    // The whole column takes the click, however short its bars.
    svg('rect', { class: 'hit', x, y: 0, width, height: base }),
  );
}

/** The chart and its table, for `hours` oldest first; `base` holds the page's filters. */
export function hourChart(hours: readonly HourCount[], base: URLSearchParams): HTMLElement {
  const most = Math.max(1, ...hours.map((c) => c.completed + c.failed));
  const scale = (HEIGHT - AXIS - 4) / most;
  const slot = WIDTH / Math.max(1, hours.length);
  const totals = hours.reduce(
    (t, c) => ({ completed: t.completed + c.completed, failed: t.failed + c.failed }),
    { completed: 0, failed: 0 },
  );
  const worst = hours.reduce<HourCount | undefined>(
    (w, c) => (c.failed > (w?.failed ?? 0) ? c : w),
    undefined,
  );
  const title = svg('title', { id: 'chart-title' });
  title.textContent = 'Completed and failed jobs per hour of their start, last 24 hours';
  const desc = svg('desc', { id: 'chart-desc' });
  desc.textContent = `${totals.completed} completed and ${totals.failed} failed${
    worst === undefined ? '' : `; most failures at ${hourLabel(worst.hour)} (${worst.failed})`
  }. The numbers are in the table below.`;
  const chart = svg(
    'svg',
    {
      role: 'img',
      'aria-labelledby': 'chart-title chart-desc',
      viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
      class: 'chart',
    },
    title,
    desc,
    ...hours.map((c, i) => bar(c, i * slot + 1, slot - 2, scale)),
    ...hours
      .map((c, i) => [c, i] as const)
      .filter(([, i]) => i % 6 === 0)
      .map(([c, i]) => {
        const label = svg('text', { x: i * slot + 1, y: HEIGHT - 4, class: 'axis' });
        label.textContent = hourLabel(c.hour);
        return label;
      }),
  );
  chart.addEventListener('click', (event) => {
    const hour = (event.target as Element).closest('[data-hour]')?.getAttribute('data-hour');
    if (hour) location.assign(hourHref(hour, base));
  });
  const rows = hours.map((c) =>
    h(
      'tr',
      {},
      h(
        'td',
        {},
        h('a', { href: hourHref(c.hour, base) }, `${c.hour.slice(0, 10)} ${hourLabel(c.hour)}`),
      ),
      h('td', {}, String(c.completed)),
      h('td', {}, String(c.failed)),
    ),
  );
  const numbers = h(
    'details',
    {},
    h('summary', {}, 'The numbers, hour by hour'),
    h(
      'table',
      { class: 'compact' },
      h('caption', {}, 'Completed and failed jobs per hour of their start'),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ...['Hour (UTC)', 'Completed', 'Failed'].map((t) => h('th', { scope: 'col' }, t)),
        ),
      ),
      h('tbody', {}, ...rows),
    ),
  );
  return h('figure', { class: 'hours' }, chart, numbers);
}
