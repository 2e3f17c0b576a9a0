import type { Kind } from '../webhook/kinds';

/** The valid webhook secrets of each kind: several at once while a secret is rotated. */
export type Secrets = Record<Kind, string[]>;

/** Where ingest gets the valid webhook secrets of each kind. */
export interface SecretSource {
  /** The secrets; a source that retries gives up by `deadline` (epoch ms) when one is given. */
  secrets(deadline?: number): Promise<Secrets>;
}

/** The secrets cannot be read (and no recent copy is at hand): no event can be verified. */
export class SecretsUnavailableError extends Error {
  constructor(cause: unknown) {
    super('the webhook secrets are unavailable', { cause });
    this.name = 'SecretsUnavailableError';
  }
}

/** Fixed secrets: the local stack and tests, from WEBHOOK_SECRET and friends. */
export function fixedSecretSource(secrets: Secrets): SecretSource {
  return { secrets: () => Promise.resolve(secrets) };
}
