/** The three hotglue webhook subscriptions, named as they appear in our routes and queues. */
export const KINDS = ['jobs', 'discover', 'connections'] as const;

export type Kind = (typeof KINDS)[number];

export function isKind(value: unknown): value is Kind {
  return typeof value === 'string' && (KINDS as readonly string[]).includes(value);
}
