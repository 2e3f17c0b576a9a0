import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { fromHttpApiEvent, toHttpApiResult } from '../lib/api-gateway';
import { createSqsClient } from '../lib/aws';
import { loadIngestConfig } from '../lib/config';
import { handleIngest } from '../lib/ingest';
import { logger } from '../lib/logger';
import { sqsEventQueue } from '../lib/queue';

const config = loadIngestConfig();
const queue = sqsEventQueue(createSqsClient(), config.queueUrls);

export const handler = async (
  event: APIGatewayProxyEventV2,
): Promise<APIGatewayProxyStructuredResultV2> =>
  toHttpApiResult(await handleIngest(fromHttpApiEvent(event), { config, queue, log: logger }));
