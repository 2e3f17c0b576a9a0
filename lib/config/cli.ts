import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Kind } from '../webhook/kinds';
import { ConfigError, integer, readEnv, withDefault, type Env } from './env';
import { secretsFromEnv } from './ingest';
import { DEFAULT_DATA_DIR } from './local-stack';
import { hotglueApiUrl } from './reconcile';

/** The CLI's configuration (docs/configuration.md lists every variable). */
export interface CliConfig {
  /** Where the local stack keeps its facts and generated secret. */
  dataDir: string;
  /** The local stack's port, when it wrote no facts to the data folder. */
  port: number;
  /** Signing secrets from the environment (the first of each kind signs `send`). */
  secrets: Record<Kind, string[]>;
  /** hotglue's API, for `reconcile`. */
  hotglueApiUrl: string;
  /** The hotglue environment's API key, for `reconcile` (a deployed stage's is read from SSM). */
  hotglueApiKey?: string;
  /**
   * The region of `--stage` from the environment: AWS_REGION, else AWS_DEFAULT_REGION (undefined
   * for neither); stageRegion() adds the flag and the stage file, as deploys choose it.
   */
  region?: string;
}

/** The region serverless.yml deploys to when nothing else names one. */
export const DEFAULT_REGION = 'us-east-1';

/**
 * The region of a stage, in the order a deploy takes it (lib/config/stage-settings.ts): the
 * `--region` flag, AWS_REGION, AWS_DEFAULT_REGION, then `region:` in `stages/<stage>.yml` under
 * `cwd` (a plain value), else us-east-1. So a query finds the stage where it was deployed.
 */
export function stageRegion(
  config: Pick<CliConfig, 'region'>,
  flag: string | undefined,
  cwd: string,
  stage: string | undefined,
): string {
  const fromFile = (): string | undefined => {
    if (stage === undefined || !/^[A-Za-z0-9-]+$/.test(stage)) return undefined;
    let text: string;
    try {
      text = readFileSync(resolve(cwd, 'stages', `${stage}.yml`), 'utf8');
    } catch {
      return undefined;
    }
    const line =
      /^region:(.*)$/m
        .exec(text)?.[1]
        ?.replace(/\s#.*$/, '')
        .trim() ?? '';
    if (line === '' || line === "''" || line === '""' || line === '~') return undefined;
    const plain = /^['"]?([a-z]{2}(?:-[a-z]+)+-\d)['"]?$/.exec(line)?.[1];
    if (plain === undefined)
      throw new ConfigError(
        `stages/${stage}.yml: region ${line} is not a plain region name the CLI can read: pass --region`,
      );
    return plain;
  };
  return flag ?? config.region ?? fromFile() ?? DEFAULT_REGION;
}

/** Reads the CLI's configuration from `env`, relative to `cwd`. */
export function loadCliConfig(env: Env, cwd: string): CliConfig {
  const read = readEnv(env, {
    DATA_DIR: withDefault(DEFAULT_DATA_DIR),
    PORT: integer(1, 65535, 3000, 'must be a port number'),
    HOTGLUE_API_URL: hotglueApiUrl(),
  });
  const region = [env.AWS_REGION, env.AWS_DEFAULT_REGION]
    .map((r) => (r ?? '').trim())
    .find((r) => r !== '');
  const key = (env.HOTGLUE_API_KEY ?? '').trim();
  return {
    dataDir: resolve(cwd, read.DATA_DIR),
    port: read.PORT,
    secrets: secretsFromEnv(env),
    hotglueApiUrl: read.HOTGLUE_API_URL,
    ...(region !== undefined && { region }),
    ...(key !== '' && { hotglueApiKey: key }),
  };
}
