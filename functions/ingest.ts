import { ingestHandler } from '../lib/lambda/ingest-handler';

export const handler = ingestHandler();
