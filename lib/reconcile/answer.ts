import { randomUUID } from 'node:crypto';
import type { EventQueue } from '../ports/event-queue';
import type { JobSummary } from '../records/views';
import { buildEnvelope } from '../webhook/envelope';
import { eventKey } from '../webhook/event-key';
import { queueOrder } from '../records/message-group';

/** The longest piece of a payload's text a result's detail quotes. */
const QUOTED_CHARS = 200;

/**
 * A payload value as a result's detail may name it: a text quoted and cut to QUOTED_CHARS, any
 * other value by its type only. Never String() a payload value: a deeply nested array overflows
 * the stack, and a large one floods the log.
 */
export function describeValue(value: unknown): string {
  if (typeof value === 'string')
    return value.length > QUOTED_CHARS
      ? `"${value.slice(0, QUOTED_CHARS)}…" (${value.length} characters)`
      : `"${value}"`;
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/**
 * hotglue's answer as a job event: the documented sample names the flow `flow`; the record's own
 * identity fills what the answer leaves out.
 */
export function asJobEvent(
  job: JobSummary,
  answer: Record<string, unknown>,
): Record<string, unknown> {
  const { flow, ...rest } = answer;
  return {
    s3_root: job.s3_root,
    tenant: job.tenant,
    flow_id: job.flow_id,
    ...(job.env_id !== undefined && { env_id: job.env_id }),
    ...(flow !== undefined && rest.flow_id === undefined && { flow_id: flow }),
    ...rest,
  };
}

/** Queues a polled job status as a job event with source "reconcile"; its message id. */
export async function queueAnswer(
  queue: EventQueue,
  payload: Record<string, unknown>,
  receivedAt: Date,
  until: number | undefined,
): Promise<string> {
  const key = eventKey('jobs', payload);
  const { messageId } = await queue.send(
    'jobs',
    {
      body: buildEnvelope({
        kind: 'jobs',
        body: Buffer.from(JSON.stringify(payload)),
        receivedAt,
        requestId: `reconcile-${randomUUID()}`,
        eventKey: key,
        source: 'reconcile',
      }),
      ...queueOrder('jobs', payload, key),
    },
    until,
  );
  return messageId;
}
