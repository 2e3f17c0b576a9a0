/** Redrawing a part of the page on a refresh without disturbing the reader. */

/**
 * Puts `nodes` in `parent` in place of its children, replacing only those that changed. A refresh
 * that redraws what did not change would swap a link under the reader's pointer: a click whose
 * press lands on the old link and whose release on the new one is lost.
 */
export function replaceIfChanged(parent: Element, nodes: (Node | string)[]): void {
  const next = nodes.map((n) => (typeof n === 'string' ? document.createTextNode(n) : n));
  const old = [...parent.childNodes];
  // A kept element that moves (none does today) is simply redrawn whole.
  if (next.some((n, i) => n.parentNode === parent && old[i] !== n)) {
    parent.replaceChildren(...next);
    return;
  }
  next.forEach((n, i) => {
    const was = old[i];
    if (was === undefined) parent.append(n);
    else if (was !== n && !was.isEqualNode(n)) was.replaceWith(n);
  });
  for (const was of old.slice(next.length)) was.remove();
}
