/**
 * The shape limits of an event, whoever sends it: ingest checks a webhook's body against them, and
 * reconcile checks hotglue's answer before queueing it as an event (docs/http-contract.md, "The
 * shape limits"). They bound what one event costs to hash, fold and store.
 */

/**
 * Deeper JSON than this is refused: hotglue's payloads are 3–4 levels deep, and re-serialising a
 * very deep value (for hashing or storage) would overflow the stack in a consumer.
 * @internal exported for the tests
 */
export const MAX_JSON_DEPTH = 100;

/**
 * More top-level fields than this are refused: hotglue's job events have 33, discover and
 * connection events under 10. Each field becomes an attribute of the record and an entry of its
 * fold state, so this bounds what one event costs to store.
 * @internal exported for the tests
 */
export const MAX_FIELDS = 256;

/**
 * More keys than this in `status_timestamp` are refused: hotglue sends about a dozen phases. Each
 * phase is a field of the job's record and of its fold state (see jobCost in records/jobs.ts), and
 * the top-level cap does not count them, so 700 tiny phases would outgrow a record's budget.
 * @internal exported for the tests
 */
export const MAX_STATUS_PHASES = 64;

/**
 * A longer object key (at any depth, in UTF-8 bytes) is refused: hotglue's are under 30 bytes
 * (stream names in `metrics` under 128). Keys become attribute and map names in DynamoDB.
 * @internal exported for the tests
 */
export const MAX_KEY_BYTES = 256;

/** The first key over MAX_KEY_BYTES or named `__proto__`, or nesting past MAX_JSON_DEPTH. */
function nestingProblem(value: Record<string, unknown>): string | undefined {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop() as [unknown, number];
    if (typeof node !== 'object' || node === null) continue;
    if (depth > MAX_JSON_DEPTH) return `body nested deeper than ${MAX_JSON_DEPTH} levels`;
    if (!Array.isArray(node))
      for (const key of Object.keys(node)) {
        if (key === '__proto__') return 'body has a key named __proto__';
        if (Buffer.byteLength(key) > MAX_KEY_BYTES)
          return `body has a key longer than ${MAX_KEY_BYTES} bytes`;
      }
    for (const child of Array.isArray(node) ? node : Object.values(node)) {
      if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
    }
  }
  return undefined;
}

/**
 * Why a parsed JSON object's shape is refused, or undefined: more than MAX_FIELDS top-level fields,
 * a `status_timestamp` object of more than MAX_STATUS_PHASES keys, nesting past MAX_JSON_DEPTH, a
 * key over MAX_KEY_BYTES or named `__proto__` (which JavaScript and the DynamoDB marshaller cannot
 * hold as data). Iterative (a value nested 5,000 levels costs no stack), stops at the first
 * problem; the reason names the limit, never a value.
 */
export function shapeProblem(value: Record<string, unknown>): string | undefined {
  if (Object.keys(value).length > MAX_FIELDS)
    return `body has more than ${MAX_FIELDS} top-level fields`;
  const stamps = Object.hasOwn(value, 'status_timestamp') ? value.status_timestamp : undefined;
  if (
    typeof stamps === 'object' &&
    stamps !== null &&
    !Array.isArray(stamps) &&
    Object.keys(stamps).length > MAX_STATUS_PHASES
  )
    return `body has more than ${MAX_STATUS_PHASES} status_timestamp keys`;
  return nestingProblem(value);
}
