import { consumerHandler } from '../lib/lambda/consumer-handler';

export const handler = consumerHandler('discover');
