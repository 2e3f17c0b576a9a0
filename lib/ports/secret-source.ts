import type { Log } from './log';
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

/** The fewest bytes a webhook secret should have: a shorter HMAC key can be guessed. */
const MIN_SECRET_BYTES = 16;

/** The rule a short secret breaks, in the words warnings and errors use. */
export const SECRET_LENGTH_RULE = `each comma-separated webhook secret must be at least ${MIN_SECRET_BYTES} bytes`;

/** The names (kinds, or variables) whose secrets include one shorter than MIN_SECRET_BYTES. */
export const weakSecretNames = (lists: Record<string, string[]>): string[] =>
  Object.entries(lists)
    .filter(([, secrets]) => secrets.some((s) => Buffer.byteLength(s, 'utf8') < MIN_SECRET_BYTES))
    .map(([name]) => name);

/**
 * `source`, which warns once (per container: a deployed ingest's cold start) when the secrets it
 * hands out include a short one. It never refuses them: they are the secrets set in hotglue, and
 * refusing would refuse every event. The warning names the kinds and the rule, never a secret or
 * its length.
 */
export function warnOfWeakSecrets(source: SecretSource, log: Pick<Log, 'warn'>): SecretSource {
  let checked: Secrets | undefined;
  let warned = false;
  return {
    async secrets(deadline) {
      const secrets = await source.secrets(deadline);
      if (!warned && secrets !== checked) {
        checked = secrets;
        const kinds = weakSecretNames(secrets);
        if (kinds.length > 0) {
          warned = true;
          log.warn(
            `weak webhook secret: ${SECRET_LENGTH_RULE}; used all the same, as hotglue signs with it`,
            { kinds: kinds.join(', ') },
          );
        }
      }
      return secrets;
    },
  };
}
