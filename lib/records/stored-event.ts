import type { EventSource } from '../webhook/envelope';

/** One distinct event as stored in a history: its payload and where it came from. */
export interface StoredEvent {
  /** SHA-256 of the payload's canonical JSON. */
  hash: string;
  /** When ingest first received it (ISO). Metadata only: never part of a merge. */
  receivedAt: string;
  payload: Record<string, unknown>;
  /** Where it came from; a webhook when absent. Metadata only: never part of a merge. */
  source?: EventSource;
}

export const isPresent = (value: unknown): boolean => value !== undefined && value !== null;

export const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : undefined;
