import type { LocalStackConfig } from '../config/local-stack';
import type { LocalStackInfo } from './local-stack-facts';

/**
 * The local stack's options, handle and start report: shared by stack.ts, which starts it, and
 * stack-setup.ts, which prepares what it hands its handlers and users (neither imports the other).
 */

export interface LocalStackOptions extends Omit<LocalStackConfig, 'sharedSecret'> {
  /** Project folder holding serverless.yml and functions/. */
  cwd: string;
  /** The environment the handlers inherit (their own variables are set on top). */
  env: Record<string, string | undefined>;
  log: (message: string, fields?: Record<string, unknown>) => void;
}

export interface LocalStack {
  info: LocalStackInfo;
  /** The webhook secret in use, when one is configured or generated. */
  secret?: string;
  /** The previous run's backlog, put back on the queues from the journal at this start. */
  recovered: Recovery;
  /**
   * Cuts (or restores) the handlers' connection to SQS or DynamoDB. Restoring SQS resolves only once
   * every long poll the cut left waiting inside fauxqs has ended (up to 5.5 s after the cut, see
   * LONG_POLL_SECONDS): such a receive would claim the next message for a connection that is
   * gone, hiding it for the visibility timeout (as a cut receive can on AWS), which a test would
   * take for a lost message.
   */
  setFault(service: 'sqs' | 'dynamodb', down: boolean): Promise<void>;
  /** Stops; what is still queued stays in the journal for the next start. */
  stop(): Promise<{ leftInQueues: Record<string, number> }>;
}

export interface Recovery {
  /** The journal file. */
  file: string;
  /** Messages put back, per queue name. */
  byQueue: Record<string, number>;
  /** Messages for queues this stage does not define: kept in the journal, not delivered. */
  unknownQueues: Record<string, number>;
  /** Journal lines that could not be read (a line torn by a kill never got its 202). */
  unreadableLines: number;
}
