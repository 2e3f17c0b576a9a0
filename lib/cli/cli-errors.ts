/** What the CLI prints for an error a command did not handle: one short line, never a stack. */
export function explainError(
  error: unknown,
  command: string | undefined,
  context: { region: string; stage: string | undefined },
): string {
  const help = ['hotglue-webhooks', command, '--help'].filter(Boolean).join(' ');
  const code = (error as { code?: unknown } | null)?.code;
  const name = (error as { name?: unknown } | null)?.name;
  const message = error instanceof Error ? error.message : String(error);
  if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) {
    const option = /'(-[^' ]+)/.exec(message)?.[1];
    const named = option === undefined ? 'option' : `option ${option}`;
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return `unknown ${named}; see "${help}"`;
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE')
      return `${named} needs a value; see "${help}"`;
    return `unexpected argument; see "${help}"`;
  }
  if (context.stage !== undefined && NOT_FOUND.has(String(name))) {
    return (
      `stage "${context.stage}" not found in ${context.region} (${message}): ` +
      'deployed in another region? Give --region or set AWS_REGION'
    );
  }
  return message;
}

/** What AWS answers for a table or queue that does not exist in the region asked. */
const NOT_FOUND = new Set([
  'ResourceNotFoundException',
  'QueueDoesNotExist',
  'AWS.SimpleQueueService.NonExistentQueue',
  'ParameterNotFound',
]);

/**
 * Takes `--region R` (or `--region=R`) out of a command's arguments, wherever it is: every
 * command that takes --stage also takes --region, which only picks the stage's region.
 */
export function takeRegion(args: string[]): { args: string[]; region?: string } {
  const rest: string[] = [];
  let region: string | undefined;
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i] as string;
    if (arg === '--') {
      rest.push(...args.slice(i));
      break;
    }
    if (arg.startsWith('--region=')) region = arg.slice('--region='.length);
    else if (arg === '--region') {
      region = args[i + 1] ?? '';
      i += 1;
    } else rest.push(arg);
  }
  if (region === '' || region?.startsWith('-')) throw new Error('--region needs a region name');
  return region === undefined ? { args: rest } : { args: rest, region };
}
