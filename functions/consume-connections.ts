import { consumerHandler } from '../lib/consume-handler';

export const handler = consumerHandler('connections');
