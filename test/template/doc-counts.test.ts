/**
 * The counts the documentation states about the deployed stack, derived from the packaged
 * template: how many CloudWatch alarms, and how many metrics they bill.
 */
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageTemplate, resourcesOfType, type Template } from '../support/template';
import { ROOT } from '../support/processes';

type Alarm = {
  MetricName?: string;
  Metrics?: { Id: string; Expression?: string; MetricStat?: unknown }[];
};

/** CloudWatch's price per metric an alarm evaluates (standard resolution), as the docs state it. */
const PER_METRIC = 0.1;

/**
 * The metrics an alarm is billed for: CloudWatch charges an alarm per metric it evaluates, so a
 * single-metric alarm counts one, and a metric-math alarm one per metric its expression reads
 * (each `MetricStat` query); the expression itself is free.
 */
const metricsOf = (alarm: Alarm) =>
  alarm.MetricName !== undefined ? 1 : (alarm.Metrics ?? []).filter((m) => m.MetricStat).length;

let template: Template;
let dir: string;
/** README.md and docs/*.md, each with its whitespace folded (sentences wrap across lines). */
let pages: { page: string; text: string }[];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hgw-doc-counts-'));
  template = await packageTemplate('ci', dir);
  const names = [
    'README.md',
    ...(await readdir(join(ROOT, 'docs'))).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`),
  ];
  pages = await Promise.all(
    names.map(async (page) => ({
      page,
      text: (await readFile(join(ROOT, page), 'utf8')).replace(/\s+/g, ' '),
    })),
  );
}, 120_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const alarms = () =>
  resourcesOfType(template, 'AWS::CloudWatch::Alarm').map(([id, r]) => ({
    id,
    metrics: metricsOf((r.Properties ?? {}) as Alarm),
  }));
const stated = (pattern: RegExp) =>
  pages.flatMap(({ page, text }) => [...text.matchAll(pattern)].map((m) => ({ page, m })));

describe('the counts the documentation states', () => {
  it('is every alarm count the template has', () => {
    const count = alarms().length;
    const counts = stated(/\b(\d+) (?:CloudWatch )?alarms\b/g);
    expect(counts.length).toBeGreaterThanOrEqual(2);
    for (const { page, m } of counts) {
      expect({ page, said: m[0], alarms: Number(m[1]) }).toEqual({
        page,
        said: m[0],
        alarms: count,
      });
    }
  });

  it('is the metrics the alarms bill, per table-throttle and bad-signature alarm, and their price', () => {
    const all = alarms();
    const total = all.reduce((sum, a) => sum + a.metrics, 0);
    const tableThrottles = new Set(
      all.filter((a) => /TableThrottlesAlarm$/.test(a.id)).map((a) => a.metrics),
    );
    const badSignatures = all.find((a) => a.id === 'BadSignaturesAlarm')?.metrics;
    expect(tableThrottles.size).toBe(1);
    const sentences = stated(
      /\b(\d+) metrics, as the table-throttle alarms add up (\d+) metrics and the bad-signature alarm (\d+), about \$(\d+\.\d\d)/g,
    );
    expect(sentences).toHaveLength(1);
    const m = sentences[0]?.m ?? [];
    expect({
      metrics: Number(m[1]),
      perTableThrottleAlarm: Number(m[2]),
      badSignatureAlarm: Number(m[3]),
      dollars: m[4],
    }).toEqual({
      metrics: total,
      perTableThrottleAlarm: [...tableThrottles][0],
      badSignatureAlarm: badSignatures,
      dollars: (total * PER_METRIC).toFixed(2),
    });
  });
});
