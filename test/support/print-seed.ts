import { randomUUID } from 'node:crypto';
import { copyFile, mkdir, readdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { RUN_CACHE_ENV } from './run-cache-env';

/**
 * The local stack reads serverless.yml through `serverless print` (about 5 s of CPU) and keeps
 * the answer in its data folder, under a name made of a digest of what the answer depends on
 * (printServiceConfig). Every end-to-end test starts its stack on a fresh data folder, so each
 * start would print again. Within one jest run, the files a stack printed are kept in the run's
 * folder (run-cache-env.ts), and copied into each new data folder before its stack
 * starts: a stack that asks for the same digest reads the copy, and one that asks for another
 * (another stage, region or settings file) prints as it would have. Outside jest: nothing.
 */
const PRINTS = 'serverless-print-';

function printsFolder(): string | undefined {
  const run = process.env[RUN_CACHE_ENV];
  return run === undefined || run === '' ? undefined : join(run, 'prints');
}

const printsIn = async (dir: string): Promise<string[]> =>
  (await readdir(dir).catch(() => [])).filter((f) => f.startsWith(PRINTS) && f.endsWith('.json'));

/** Copies the run's kept prints into `dataDir` (made if missing), before a stack starts there. */
export async function seedPrints(dataDir: string): Promise<void> {
  const kept = printsFolder();
  if (kept === undefined) return;
  const files = await printsIn(kept);
  if (files.length === 0) return;
  await mkdir(dataDir, { recursive: true });
  await Promise.all(files.map((f) => copyFile(join(kept, f), join(dataDir, f))));
}

/** Keeps the prints a started stack made in `dataDir` for the run's later stacks. */
export async function keepPrints(dataDir: string): Promise<void> {
  const kept = printsFolder();
  if (kept === undefined) return;
  await mkdir(kept, { recursive: true });
  for (const f of await printsIn(dataDir)) {
    // Whole or not at all: a stack seeded at this moment copies the old set or the new file.
    const partial = join(kept, `.${f}.${randomUUID()}.partial`);
    await copyFile(join(dataDir, f), partial);
    await rename(partial, join(kept, f));
  }
}
