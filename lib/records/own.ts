/**
 * Lookups keyed by payload text (a field's name, a status, an event name): only an object's own
 * properties count, so that `constructor`, `toString` or `__proto__` read nothing inherited.
 */

/** `values[name]` when `values` has it as its own property, else undefined. */
export const own = <T>(values: Readonly<Record<string, T>>, name: string): T | undefined =>
  Object.hasOwn(values, name) ? values[name] : undefined;

/** Sets `values[name]` as an own property, even for `__proto__` (which assignment would not). */
export function setOwn<T>(values: Record<string, T>, name: string, value: T): void {
  Object.defineProperty(values, name, {
    value,
    writable: true,
    enumerable: true,
    configurable: true,
  });
}
