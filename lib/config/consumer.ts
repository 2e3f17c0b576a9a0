import type { Kind } from '../webhook/kinds';
import { name, readEnv, withDefault, type Env } from './env';

const tableVariable = (kind: Kind): string => `${kind.toUpperCase()}_TABLE`;

/** A consumer function's configuration (docs/configuration.md lists every variable). */
export interface ConsumerConfig {
  /** The table of the kind this consumer stores. */
  table: string;
  metricsNamespace: string;
}

/** Reads the consumer's configuration once, at cold start; throws a ConfigError when it cannot work. */
export function loadConsumerConfig(kind: Kind, env: Env = process.env): ConsumerConfig {
  const read = readEnv(env, {
    [tableVariable(kind)]: name(),
    POWERTOOLS_METRICS_NAMESPACE: withDefault('HotglueWebhooks'),
  });
  return {
    table: read[tableVariable(kind)] as string,
    metricsNamespace: read.POWERTOOLS_METRICS_NAMESPACE as string,
  };
}
