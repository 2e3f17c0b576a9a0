// zod/mini: the same schemas at a twentieth of the bundle size (cold start matters here).
import * as z from 'zod/mini';
import type { Kind } from './kinds';

/**
 * Identity fields become DynamoDB keys: 1,024 characters each, and records/key-limits.ts checks the keys they make in bytes.
 * @internal exported for the tests
 */
export const MAX_ID_CHARS = 1024;
const id = z.string().check(z.minLength(1), z.maxLength(MAX_ID_CHARS));
/** An identity field hotglue may leave out (or send as null): when it is there, like the rest. */
const optionalId = z.optional(z.nullable(id));

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
  env_id: optionalId,
});

const discoverEventSchema = z.object({
  tenant: id,
  flow_id: id,
  connector: id,
  status: id,
  env_id: optionalId,
});

const connectionEventSchema = z.object({
  tenant: id,
  flow_id: id,
  connector: id,
  event: id,
  env_id: optionalId,
  connector_type: optionalId,
  event_id: optionalId,
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
