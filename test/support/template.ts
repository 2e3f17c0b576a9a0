import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { packageService, packagingEnv } from './package-service';

export type Template = {
  Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
};

/**
 * The prod stage as the template suites package it, once per jest run (packageService): a stage
 * file (its stages/prod.yml) with an alarm e-mail, the read API and warm tables, and a parameter
 * set at package time on top (the consumers' concurrency cap).
 */
export const PROD = {
  stage: 'prod',
  file: 'alarmEmail: ops@example.com\nreadApi: true\nwarmWriteUnitsPerSecond: 12000\n',
  args: ['--param', 'consumerMaxConcurrency=7'],
};

/** Packages PROD into `dir`. */
export const packageProd = (dir: string): Promise<void> =>
  packageService(PROD.stage, dir, packagingEnv(), PROD.args, PROD.file);

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
