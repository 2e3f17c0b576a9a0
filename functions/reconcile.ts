import { reconcileHandler } from '../lib/lambda/reconcile-handler';

export const handler = reconcileHandler();
