/* eslint-disable @typescript-eslint/no-explicit-any -- printed CloudFormation is untyped JSON */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { printServiceConfig } from '../../lib/local/service-definition';
import { ROOT } from '../support/processes';

type Json = Record<string, any>;

/** The metrics an alarm watches, its own or its metric math's, as comparable text. */
function watched(alarm: Json): string[] {
  const metrics: Json[] =
    alarm.Metrics === undefined
      ? [alarm]
      : (alarm.Metrics as Json[]).filter((m) => m.MetricStat).map((m) => m.MetricStat.Metric);
  return metrics.map((m) => JSON.stringify([m.Namespace, m.MetricName, m.Dimensions]));
}

/** Alarms on our own metrics (EMF lines and the access log's metric filter), by logical id. */
function customMetricAlarms(config: Json): Record<string, string[]> {
  const resources = config.resources.Resources as Record<string, Json>;
  const entries: [string, string[]][] = Object.entries(resources)
    .filter(([, r]) => r.Type === 'AWS::CloudWatch::Alarm')
    .map(([id, r]) => [id, watched(r.Properties).filter((m) => !m.startsWith('["AWS/'))]);
  return Object.fromEntries(entries.filter(([, metrics]) => metrics.length > 0));
}

describe('two stages in one account and region', () => {
  let cache: string;
  let prod: Json;
  let dev: Json;

  beforeAll(async () => {
    cache = await mkdtemp(join(tmpdir(), 'hgw-stages-'));
    [prod, dev] = await Promise.all([
      printServiceConfig(ROOT, 'prod', cache),
      printServiceConfig(ROOT, 'dev', cache),
    ]);
  }, 60_000);

  afterAll(async () => {
    await rm(cache, { recursive: true, force: true });
  });

  it('never share an alarm on a custom metric: each watches its own stage’s metrics', () => {
    const ofProd = customMetricAlarms(prod);
    const ofDev = customMetricAlarms(dev);
    // StaleJobs, ThrottledRequests, failed records (3) and refused signatures at least.
    expect(Object.keys(ofProd).length).toBeGreaterThanOrEqual(6);
    expect(Object.keys(ofDev).sort()).toEqual(Object.keys(ofProd).sort());
    const devMetrics = new Set(Object.values(ofDev).flat());
    for (const [id, metrics] of Object.entries(ofProd)) {
      for (const metric of metrics) expect([id, devMetrics.has(metric)]).toEqual([id, false]);
    }
  });

  it('publish their metrics where their own alarms look', () => {
    for (const config of [prod, dev]) {
      const namespace = config.provider.environment.POWERTOOLS_METRICS_NAMESPACE as string;
      const filters = Object.values(config.resources.Resources as Record<string, Json>)
        .filter((r) => r.Type === 'AWS::Logs::MetricFilter')
        .flatMap((r) => r.Properties.MetricTransformations as Json[])
        .map((t) => t.MetricNamespace as string);
      const alarmed = Object.values(customMetricAlarms(config))
        .flat()
        .map((m) => (JSON.parse(m) as string[])[0]);
      expect(new Set([...filters, ...alarmed])).toEqual(new Set([namespace]));
    }
    expect(prod.provider.environment.POWERTOOLS_METRICS_NAMESPACE).not.toBe(
      dev.provider.environment.POWERTOOLS_METRICS_NAMESPACE,
    );
  });
});
