import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { RUN_CACHE_ENV } from './run-cache-env';

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
    // serverless-esbuild stages each function's zip in a folder of the OS temp folder and never
    // removes it (about 4 MB a function, every package): here it is inside the copy, removed below.
    const temp = join(work, '.tmp');
    await mkdir(temp);
    return await promisify(execFile)(
      process.execPath,
      [join(ROOT, 'node_modules', 'serverless', 'bin', 'serverless.js'), ...args, '--stage', stage],
      {
        cwd: work,
        env: { ...env, SLS_TELEMETRY_DISABLED: '1', TMPDIR: temp },
        maxBuffer: 16 * 1024 * 1024,
      },
    );
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * Runs `serverless package --stage <stage>` into `outDir` (see runServerless). Within one jest
 * run (see run-cache-env.ts), a package is built once and
 * copied to every suite that asks for the same stage, options, settings file and environment:
 * the template suites ask for the same few packages, and each build takes seconds of CPU.
 */
export async function packageService(
  stage: string,
  outDir: string,
  env: Record<string, string | undefined> = packagingEnv(),
  /** More options for `serverless package`, e.g. `--param name=value`. */
  extraArgs: string[] = [],
  /** The stage's settings file (stages/<stage>.yml) in the copy, in place of the project's. */
  stageFile?: string,
): Promise<void> {
  const build = (into: string) =>
    runServerless(['package', '--package', resolve(into), ...extraArgs], stage, env, stageFile);
  const cache = process.env[RUN_CACHE_ENV];
  if (cache === undefined || cache === '') {
    await build(outDir);
    return;
  }
  const key = createHash('sha256')
    .update(JSON.stringify({ stage, extraArgs, stageFile, env: comparable(env) }))
    .digest('hex')
    .slice(0, 32);
  const entry = join(cache, key);
  let builder = false;
  try {
    await mkdir(`${entry}.lock`);
    builder = true;
  } catch {
    // another suite builds it
  }
  if (builder) {
    try {
      await build(outDir);
    } catch (error) {
      await writeFile(`${entry}.failed`, '');
      throw error;
    }
    // Whole or not at all, for the suites waiting on it.
    await cp(outDir, `${entry}.partial`, { recursive: true });
    await rename(`${entry}.partial`, entry);
    return;
  }
  const deadline = Date.now() + 300_000;
  for (;;) {
    if (existsSync(entry)) break;
    // The other build failed: build here, to get this call's own error.
    if (existsSync(`${entry}.failed`)) return build(outDir).then(() => undefined);
    if (Date.now() > deadline) throw new Error(`timed out waiting for the ${stage} package`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  await cp(entry, outDir, { recursive: true });
}

/** A value that must never reach a template: set as every secret variable while packaging. */
export const CANARY = 'canary-secret-9f41c2d7';

/**
 * The environment every template suite packages with (so that they share packages): none of the
 * developer's AWS settings or credentials (nothing may need AWS), and every secret variable set
 * to CANARY, which the template suite then looks for.
 */
export function packagingEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env))
    if (!name.startsWith('AWS_') && value !== undefined) env[name] = value;
  return Object.assign(env, {
    WEBHOOK_SECRET: CANARY,
    WEBHOOK_SECRET_JOBS: CANARY,
    HOTGLUE_API_KEY: CANARY,
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent',
    AWS_CONFIG_FILE: '/nonexistent',
  });
}

/** `env` as it matters to a package: the same in every jest worker of one run. */
function comparable(env: Record<string, string | undefined>): [string, string][] {
  return Object.entries(env)
    .filter((e): e is [string, string] => e[1] !== undefined && e[0] !== 'JEST_WORKER_ID')
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
