import { createDocumentClient } from '../lib/aws';
import { loadConsumerConfig } from '../lib/config';
import { consumer } from '../lib/consume';
import { logger } from '../lib/logger';
import { counters } from '../lib/metrics';

const { table } = loadConsumerConfig('jobs');

export const handler = consumer('jobs', {
  db: createDocumentClient(),
  table,
  log: logger,
  counters,
});
