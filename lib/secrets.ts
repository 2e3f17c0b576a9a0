import { GetParametersCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { SecretsUnavailableError } from './errors';
import { KINDS, type Kind } from './kinds';
import { parseSecretList } from './config';

export type Secrets = Record<Kind, string[]>;

/** Where the ingest function gets the valid webhook secrets of each kind. */
export interface SecretSource {
  secrets(): Promise<Secrets>;
}

/** Fixed secrets (the local stack and tests: from WEBHOOK_SECRET and friends). */
export function staticSecretSource(secrets: Secrets): SecretSource {
  return { secrets: () => Promise.resolve(secrets) };
}

/** The SSM parameter names under `path`: one per kind plus the shared fallback. */
export function secretParameterNames(path: string): { shared: string } & Record<Kind, string> {
  return {
    shared: `${path}/shared`,
    jobs: `${path}/jobs`,
    discover: `${path}/discover`,
    connections: `${path}/connections`,
  };
}

export interface SsmSecretOptions {
  /** How long fetched secrets are used before they are fetched again (rotation delay). */
  ttlMs?: number;
  /** How long the last good secrets may still be used while SSM cannot be reached. */
  staleMs?: number;
  now?: () => number;
}

/**
 * Secrets from SSM Parameter Store SecureStrings under `path` (`<path>/shared`, `<path>/jobs`,
 * …), each holding one or more comma-separated secrets. A kind's own parameter replaces the
 * shared one; a parameter that does not exist means "none". Fetched values are cached for
 * `ttlMs`, so a rotation takes effect within that time without a redeploy.
 */
export function ssmSecretSource(
  client: SSMClient,
  path: string,
  options: SsmSecretOptions = {},
): SecretSource {
  const ttl = options.ttlMs ?? 60_000;
  const stale = options.staleMs ?? 10 * 60_000;
  const now = options.now ?? Date.now;
  const names = secretParameterNames(path);
  let cached: { secrets: Secrets; at: number } | undefined;
  let inFlight: Promise<Secrets> | undefined;

  async function fetch(): Promise<Secrets> {
    const result = await client.send(
      new GetParametersCommand({ Names: Object.values(names), WithDecryption: true }),
    );
    const byName = new Map((result.Parameters ?? []).map((p) => [p.Name, p.Value]));
    const shared = parseSecretList(byName.get(names.shared));
    const secrets = Object.fromEntries(
      KINDS.map((kind) => {
        const own = parseSecretList(byName.get(names[kind]));
        return [kind, own.length > 0 ? own : shared];
      }),
    ) as Secrets;
    cached = { secrets, at: now() };
    return secrets;
  }

  return {
    async secrets() {
      if (cached !== undefined && now() - cached.at < ttl) return cached.secrets;
      inFlight ??= fetch().finally(() => {
        inFlight = undefined;
      });
      try {
        return await inFlight;
      } catch (error) {
        if (cached !== undefined && now() - cached.at < stale) return cached.secrets;
        throw new SecretsUnavailableError(error);
      }
    },
  };
}
