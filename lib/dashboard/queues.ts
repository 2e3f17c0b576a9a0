import type { SQSClient } from '@aws-sdk/client-sqs';
import { queueDepth } from '../aws/queue-depth';
import { queueName } from '../aws/resource-names';
import { KINDS, type Kind } from '../webhook/kinds';
import type { QueueRow } from './web/api-types';

/**
 * The Queues page's rows for each kind: its queue and dead-letter queue (named as serverless.yml
 * names them for `stage`) with their depth, and the command that redrives them (`--stage` when
 * `deployed`).
 */
export function kindQueueRows(
  sqs: SQSClient,
  urls: (kind: Kind) => Promise<{ source: string; deadLetter: string }>,
  stage: string,
  deployed: boolean,
): Promise<QueueRow[]> {
  return Promise.all(
    KINDS.map(async (kind) => {
      const { source, deadLetter } = await urls(kind);
      return {
        kind,
        queue: { name: queueName(stage, kind), messages: await queueDepth(sqs, source) },
        deadLetter: {
          name: queueName(stage, kind, true),
          messages: await queueDepth(sqs, deadLetter),
        },
        redrive: `npx hotglue-webhooks dlq redrive --kind ${kind}${deployed ? ` --stage ${stage}` : ''}`,
      };
    }),
  );
}
