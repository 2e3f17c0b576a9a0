/** AWS's rules for a tag: key 1–128 and value 0–256 characters of this set, no `aws:` prefix. */
const TAG_CHARACTERS = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;

/** One tag of the user's: key and value. */
export type UserTag = readonly [string, string];

export class StackTagsError extends Error {
  constructor(problem: string) {
    super(`tags: ${problem}`);
    this.name = 'StackTagsError';
  }
}

function checkPair([rawKey, rawValue]: UserTag): UserTag {
  const key = rawKey.trim();
  const value = rawValue.trim();
  if (key === '') throw new StackTagsError(`"${rawKey}=${rawValue}" has no key`);
  if (key.length > 128 || value.length > 256)
    throw new StackTagsError(`"${key}" is longer than AWS allows (key 128, value 256)`);
  if (!TAG_CHARACTERS.test(key) || !TAG_CHARACTERS.test(value))
    throw new StackTagsError(`"${key}" has a character AWS does not allow in tags`);
  if (key.toLowerCase().startsWith('aws:'))
    throw new StackTagsError(`"${key}": the aws: prefix is AWS's own`);
  return [key, value];
}

/** `k=v,k2=v2` as pairs; a value may hold '='. */
function parsePairs(text: string): UserTag[] {
  return text
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '')
    .map((pair) => {
      const at = pair.indexOf('=');
      if (at <= 0)
        throw new StackTagsError(
          `"${pair}" is not key=value (pairs separated by commas, or a map)`,
        );
      return [pair.slice(0, at), pair.slice(at + 1)] as const;
    });
}

/**
 * The tags of a stage's CloudFormation stack, which CloudFormation passes on to every resource
 * that takes tags: `service` and `stage`, so that Cost Explorer can tell stages apart, and the
 * user's own (`tags` in the stage file: `k=v` pairs, or a map taken pair by pair). No two keys
 * may be equal when case is ignored, ours included: IAM compares tag keys without case, and
 * CreateRole would refuse the stack's roles.
 */
export function stackTags(
  service: string,
  stage: string,
  userTags: string | readonly UserTag[] = '',
): Record<string, string> {
  const own = { service, stage };
  const pairs = (typeof userTags === 'string' ? parsePairs(userTags) : userTags).map(checkPair);
  const seen = new Map(Object.keys(own).map((k) => [k, 'the stack itself']));
  for (const [key] of pairs) {
    const earlier = seen.get(key.toLowerCase());
    if (earlier === 'the stack itself')
      throw new StackTagsError(`"${key}" is set by the stack itself (tag keys ignore case)`);
    if (earlier !== undefined)
      throw new StackTagsError(`"${key}" and "${earlier}" are one key to IAM, which ignores case`);
    seen.set(key.toLowerCase(), key);
  }
  if (pairs.length + 2 > 50) throw new StackTagsError('AWS allows at most 50 tags');
  return { ...own, ...Object.fromEntries(pairs) };
}
