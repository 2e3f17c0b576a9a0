// zod/mini: the same schemas at a twentieth of the bundle size (cold start matters here).
import * as z from 'zod/mini';
import type { Kind } from './kinds';

/** Identity fields become DynamoDB keys (at most 2,048 bytes): 1,024 characters leaves room. */
export const MAX_ID_CHARS = 1024;
const id = z.string().check(z.minLength(1), z.maxLength(MAX_ID_CHARS));

/**
 * Each schema requires only the fields that identify an event. Every other field, known or
 * not, passes through untouched, and `status`/`event` are open strings: hotglue may add
 * statuses and fields at any time, and an event we cannot classify must not be lost.
 */
const jobEventSchema = z.object({
  s3_root: id,
  tenant: id,
  flow_id: id,
  status: id,
});

const discoverEventSchema = z.object({
  tenant: id,
  flow_id: id,
  connector: id,
  status: id,
});

const connectionEventSchema = z.object({
  tenant: id,
  flow_id: id,
  connector: id,
  event: id,
});

const schemas = {
  jobs: jobEventSchema,
  discover: discoverEventSchema,
  connections: connectionEventSchema,
} as const satisfies Record<Kind, z.ZodMiniType>;

/**
 * Validates a payload as an event of `kind`. Returns a short reason naming the first bad
 * field (never its value), or undefined when the payload is valid.
 */
export function validationProblem(kind: Kind, payload: unknown): string | undefined {
  const result = schemas[kind].safeParse(payload);
  if (result.success) return undefined;
  const issue = result.error.issues[0];
  const key = issue?.path[0];
  const field = issue?.path.map(String).join('.') || 'payload';
  const value = typeof key === 'string' ? (payload as Record<string, unknown>)[key] : undefined;
  const what =
    value === undefined || value === null
      ? 'is required'
      : `must be a non-empty string of at most ${MAX_ID_CHARS} characters`;
  return `invalid ${kind} event: ${field} ${what}`;
}
