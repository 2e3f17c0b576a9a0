import {
  GetParameterCommand,
  GetParametersCommand,
  ParameterNotFound,
  type SSMClient,
} from '@aws-sdk/client-ssm';
import { SecretsUnavailableError, type Secrets, type SecretSource } from '../ports/secret-source';
import { KINDS, type Kind } from '../webhook/kinds';
import { sendUntil } from './request-limits';
import { retryTransient } from './transient-retry';

/** A parameter's value: one or more secrets separated by commas, each trimmed. */
const secretList = (value: string | undefined): string[] =>
  (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');

/** The SSM parameter names under `path`: one per kind plus the shared fallback. */
function secretParameterNames(path: string): { shared: string } & Record<Kind, string> {
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
  /** How long a read may go on retrying when the caller names no deadline. */
  defaultBudgetMs?: number;
  now?: () => number;
  /** For tests: the backoff's draws and pauses (see retryTransient). */
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * Secrets from SSM Parameter Store SecureStrings under `path` (`<path>/shared`, `<path>/jobs`,
 * …), each holding one or more comma-separated secrets. A kind's own parameter replaces the
 * shared one; a parameter that does not exist means "none". Fetched values are cached for
 * `ttlMs`, so a rotation takes effect within that time without a redeploy.
 *
 * Built for the top-of-the-hour burst, when hundreds of new instances ask at once and Parameter
 * Store's shared 40 requests a second answer most of them ThrottlingException: one read is in
 * flight per instance however many requests wait on it; with nothing cached, a throttled or
 * failed read is tried again with full-jitter backoff until the caller's deadline, so that the
 * instances spread their tries over the time they have. With secrets cached but past their TTL,
 * one try is made and the cached secrets are used if it fails (for at most `staleMs`).
 */
export function ssmSecretSource(
  client: SSMClient,
  path: string,
  options: SsmSecretOptions = {},
): SecretSource {
  const ttl = options.ttlMs ?? 60_000;
  const stale = options.staleMs ?? 10 * 60_000;
  const budget = options.defaultBudgetMs ?? 5_000;
  const now = options.now ?? Date.now;
  const names = secretParameterNames(path);
  let cached: { secrets: Secrets; at: number } | undefined;
  let inFlight: Promise<Secrets> | undefined;

  async function readOnce(deadline: number): Promise<Secrets> {
    const result = await client.send(
      new GetParametersCommand({ Names: Object.values(names), WithDecryption: true }),
      // Ends the call in flight at the deadline (the SDK's own tries included), however long
      // SSM takes to answer or to time out.
      { abortSignal: AbortSignal.timeout(Math.max(1, deadline - now())) },
    );
    const byName = new Map((result.Parameters ?? []).map((p) => [p.Name, p.Value]));
    const shared = secretList(byName.get(names.shared));
    const secrets = Object.fromEntries(
      KINDS.map((kind) => {
        const own = secretList(byName.get(names[kind]));
        return [kind, own.length > 0 ? own : shared];
      }),
    ) as Secrets;
    cached = { secrets, at: now() };
    return secrets;
  }

  function read(deadline: number): Promise<Secrets> {
    if (cached !== undefined) return readOnce(deadline);
    return retryTransient((_n, until) => readOnce(until), {
      deadline,
      now,
      ...(options.random === undefined ? {} : { random: options.random }),
      ...(options.sleep === undefined ? {} : { sleep: options.sleep }),
    });
  }

  return {
    async secrets(deadline = now() + budget) {
      if (cached !== undefined && now() - cached.at < ttl) return cached.secrets;
      inFlight ??= read(deadline).finally(() => {
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

/**
 * One SecureString's value, trimmed; undefined when the parameter does not exist or is blank.
 * Given up (it throws) at `until` (epoch ms), if given.
 */
export async function readSecureString(
  client: SSMClient,
  name: string,
  until?: number,
): Promise<string | undefined> {
  try {
    const got = await client.send(
      new GetParameterCommand({ Name: name, WithDecryption: true }),
      sendUntil(until),
    );
    const value = got.Parameter?.Value?.trim() ?? '';
    return value === '' ? undefined : value;
  } catch (error) {
    if (error instanceof ParameterNotFound) return undefined;
    throw error;
  }
}
