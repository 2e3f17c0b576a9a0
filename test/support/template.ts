import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { packageService } from './package-service';

export type Template = {
  Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
};

/** Packages `stage` into `dir` (no AWS credentials needed) and reads the template. */
export async function packageTemplate(stage: string, dir: string): Promise<Template> {
  await packageService(stage, dir);
  return JSON.parse(
    await readFile(join(dir, 'cloudformation-template-update-stack.json'), 'utf8'),
  ) as Template;
}
export function resourcesOfType(template: Template, type: string) {
  return Object.entries(template.Resources).filter(([, r]) => r.Type === type);
}
