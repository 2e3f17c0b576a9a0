import { createHash } from 'node:crypto';
import { canonicalJson } from '../webhook/content-hash';

/**
 * A list's `next` cursor: how many items the pages before it showed, bound to the filter they
 * were read with. Opaque to callers (base64url JSON), and checked on the way back: a cursor that
 * does not decode, or was made for another filter, is refused (400). Since a cursor only skips
 * items of the same filter's listing, a forged one can never read anything that filter does not.
 */

/** The deepest item a cursor may skip to: past it, narrow the filter (since, tenant, …). */
export const CURSOR_DEPTH_MAX = 10_000;

export class BadCursorError extends Error {
  constructor(reason: string) {
    super(`cursor: ${reason}; start again without it`);
  }
}

const filterId = (filter: unknown): string =>
  createHash('sha256').update(canonicalJson(filter)).digest('base64url').slice(0, 16);

export const encodeCursor = (offset: number, filter: unknown): string =>
  Buffer.from(JSON.stringify({ o: offset, f: filterId(filter) })).toString('base64url');

/** The offset a cursor names, for `filter`; 0 without a cursor. */
export function decodeCursor(cursor: string | undefined, filter: unknown): number {
  if (cursor === undefined) return 0;
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new BadCursorError('not one this API gave');
  }
  const { o, f } = (decoded ?? {}) as { o?: unknown; f?: unknown };
  if (typeof o !== 'number' || !Number.isInteger(o) || o < 1 || o > CURSOR_DEPTH_MAX)
    throw new BadCursorError('not one this API gave');
  if (f !== filterId(filter)) throw new BadCursorError('made for other filters');
  return o;
}
