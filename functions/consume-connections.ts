import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { processBatch } from '../lib/consumer';
import { logger } from '../lib/logger';

export const handler = (event: SQSEvent): Promise<SQSBatchResponse> =>
  processBatch(
    'connections',
    event,
    async ({ envelope, messageId }) => {
      logger.info('event consumed', {
        messageId,
        kind: envelope.kind,
        dedupeKey: envelope.dedupeKey,
      });
    },
    logger,
  );
