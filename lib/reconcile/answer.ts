import { randomUUID } from 'node:crypto';
import type { EventQueue } from '../ports/event-queue';
import type { JobSummary } from '../records/views';
import { buildEnvelope } from '../webhook/envelope';
import { eventKey } from '../webhook/event-key';
import { queueOrder } from '../records/message-group';

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
