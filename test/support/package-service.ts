import { execFile } from 'node:child_process';
import { cp, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const ROOT = resolve(__dirname, '..', '..');

/** What `serverless package` reads from the project; everything else stays behind. */
const SOURCES = ['serverless.yml', 'package.json', 'tsconfig.json', 'functions', 'lib', 'stages'];

/**
 * Runs `serverless <args…> --stage <stage>` from a private copy of the project (with `stageFile`
 * as its stages/<stage>.yml when given), and gives what it printed. The framework clears
 * `.serverless` and serverless-esbuild works in `.esbuild`, both inside the service folder: two
 * runs from one folder (two jest suites, a suite and a benchmark) would delete each other's
 * files. A copy per run shares neither. No AWS credentials are needed.
 */
export async function runServerless(
  args: string[],
  stage: string,
  env: Record<string, string | undefined> = process.env,
  stageFile?: string,
): Promise<{ stdout: string; stderr: string }> {
  const work = await mkdtemp(join(tmpdir(), 'hgw-service-'));
  try {
    for (const source of SOURCES) {
      await cp(join(ROOT, source), join(work, source), { recursive: true });
    }
    await symlink(join(ROOT, 'node_modules'), join(work, 'node_modules'), 'dir');
    if (stageFile !== undefined) await writeFile(join(work, 'stages', `${stage}.yml`), stageFile);
    return await promisify(execFile)(
      process.execPath,
      [join(ROOT, 'node_modules', 'serverless', 'bin', 'serverless.js'), ...args, '--stage', stage],
      { cwd: work, env: { ...env, SLS_TELEMETRY_DISABLED: '1' }, maxBuffer: 16 * 1024 * 1024 },
    );
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Runs `serverless package --stage <stage>` into `outDir` (see runServerless). */
export async function packageService(
  stage: string,
  outDir: string,
  env: Record<string, string | undefined> = process.env,
  /** More options for `serverless package`, e.g. `--param name=value`. */
  extraArgs: string[] = [],
  /** The stage's settings file (stages/<stage>.yml) in the copy, in place of the project's. */
  stageFile?: string,
): Promise<void> {
  await runServerless(
    ['package', '--package', resolve(outDir), ...extraArgs],
    stage,
    env,
    stageFile,
  );
}
