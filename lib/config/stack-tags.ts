/** AWS's rules for a tag: key 1–128 and value 0–256 characters of this set, no `aws:` prefix. */
const TAG_CHARACTERS = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;

export class StackTagsError extends Error {
  constructor(problem: string) {
    super(`--param 'tags=…': ${problem} (expected key=value pairs separated by commas)`);
    this.name = 'StackTagsError';
  }
}

function parsePair(pair: string): [string, string] {
  const at = pair.indexOf('=');
  if (at <= 0) throw new StackTagsError(`"${pair}" is not key=value`);
  const key = pair.slice(0, at).trim();
  const value = pair.slice(at + 1).trim();
  if (key.length > 128 || value.length > 256)
    throw new StackTagsError(`"${key}" is longer than AWS allows (key 128, value 256)`);
  if (!TAG_CHARACTERS.test(key) || !TAG_CHARACTERS.test(value))
    throw new StackTagsError(`"${key}" has a character AWS does not allow in tags`);
  if (key.toLowerCase().startsWith('aws:'))
    throw new StackTagsError(`"${key}": the aws: prefix is AWS's own`);
  return [key, value];
}

/**
 * The tags of a stage's CloudFormation stack, which CloudFormation passes on to every resource
 * that takes tags: `service` and `stage`, so that Cost Explorer can tell stages apart, and the
 * user's own from `--param 'tags=team=data,cost-center=42'`. The user's may not replace ours.
 */
export function stackTags(service: string, stage: string, userTags = ''): Record<string, string> {
  const own = { service, stage };
  const pairs = userTags
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '')
    .map(parsePair);
  for (const [key] of pairs) {
    if (key in own) throw new StackTagsError(`"${key}" is set by the stack itself`);
  }
  if (pairs.length + 2 > 50) throw new StackTagsError('AWS allows at most 50 tags');
  return { ...own, ...Object.fromEntries(pairs) };
}
