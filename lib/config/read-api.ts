import { name, readEnv, type Env } from './env';

/** The read API function's configuration (docs/configuration.md lists every variable). */
export interface ReadApiConfig {
  tables: { jobs: string; discover: string; connections: string };
}

/** Reads the read API function's configuration once, at cold start; throws a ConfigError when it cannot work. */
export function loadReadApiConfig(env: Env = process.env): ReadApiConfig {
  const read = readEnv(env, {
    JOBS_TABLE: name(),
    DISCOVER_TABLE: name(),
    CONNECTIONS_TABLE: name(),
  });
  return {
    tables: {
      jobs: read.JOBS_TABLE,
      discover: read.DISCOVER_TABLE,
      connections: read.CONNECTIONS_TABLE,
    },
  };
}
