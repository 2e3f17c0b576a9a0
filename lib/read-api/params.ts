import { parseSince } from '../webhook/time';

/** Reading the parameters of a query, for /v1 and the dashboard's /api alike. */

/** A bad request: answered 400 with its reason. */
export class BadParameter extends Error {}

const LIMIT_MAX = 1000;

/**
 * The query as one object: only the names in `allowed`, each once, an empty value (an empty form
 * field) left out. Anything else is refused, `__proto__` too (the object has no prototype to set).
 */
export function paramsOf(
  query: URLSearchParams,
  allowed: readonly string[],
): Record<string, string> {
  const out = Object.create(null) as Record<string, string>;
  const seen = new Set<string>();
  for (const [name, value] of query) {
    if (!allowed.includes(name))
      throw new BadParameter(
        `unknown parameter "${name}" (${allowed.length === 0 ? 'this path takes none' : `allowed: ${allowed.join(', ')}`})`,
      );
    if (seen.has(name)) throw new BadParameter(`parameter "${name}" is given more than once`);
    seen.add(name);
    if (value.trim() !== '') out[name] = value.trim();
  }
  return out;
}

/**
 * A count: a whole number written in digits from 1 to `max`, `fallback` when not given; `name`
 * as the caller knows it (`limit`, `--limit`).
 */
export function countOf(
  value: string | undefined,
  fallback: number,
  name: string,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1 || n > max)
    throw new BadParameter(
      `${name} must be a whole number ${max === Number.MAX_SAFE_INTEGER ? 'of at least 1' : `from 1 to ${max}`}, got "${value}"`,
    );
  return n;
}

/** A switch: `true` or `false`; undefined when not given. */
export function flagOf(value: string | undefined, name: string): boolean | undefined {
  if (value === undefined) return undefined;
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new BadParameter(`${name} must be true or false, got "${value}"`);
}

/** A page size: a whole number from 1 to LIMIT_MAX, `fallback` when not given. */
export const limitOf = (value: string | undefined, fallback: number): number =>
  countOf(value, fallback, 'limit', LIMIT_MAX);

/**
 * Refuses a `since` later than an `until` (nothing starts in a window that ends before it
 * begins); `names` as the caller knows them.
 */
export function checkWindow(
  since: Date | undefined,
  until: Date | undefined,
  names: [since: string, until: string] = ['since', 'until'],
): void {
  if (since !== undefined && until !== undefined && since.getTime() > until.getTime())
    throw new BadParameter(
      `${names[0]} (${since.toISOString()}) is after ${names[1]} (${until.toISOString()}): no job starts in that window`,
    );
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
