/** Shapes of the dashboard API's answers that the page reads: one definition for both sides. */

/** One row of /api/queues. */
export interface QueueRow {
  /** jobs, discover, connections, or notifications (only a dead-letter queue). */
  kind: string;
  queue?: { name: string; messages: number };
  deadLetter: { name: string; messages: number };
  /** The first dead letters and why each is there (only when the dead-letter queue holds some). */
  letters?: DeadLetterRow[];
  /** Why they could not be listed (a stage read without sqs:ReceiveMessage on the queue). */
  lettersError?: string;
  /** The CLI command that moves the dead letters back, to copy. */
  redrive: string;
}

/** One dead letter on the Queues page. */
export interface DeadLetterRow {
  messageId: string;
  /** Its consumer's reason, or `failed 5 receives` when SQS moved it after the redrive policy's receives. */
  reason: string;
  /** When its consumer took it out, else when it was queued. */
  at?: string;
}
