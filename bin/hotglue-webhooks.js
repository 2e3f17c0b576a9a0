#!/usr/bin/env node
'use strict';
// The CLI is TypeScript; tsx compiles it on the fly, so `npx hotglue-webhooks` needs no build step.
require('tsx/cjs/api').register();
require('../lib/config/quiet-warnings.ts');
const { main } = require('../lib/cli/main.ts');

main(process.argv.slice(2), {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  env: process.env,
  cwd: process.cwd(),
}).then((code) => {
  process.exitCode = code;
});
