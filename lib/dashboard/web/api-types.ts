/** Shapes of the dashboard API's answers that the page reads: one definition for both sides. */

/** One row of /api/queues. */
export interface QueueRow {
  /** jobs, discover, connections, or notifications (only a dead-letter queue). */
  kind: string;
  queue?: { name: string; messages: number };
  deadLetter: { name: string; messages: number };
  /** The CLI command that moves the dead letters back, to copy. */
  redrive: string;
}
