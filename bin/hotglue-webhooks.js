#!/usr/bin/env node
'use strict';
// The CLI is TypeScript; tsx compiles it on the fly, so `npx hotglue-webhooks` needs no build step.
require('tsx/cjs/api').register();
require('../lib/config/quiet-warnings.ts');
const { main } = require('../lib/cli/main.ts');

// A reader that goes away (`| head`, a `jq` that quits) closes the pipe: end quietly, as `ls | head`
// does, instead of an unhandled EPIPE trace.
for (const stream of [process.stdout, process.stderr])
  stream.on('error', (error) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });

main(process.argv.slice(2), {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  env: process.env,
  cwd: process.cwd(),
}).then((code) => {
  process.exitCode = code;
});
