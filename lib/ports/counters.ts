export type CounterName = 'accepted' | 'rejected' | 'enqueued' | 'processed' | 'failed';

/** Counters the pipeline reports; dimensions are bounded (a kind, a route, a reason code). */
export interface Counters {
  count(name: CounterName, dimensions: Record<string, string>, value?: number): void;
}
