import { ConfigError } from './errors';
import { KINDS, type Kind } from './kinds';

type Env = Record<string, string | undefined>;

/** Environment variable holding the secrets of one kind, e.g. WEBHOOK_SECRET_JOBS. */
export const secretVariable = (kind: Kind): string => `WEBHOOK_SECRET_${kind.toUpperCase()}`;
/** Shared fallback used by every kind that has no secret of its own. */
export const SHARED_SECRET_VARIABLE = 'WEBHOOK_SECRET';
export const queueUrlVariable = (kind: Kind): string => `${kind.toUpperCase()}_QUEUE_URL`;

export interface IngestConfig {
  /**
   * Where the secrets come from: SSM parameters under a path (deployed), or the environment
   * (local stack, tests): per kind the kind's own when set, else the shared ones; possibly none.
   */
  secrets:
    { source: 'ssm'; path: string } | { source: 'environment'; values: Record<Kind, string[]> };
  /** Accept unsigned events for a kind that has no secret. Off unless configured. */
  allowUnsigned: boolean;
  /** Also accept signatures over JSON.stringify(JSON.parse(body)). Off unless configured. */
  allowReserializedSignature: boolean;
  queueUrls: Record<Kind, string>;
}

/** Splits a secret list: several values (for rotation) are separated by commas. */
export function parseSecretList(value: string | undefined): string[] {
  if (value === undefined) return [];
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

export function parseBoolean(env: Env, name: string, problems: string[]): boolean {
  const raw = (env[name] ?? '').trim().toLowerCase();
  if (raw === '' || raw === 'false' || raw === '0' || raw === 'no') return false;
  if (raw === 'true' || raw === '1' || raw === 'yes') return true;
  problems.push(`${name} must be true or false`);
  return false;
}

export function resolveSecrets(env: Env): Record<Kind, string[]> {
  const shared = parseSecretList(env[SHARED_SECRET_VARIABLE]);
  const entries = KINDS.map((kind) => {
    const own = parseSecretList(env[secretVariable(kind)]);
    return [kind, own.length > 0 ? own : shared] as const;
  });
  return Object.fromEntries(entries) as Record<Kind, string[]>;
}

/**
 * Reads and checks the ingest function's configuration once, at cold start. Throws a
 * ConfigError naming every problem (never a value) so that a broken deploy fails loudly.
 */
export function loadIngestConfig(env: Env = process.env): IngestConfig {
  const problems: string[] = [];
  const queueUrls = Object.fromEntries(
    KINDS.map((kind) => {
      const url = env[queueUrlVariable(kind)] ?? '';
      if (!/^https?:\/\//.test(url)) problems.push(`${queueUrlVariable(kind)} must be a queue URL`);
      return [kind, url];
    }),
  ) as Record<Kind, string>;
  const ssmPath = (env.WEBHOOK_SECRETS_SSM_PATH ?? '').trim().replace(/\/+$/, '');
  if (ssmPath !== '' && !ssmPath.startsWith('/'))
    problems.push('WEBHOOK_SECRETS_SSM_PATH must start with /');
  const config: IngestConfig = {
    secrets:
      ssmPath !== ''
        ? { source: 'ssm', path: ssmPath }
        : { source: 'environment', values: resolveSecrets(env) },
    allowUnsigned: parseBoolean(env, 'WEBHOOK_ALLOW_UNSIGNED', problems),
    allowReserializedSignature: parseBoolean(env, 'WEBHOOK_SIGNATURE_JSON_FALLBACK', problems),
    queueUrls,
  };
  if (problems.length > 0) throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
  return config;
}

export const tableVariable = (kind: Kind): string => `${kind.toUpperCase()}_TABLE`;

/** The consumer's configuration: its table. Throws a ConfigError at cold start when missing. */
export function loadConsumerConfig(kind: Kind, env: Env = process.env): { table: string } {
  const table = env[tableVariable(kind)] ?? '';
  if (table === '')
    throw new ConfigError(`invalid configuration: ${tableVariable(kind)} must name a table`);
  return { table };
}
