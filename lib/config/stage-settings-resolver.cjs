'use strict';
// serverless.yml's `custom.settings: ${file(./lib/config/stage-settings-resolver.cjs)}`: the
// Serverless Framework calls this function while it resolves the configuration, before it builds
// anything. It reads stages/<stage>.yml (through the framework's own file source, so the file may
// use variables such as ${env:…}), applies --param on top, and checks the result
// (lib/config/stage-settings.ts). A refusal is one line on stderr and exit code 1.
const { existsSync, readFileSync } = require('node:fs');
const { join } = require('node:path');
const tsx = require('tsx/cjs/api');

const { stageSettings, StageSettingsError } = tsx.require('./stage-settings.ts', __filename);

/** Commands that build or deploy: the ones that print the region and the warnings. */
const ANNOUNCED = new Set(['deploy', 'package']);

module.exports = async ({ options, resolveVariable }) => {
  const stage = String(options.stage ?? 'dev');
  const path = `stages/${stage}.yml`;
  let result;
  try {
    // Checked before the file is read: a stage name with a '/' or '..' must never name a path.
    const safe = /^[A-Za-z0-9-]+$/.test(stage);
    const full = join(__dirname, '..', '..', path);
    // A file of comments only (a copy of example.yml with every line commented out) holds no
    // settings: the framework's file source would refuse it.
    const holdsSettings =
      safe && existsSync(full) && /^\s*[^\s#]/m.test(readFileSync(full, 'utf8'));
    const values = holdsSettings ? await resolveVariable(`file(./${path})`) : undefined;
    result = stageSettings({
      stage,
      file: { path, values: values ?? undefined },
      params: options.param ?? [],
      regionOption: options.region ?? undefined,
      env: process.env,
    });
  } catch (error) {
    if (!(error instanceof StageSettingsError)) throw error;
    process.stderr.write(`hotglue-webhooks: ${error.message}\n`);
    process.exit(1);
  }
  const command = process.argv[2];
  if (ANNOUNCED.has(command)) {
    process.stderr.write(
      `hotglue-webhooks: stage ${stage}, region ${result.region} (from ${result.regionSource})\n`,
    );
    for (const warning of result.warnings)
      process.stderr.write(`hotglue-webhooks: warning: ${warning}\n`);
  }
  return {
    ...result.settings,
    region: result.region,
    stackTags: result.stackTags,
    template: result.template,
  };
};
