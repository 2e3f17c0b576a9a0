import { resolve } from 'node:path';
import { DEFAULT_HOTGLUE_API_URL } from '../aws/hotglue-api';
import type { Kind } from '../webhook/kinds';
import { integer, readEnv, withDefault, type Env } from './env';
import { secretsFromEnv } from './ingest';
import { DEFAULT_DATA_DIR } from './local-stack';

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
   * The region of `--stage`: the `--region` flag, else AWS_REGION, else us-east-1, the order
   * serverless.yml uses for deploys, so that a query finds the stage where it was deployed.
   */
  region: string;
}

/** The region serverless.yml deploys to when neither --region nor AWS_REGION says one. */
export const DEFAULT_REGION = 'us-east-1';

/** Reads the CLI's configuration from `env`, relative to `cwd`. */
export function loadCliConfig(env: Env, cwd: string): CliConfig {
  const read = readEnv(env, {
    DATA_DIR: withDefault(DEFAULT_DATA_DIR),
    PORT: integer(1, 65535, 3000, 'must be a port number'),
    HOTGLUE_API_URL: withDefault(DEFAULT_HOTGLUE_API_URL),
    AWS_REGION: withDefault(DEFAULT_REGION),
  });
  const key = (env.HOTGLUE_API_KEY ?? '').trim();
  return {
    dataDir: resolve(cwd, read.DATA_DIR),
    port: read.PORT,
    secrets: secretsFromEnv(env),
    hotglueApiUrl: read.HOTGLUE_API_URL,
    region: read.AWS_REGION,
    ...(key !== '' && { hotglueApiKey: key }),
  };
}
