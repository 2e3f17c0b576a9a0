import { createHash } from 'node:crypto';
import { canonicalJson } from '../webhook/content-hash';

/**
 * A list's `next` cursor: where its walk stands, bound to the route and the filters it was read
 * with. Opaque to callers: base64url of the JSON `{ v, r, p, t, f }`:
 *
 * - `v` the cursor's version (1);
 * - `r` the route (`jobs`, `discover`, …);
 * - `p` the position: the sort key of the last index entry the page examined (a job's
 *   `started_key`, `<start time>#<s3_root>`; see lib/records/paging.ts). Sort keys name their
 *   item, so this one key is the position of every shard stream of the merge, and its own
 *   tie-breaker; a connection's history, the cursor its page gave;
 * - `t` the walk's times: each time parameter as the first page read it (epoch ms), so that a
 *   duration (`since=24h`) means one window for the whole walk;
 * - `f` a hash of `r`, the filters (every parameter but `limit` and `cursor`, as given), `p` and
 *   `t`.
 *
 * On the way back it is checked: a cursor that does not decode to exactly that shape, was made
 * for another route or other filters, or was altered, is refused (400) with one message. It is
 * checked, not signed: a cursor only positions a walk within its own route and filters, so a
 * forged one reads nothing a request with those filters could not ask for.
 */

/** What every refused cursor is told. */
const REFUSED = 'cursor: not a "next" this list gave for these filters; start again without it';

export class BadCursorError extends Error {
  constructor() {
    super(REFUSED);
    this.name = 'BadCursorError';
  }
}

/** A walk's state, as a cursor carries it. */
export interface CursorState {
  position: string;
  /** Epoch ms of each time parameter, as the walk's first page read it. */
  times: Record<string, number>;
}

/** The longest position a cursor carries: DynamoDB's longest sort key, 1,024 bytes. */
const POSITION_MAX_BYTES = 1024;
/** Date's range, ±8.64e15 ms. */
const TIME_MAX = 8.64e15;

const bindingOf = (route: string, filter: object, state: CursorState): string =>
  createHash('sha256')
    .update(canonicalJson({ r: route, f: filter, p: state.position, t: state.times }))
    .digest('base64url')
    .slice(0, 22);

export function encodeCursor(route: string, filter: object, state: CursorState): string {
  const { position, times } = state;
  const f = bindingOf(route, filter, state);
  return Buffer.from(JSON.stringify({ v: 1, r: route, p: position, t: times, f })).toString(
    'base64url',
  );
}

const isTimes = (t: unknown): t is Record<string, number> =>
  typeof t === 'object' &&
  t !== null &&
  !Array.isArray(t) &&
  Object.values(t).every((ms) => Number.isSafeInteger(ms) && Math.abs(ms as number) <= TIME_MAX);

/** The walk a cursor continues, for `route` and `filter`; undefined without a cursor. */
export function decodeCursor(
  cursor: string | undefined,
  route: string,
  filter: object,
): CursorState | undefined {
  if (cursor === undefined) return undefined;
  const bytes = Buffer.from(cursor, 'base64url');
  // Only the exact text this API wrote: base64url decoding skips what it does not read.
  if (bytes.toString('base64url') !== cursor) throw new BadCursorError();
  let decoded: unknown;
  try {
    decoded = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new BadCursorError();
  }
  if (typeof decoded !== 'object' || decoded === null || Array.isArray(decoded))
    throw new BadCursorError();
  const { v, r, p, t, f, ...rest } = decoded as Record<string, unknown>;
  if (
    Object.keys(rest).length > 0 ||
    v !== 1 ||
    r !== route ||
    typeof p !== 'string' ||
    p === '' ||
    Buffer.byteLength(p) > POSITION_MAX_BYTES ||
    !isTimes(t) ||
    f !== bindingOf(route, filter, { position: p, times: t })
  )
    throw new BadCursorError();
  return { position: p, times: t };
}
