import * as z from 'zod/mini';

export type Env = Record<string, string | undefined>;

/** Configuration that cannot work: raised at start so that a broken deploy fails loudly. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** One environment variable: how to read it, and the rule a bad value breaks (for the error). */
export interface Variable<T> {
  schema: z.ZodMiniType<T, string | undefined>;
  rule: string;
}

const variable = <T>(schema: z.ZodMiniType<T, string | undefined>, rule: string): Variable<T> => ({
  schema,
  rule,
});

const trimmed = z.pipe(
  z.optional(z.string()),
  z.transform((v) => (v ?? '').trim()),
);

/** true/false/1/0/yes/no in any case; unset or empty is false. */
export const flag = variable(
  z.pipe(
    z.pipe(
      trimmed,
      z.transform((v) => v.toLowerCase()),
    ),
    z.pipe(
      z.enum(['', 'true', 'false', '1', '0', 'yes', 'no']),
      z.transform((v) => v === 'true' || v === '1' || v === 'yes'),
    ),
  ),
  'must be true or false',
);

/** Several secrets (for rotation) separated by commas, each trimmed; unset is none. */
export const secretList = variable(
  z.pipe(
    trimmed,
    z.transform((v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== ''),
    ),
  ),
  'must be a comma-separated list of secrets',
);

export const httpUrl = variable(
  z.pipe(trimmed, z.string().check(z.regex(/^https?:\/\/\S+$/))),
  'must be an http(s) URL',
);

export const optionalHttpUrl = variable(
  z.pipe(
    trimmed,
    z.pipe(
      z.union([z.literal(''), z.string().check(z.regex(/^https?:\/\/\S+$/))]),
      z.transform((v) => (v === '' ? undefined : v)),
    ),
  ),
  'must be an http(s) URL when set',
);

export const name = variable(z.pipe(trimmed, z.string().check(z.minLength(1))), 'must be set');

export const withDefault = (fallback: string) =>
  variable(
    z.pipe(
      trimmed,
      z.transform((v) => (v === '' ? fallback : v)),
    ),
    'must be a string',
  );

/** A whole number within [min, max]; unset or empty takes `fallback` (undefined: stays unset). */
export function integer<F extends number | undefined>(
  min: number,
  max: number,
  fallback: F,
  rule = `must be a whole number from ${min} to ${max}`,
): Variable<number | F> {
  return variable(
    z.pipe(
      trimmed,
      z.pipe(
        z
          .string()
          .check(
            z.refine((v) => v === '' || (/^\d+$/.test(v) && Number(v) >= min && Number(v) <= max)),
          ),
        z.transform((v) => (v === '' ? fallback : Number(v))),
      ),
    ),
    rule,
  );
}

/** An SSM parameter path (starting with /, trailing slashes dropped), or '' when unset. */
export const ssmPath = variable(
  z.pipe(
    z.pipe(
      trimmed,
      z.transform((v) => v.replace(/\/+$/, '')),
    ),
    z.string().check(z.refine((v) => v === '' || v.startsWith('/'))),
  ),
  'must start with /',
);

type Output<V> = V extends Variable<infer T> ? T : never;

/**
 * Reads `spec`'s variables from `env`. Throws one ConfigError naming every variable that breaks
 * its rule, and never a value (a value may be a secret).
 */
export function readEnv<S extends Record<string, Variable<unknown>>>(
  env: Env,
  spec: S,
): { [K in keyof S]: Output<S[K]> } {
  const problems: string[] = [];
  const values: Record<string, unknown> = {};
  for (const [variableName, { schema, rule }] of Object.entries(spec)) {
    const result = schema.safeParse(env[variableName]);
    if (result.success) values[variableName] = result.data;
    else problems.push(`${variableName} ${rule}`);
  }
  if (problems.length > 0) throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
  return values as { [K in keyof S]: Output<S[K]> };
}
