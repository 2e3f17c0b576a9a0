import type { Entity } from '../../records/entities';
import type { StoredEvent } from '../../records/stored-event';

/**
 * What storing does with each event of a batch, decided from what was read (the record, its fold
 * state and `pending`, and the hashes of the history items already written): a pure function,
 * with no I/O. See storeEvents for the protocol.
 */

/**
 * - `new`: an id the history does not hold: folded in (counted once), history item written.
 * - `replaces`: a connection's event_id held with a smaller hash: folded in (counts as the merge
 *   says), its history item replaces the held one.
 * - `held-larger`: an event_id held with a larger hash: folded in (folding it again changes
 *   nothing), the history keeps the larger.
 * - `pending`: folded in by an earlier delivery whose history write never happened (a consumer
 *   died between the two writes): only its history item is written.
 * - `held`: this content is held already: nothing to do.
 */
export type Verdict = 'new' | 'replaces' | 'held-larger' | 'pending' | 'held';

/** @internal exported for the tests */
export interface Candidate {
  event: StoredEvent;
  /** Its history id (Entity.historyId). */
  id: string;
  verdict: Verdict;
}

/** Whether an event of this verdict is one the entity had already. */
export const isDuplicate = (verdict: Verdict): boolean =>
  verdict === 'held' || verdict === 'pending' || verdict === 'held-larger';

/** Whether an event of this verdict is folded into the record. */
export const folds = (verdict: Verdict): boolean =>
  verdict === 'new' || verdict === 'replaces' || verdict === 'held-larger';

/** Whether an event of this verdict has its history item written now. */
export const writesHistory = (verdict: Verdict): boolean =>
  verdict === 'new' || verdict === 'replaces' || verdict === 'pending';

/** A record with its fold state (see Entity.fold). */
export interface Folded {
  record: unknown;
  fold: unknown;
}

export interface StorePlan {
  candidates: Candidate[];
  /** The record and fold state with the events folded in; undefined when none folds. */
  folded: Folded | undefined;
  /** History ids this plan adds to the record (new to it): pending until their items are seen. */
  added: string[];
}

/** The verdict on `event` (id `id`), given the hash its id holds (undefined: not held). */
function verdictOf(
  event: StoredEvent,
  heldHash: string | null | undefined,
  inPending: boolean,
): Verdict {
  // Once the history item exists, its hash tells; before, `pending` does.
  if (heldHash === undefined) return inPending ? 'pending' : 'new';
  if (heldHash === null || heldHash === event.hash) return 'held';
  return heldHash > event.hash ? 'held-larger' : 'replaces';
}

/**
 * Decides, for events of one entity in batch order, which fold into `current` and which only need
 * their history item. `held` maps each history id already written to its hash (null when its item
 * keeps none); an event decided here counts as held for the later ones of the batch.
 */
export function planStore(
  entity: Pick<Entity<unknown>, 'fold' | 'historyId'>,
  events: readonly StoredEvent[],
  current: (Folded & { pending: readonly string[] }) | undefined,
  held: ReadonlyMap<string, string | null>,
): StorePlan {
  const hashes = new Map(held);
  const plan: StorePlan = { candidates: [], folded: undefined, added: [] };
  let state = current && { record: current.record, fold: current.fold };
  for (const event of events) {
    const id = entity.historyId(event);
    const verdict = verdictOf(event, hashes.get(id), current?.pending.includes(id) ?? false);
    plan.candidates.push({ event, id, verdict });
    if (!folds(verdict)) continue;
    state = entity.fold(state as never, event, verdict === 'new') as Folded;
    plan.folded = state;
    if (verdict !== 'held-larger') hashes.set(id, event.hash);
    if (verdict === 'new') plan.added.push(id);
  }
  return plan;
}
