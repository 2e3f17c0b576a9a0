import { resolve } from 'node:path';
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
}

/** Reads the CLI's configuration from `env`, relative to `cwd`. */
export function loadCliConfig(env: Env, cwd: string): CliConfig {
  const read = readEnv(env, {
    DATA_DIR: withDefault(DEFAULT_DATA_DIR),
    PORT: integer(1, 65535, 3000, 'must be a port number'),
  });
  return { dataDir: resolve(cwd, read.DATA_DIR), port: read.PORT, secrets: secretsFromEnv(env) };
}
