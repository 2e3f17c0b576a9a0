export type CounterName =
  | 'accepted'
  | 'rejected'
  | 'enqueued'
  | 'processed'
  | 'failed'
  /** Records a consumer moved to its kind's dead-letter queue (they can never succeed). */
  | 'deadLettered'
  /** Stale running jobs a reconcile run found (published on every run, 0 included). */
  | 'StaleJobs'
  /** Jobs a reconcile run polled, by outcome. */
  | 'reconciled'
  /** Notifications published, by kind and detail-type. */
  | 'notified';

/** Counters the pipeline reports; dimensions are bounded (a kind, a route, a reason code). */
export interface Counters {
  count(name: CounterName, dimensions: Record<string, string>, value?: number): void;
}
