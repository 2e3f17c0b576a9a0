/**
 * The AWS SDK warns on every start that releases after January 2027 will need Node 22. Our
 * Lambda runtime is Node 22; on the local Node 20 the warning is noise, so the local tools drop
 * that one warning and keep every other.
 */
export function quietSdkNodeVersionWarning(): void {
  const emit = process.emitWarning.bind(process) as (...args: unknown[]) => void;
  process.emitWarning = ((warning: unknown, ...rest: unknown[]) => {
    const type = typeof rest[0] === 'string' ? rest[0] : (rest[0] as { type?: string } | undefined)?.type;
    const name = warning instanceof Error ? warning.name : type;
    if (name === 'NodeVersionSupportWarning') return;
    emit(warning, ...rest);
  }) as typeof process.emitWarning;
}

quietSdkNodeVersionWarning();
