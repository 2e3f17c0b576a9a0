import type { SQSClient } from '@aws-sdk/client-sqs';
import { listDeadLetters } from '../aws/dead-letters';
import { queueDepth } from '../aws/queue-depth';
import { queueName } from '../aws/resource-names';
import { KINDS, type Kind } from '../webhook/kinds';
import type { DeadLetterRow, QueueRow } from './web/api-types';

/** Dead letters the Queues page shows per kind, with why. */
const LETTERS_SHOWN = 5;
/** How long a listing is shown again while the dead-letter queue's depth stays the same. */
const LETTERS_KEPT_MS = 60_000;

/**
 * Listings of the dead-letter queues, by URL. SQS has no peek: a listing receives the letters (they
 * are hidden from anyone else meanwhile, and their receive count goes up), so the page, which
 * refreshes every few seconds, lists a queue again only when its depth changed or a minute passed.
 */
const listed = new Map<string, { depth: number; at: number; letters: DeadLetterRow[] }>();

async function lettersOf(
  sqs: SQSClient,
  kind: Kind,
  url: string,
  depth: number,
): Promise<Pick<QueueRow, 'letters' | 'lettersError'>> {
  if (depth === 0) return {};
  const kept = listed.get(url);
  if (kept !== undefined && kept.depth === depth && Date.now() - kept.at < LETTERS_KEPT_MS)
    return { letters: kept.letters };
  try {
    const letters = (await listDeadLetters(sqs, kind, url, LETTERS_SHOWN)).map((l) => ({
      messageId: l.messageId,
      reason: l.reason ?? l.unreadable ?? '',
      ...((l.failedAt ?? l.sentAt) !== undefined && { at: l.failedAt ?? l.sentAt }),
    }));
    listed.set(url, { depth, at: Date.now(), letters });
    return { letters };
  } catch (error) {
    return { lettersError: error instanceof Error ? error.name : String(error) };
  }
}

/**
 * The Queues page's rows for each kind: its queue and dead-letter queue (named as serverless.yml
 * names them for `stage`) with their depth, the first dead letters with why each is there, and the
 * command that redrives them (`--stage` when `deployed`).
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
      const dead = await queueDepth(sqs, deadLetter);
      return {
        kind,
        queue: { name: queueName(stage, kind), messages: await queueDepth(sqs, source) },
        deadLetter: { name: queueName(stage, kind, true), messages: dead },
        ...(await lettersOf(sqs, kind, deadLetter, dead)),
        redrive: `npx hotglue-webhooks dlq redrive --kind ${kind}${deployed ? ` --stage ${stage}` : ''}`,
      };
    }),
  );
}
