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

/**
 * Each kind of variable is a function that builds its schema on first use only: building zod
 * schemas costs time at cold start (about 0.1 ms each), and a process reads only a few kinds.
 */
function once<T>(build: () => Variable<T>): () => Variable<T> {
  let made: Variable<T> | undefined;
  return () => (made ??= build());
}

/** The raw value, trimmed; unset is ''. */
const trimmed = () =>
  z.pipe(
    z.optional(z.string()),
    z.transform((v) => (v ?? '').trim()),
  );

const URL_PATTERN = /^https?:\/\/\S+$/;

/** true/false/1/0/yes/no in any case; unset or empty is false. */
export const flag = once(() => ({
  schema: z.pipe(
    trimmed(),
    z.pipe(
      z
        .string()
        .check(
          z.refine((v) => ['', 'true', 'false', '1', '0', 'yes', 'no'].includes(v.toLowerCase())),
        ),
      z.transform((v) => ['true', '1', 'yes'].includes(v.toLowerCase())),
    ),
  ),
  rule: 'must be true or false',
}));

/** Several secrets (for rotation) separated by commas, each trimmed; unset is none. */
export const secretList = once(() => ({
  schema: z.pipe(
    trimmed(),
    z.transform((v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== ''),
    ),
  ),
  rule: 'must be a comma-separated list of secrets',
}));

export const httpUrl = once(() => ({
  schema: z.pipe(trimmed(), z.string().check(z.regex(URL_PATTERN))),
  rule: 'must be an http(s) URL',
}));

export const optionalHttpUrl = once(() => ({
  schema: z.pipe(
    trimmed(),
    z.pipe(
      z.string().check(z.refine((v) => v === '' || URL_PATTERN.test(v))),
      z.transform((v) => (v === '' ? undefined : v)),
    ),
  ),
  rule: 'must be an http(s) URL when set',
}));

/** A URL that `allowed` accepts (checked after trimming); unset or empty takes `fallback`. */
export const checkedUrl = (
  fallback: string,
  allowed: (url: string) => boolean,
  rule: string,
): Variable<string> => ({
  schema: z.pipe(
    trimmed(),
    z.pipe(
      z.transform((v: string) => (v === '' ? fallback : v)),
      z.string().check(z.refine(allowed)),
    ),
  ),
  rule,
});

export const name = once(() => ({
  schema: z.pipe(trimmed(), z.string().check(z.minLength(1))),
  rule: 'must be set',
}));

/** Any string; unset or empty takes `fallback`. */
export const withDefault = (fallback: string): Variable<string> => ({
  schema: z.pipe(
    trimmed(),
    z.transform((v) => (v === '' ? fallback : v)),
  ),
  rule: 'must be a string',
});

/** A whole number within [min, max]; unset or empty takes `fallback` (undefined: stays unset). */
export function integer<F extends number | undefined>(
  min: number,
  max: number,
  fallback: F,
  rule = `must be a whole number from ${min} to ${max}`,
): Variable<number | F> {
  return {
    schema: z.pipe(
      trimmed(),
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
  };
}

const DURATION_UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** A duration such as 30s, 15m, 2h or 1d (or 0), in milliseconds; unset or empty takes `fallback`. */
export function duration(fallback: string): Variable<number> {
  const ms = (v: string): number | undefined => {
    if (v === '0') return 0;
    const m = /^(\d+)([smhd])$/.exec(v);
    return m === null ? undefined : Number(m[1]) * (DURATION_UNITS[m[2] as string] ?? 0) * 1000;
  };
  return {
    schema: z.pipe(
      trimmed(),
      z.pipe(
        z.string().check(z.refine((v) => ms(v === '' ? fallback : v) !== undefined)),
        z.transform((v) => ms(v === '' ? fallback : v) as number),
      ),
    ),
    rule: 'must be a duration such as 30s, 15m, 2h or 1d (or 0)',
  };
}

/** An SSM parameter path (starting with /, trailing slashes dropped), or '' when unset. */
export const ssmPath = once(() => ({
  schema: z.pipe(
    z.pipe(
      trimmed(),
      z.transform((v) => v.replace(/\/+$/, '')),
    ),
    z.string().check(z.refine((v) => v === '' || v.startsWith('/'))),
  ),
  rule: 'must start with /',
}));

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
