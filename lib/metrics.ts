import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

/** Counters the pipeline reports (CloudWatch EMF through Powertools). */
export interface Counters {
  count(
    name: 'accepted' | 'rejected' | 'enqueued' | 'processed' | 'failed',
    dimensions: Record<string, string>,
    value?: number,
  ): void;
}

const metrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'HotglueWebhooks',
});

/** Each count is published at once with its own dimensions (kind, and reason for rejections). */
export const counters: Counters = {
  count(name, dimensions, value = 1) {
    const single = metrics.singleMetric();
    for (const [key, dimension] of Object.entries(dimensions)) single.addDimension(key, dimension);
    single.addMetric(name, MetricUnit.Count, value);
  },
};

export const noCounters: Counters = { count: () => undefined };
