import { compareKeys, type SortKey } from './compare';
import { isPresent } from './stored-event';

/**
 * Which event gave each field its value, so that one more event can be folded into a record
 * without reading the others: `latest` is the key of the greatest event seen, and `older` names
 * the fields whose value came from an earlier event (with that event's key). Every other field's
 * value came from `latest`. Kept on the record's CURRENT item; small, since most fields come from
 * the latest event.
 */
export interface Winners {
  latest?: SortKey;
  older: Record<string, SortKey>;
}

export const noWinners = (): Winners => ({ older: {} });

/**
 * Folds one event's fields (`incoming`, with its `key`) into `values`: each field keeps the value
 * of the greatest-keyed event that carries it non-null. Commutative, associative and idempotent:
 * any order and any repetition of the same events give the same values and winners. Mutates
 * `values` and `winners`.
 */
export function foldFields(
  values: Record<string, unknown>,
  winners: Winners,
  incoming: Record<string, unknown>,
  key: SortKey,
): void {
  const { latest, older } = winners;
  const present = Object.entries(incoming).filter(([, v]) => isPresent(v));
  if (latest === undefined) {
    for (const [name, value] of present) values[name] = value;
    winners.latest = key;
    return;
  }
  const order = compareKeys(key, latest);
  if (order === 0) return;
  if (order > 0) {
    for (const name of Object.keys(values))
      if (older[name] === undefined && !isPresent(incoming[name])) older[name] = latest;
    for (const [name, value] of present) {
      values[name] = value;
      delete older[name];
    }
    winners.latest = key;
    return;
  }
  for (const [name, value] of present) {
    const winner = older[name] ?? (name in values ? latest : undefined);
    if (winner === undefined || compareKeys(key, winner) > 0) {
      values[name] = value;
      older[name] = key;
    }
  }
}

/** The greater of two keys (the first may be missing). */
export const greaterKey = (a: SortKey | undefined, b: SortKey): SortKey =>
  a === undefined || compareKeys(b, a) > 0 ? b : a;
