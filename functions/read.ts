import { readHandler } from '../lib/lambda/read-handler';

export const handler = readHandler();
