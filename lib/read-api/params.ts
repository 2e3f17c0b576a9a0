import { parseSince } from '../webhook/time';

/** Reading the parameters of a query, for /v1 and the dashboard's /api alike. */

/** A bad request: answered 400 with its reason. */
export class BadParameter extends Error {}

const LIMIT_MAX = 1000;

/** A page size: a whole number from 1 to LIMIT_MAX, `fallback` when not given. */
export function limitOf(value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > LIMIT_MAX)
    throw new BadParameter(`limit must be a whole number from 1 to ${LIMIT_MAX}, got "${value}"`);
  return n;
}

/** A time: ISO, or a duration before `now` (`24h`); undefined when not given. */
export function sinceOf(value: string | undefined, name: string, now: Date): Date | undefined {
  if (value === undefined) return undefined;
  try {
    return parseSince(value, name, now);
  } catch (error) {
    throw new BadParameter(error instanceof Error ? error.message : String(error));
  }
}

/** Keeps only the keys whose value is set, so that a filter carries only what was asked. */
export const defined = <T extends Record<string, unknown>>(o: T): T =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
