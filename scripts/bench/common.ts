import { resolve } from 'node:path';
import { percentile } from '../load-plan';

/** Helpers every figure of `npm run bench` uses. */

export const ROOT = resolve(__dirname, '..', '..');
export const median = (values: number[]): number => percentile(values, 50);

/** Silences stdout while `fn` runs (the handlers' log and metric lines), keeping their cost. */
export async function muted<T>(fn: () => Promise<T>): Promise<T> {
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = (() => true) as typeof process.stdout.write;
  try {
    return await fn();
  } finally {
    process.stdout.write = write;
  }
}
