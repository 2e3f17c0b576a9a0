import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from './processes';

export type Template = {
  Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
};

/** Runs `serverless package` for `stage` into `dir` (no AWS credentials needed) and reads the template. */
export async function packageTemplate(stage: string, dir: string): Promise<Template> {
  await promisify(execFile)(
    process.execPath,
    [
      join(ROOT, 'node_modules', 'serverless', 'bin', 'serverless.js'),
      'package',
      '--stage',
      stage,
      '--package',
      dir,
    ],
    {
      cwd: ROOT,
      env: { ...process.env, SLS_TELEMETRY_DISABLED: '1' },
      maxBuffer: 16 * 1024 * 1024,
    },
  );
  return JSON.parse(
    await readFile(join(dir, 'cloudformation-template-update-stack.json'), 'utf8'),
  ) as Template;
}

export function resourcesOfType(template: Template, type: string) {
  return Object.entries(template.Resources).filter(([, r]) => r.Type === type);
}
