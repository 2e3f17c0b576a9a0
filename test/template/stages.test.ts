/* eslint-disable @typescript-eslint/no-explicit-any -- printed CloudFormation is untyped JSON */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageService } from '../support/package-service';
import { packageProd } from '../support/template';

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
function customMetricAlarms(template: Json): Record<string, string[]> {
  const resources = template.Resources as Record<string, Json>;
  const entries: [string, string[]][] = Object.entries(resources)
    .filter(([, r]) => r.Type === 'AWS::CloudWatch::Alarm')
    .map(([id, r]) => [id, watched(r.Properties).filter((m) => !m.startsWith('["AWS/'))]);
  return Object.fromEntries(entries.filter(([, metrics]) => metrics.length > 0));
}

/** The namespace a template's functions publish their metrics in: one for all of them. */
function namespaceOf(template: Json): string {
  const names = new Set(
    Object.values(template.Resources as Record<string, Json>)
      .filter((r) => r.Type === 'AWS::Lambda::Function')
      .map((r) => r.Properties.Environment?.Variables?.POWERTOOLS_METRICS_NAMESPACE as string),
  );
  expect(names.size).toBe(1);
  return [...names][0] as string;
}

/**
 * The packaged prod and ci stages (built once per jest run, see packageService; ci is the template
 * suite's own package, so no stage is packaged for this suite alone).
 */
describe('two stages in one account and region', () => {
  let dir: string;
  let prod: Json;
  let ci: Json;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hgw-stages-'));
    const read = async (name: string) =>
      JSON.parse(
        await readFile(join(dir, name, 'cloudformation-template-update-stack.json'), 'utf8'),
      ) as Json;
    await Promise.all([packageProd(join(dir, 'prod')), packageService('ci', join(dir, 'ci'))]);
    [prod, ci] = await Promise.all([read('prod'), read('ci')]);
  }, 180_000);

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('never share an alarm on a custom metric: each watches its own stage’s metrics', () => {
    const ofProd = customMetricAlarms(prod);
    const ofCi = customMetricAlarms(ci);
    // StaleJobs, ThrottledRequests, failed records (3) and refused signatures at least.
    expect(Object.keys(ofProd).length).toBeGreaterThanOrEqual(6);
    expect(Object.keys(ofCi).sort()).toEqual(Object.keys(ofProd).sort());
    const ciMetrics = new Set(Object.values(ofCi).flat());
    for (const [id, metrics] of Object.entries(ofProd)) {
      for (const metric of metrics) expect([id, ciMetrics.has(metric)]).toEqual([id, false]);
    }
  });

  it('publish their metrics where their own alarms look', () => {
    for (const template of [prod, ci]) {
      const namespace = namespaceOf(template);
      const filters = Object.values(template.Resources as Record<string, Json>)
        .filter((r) => r.Type === 'AWS::Logs::MetricFilter')
        .flatMap((r) => r.Properties.MetricTransformations as Json[])
        .map((t) => t.MetricNamespace as string);
      const alarmed = Object.values(customMetricAlarms(template))
        .flat()
        .map((m) => (JSON.parse(m) as string[])[0]);
      expect(new Set([...filters, ...alarmed])).toEqual(new Set([namespace]));
    }
    expect(namespaceOf(prod)).not.toBe(namespaceOf(ci));
  });
});
