#!/usr/bin/env node
'use strict';
// Bundles the CLI (lib/cli/main.ts and what it imports, the AWS SDK included) into dist/cli.cjs,
// so that bin/hotglue-webhooks.js starts without compiling TypeScript. npm runs it after
// `npm ci` and `npm install` (the `prepare` script); `npm run build:cli` runs it by hand. It
// needs no network. dist/cli-inputs.json lists the project files the bundle was built from: the
// bin uses the bundle only while none of them is newer (see docs/development.md).
const { mkdirSync, renameSync, writeFileSync } = require('node:fs');
const { join, relative } = require('node:path');

const root = join(__dirname, '..');
const dist = join(root, 'dist');

let esbuild;
try {
  esbuild = require('esbuild');
} catch {
  // An install without devDependencies: the bin compiles the TypeScript with tsx instead.
  console.log('build-cli: esbuild is not installed; the CLI will run through tsx');
  process.exit(0);
}

mkdirSync(dist, { recursive: true });
const pid = `${process.pid}`;
const result = esbuild.buildSync({
  absWorkingDir: root,
  entryPoints: ['lib/cli/main.ts'],
  outfile: join(dist, `cli.${pid}.cjs`),
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  // The dashboard command bundles the page with esbuild at start: keep it a package.
  external: ['esbuild'],
  // The bin runs the bundle through vm.Script, to keep V8's code cache (dist/cli.cache), where
  // Node 20 has no `import()` without a flag: the SDK's two (node:http, node:async_hooks) become
  // `require`.
  supported: { 'dynamic-import': false },
  minifySyntax: true,
  minifyWhitespace: true,
  legalComments: 'none',
  metafile: true,
  logLevel: 'warning',
});
const inputs = Object.keys(result.metafile.inputs)
  .filter((input) => !input.includes('node_modules/'))
  .map((input) => relative(root, join(root, input)))
  .sort();
// Each file appears whole or not at all, even to a CLI call running while it is rebuilt.
writeFileSync(join(dist, `cli-inputs.${pid}.json`), `${JSON.stringify({ inputs }, null, 2)}\n`);
renameSync(join(dist, `cli-inputs.${pid}.json`), join(dist, 'cli-inputs.json'));
renameSync(join(dist, `cli.${pid}.cjs`), join(dist, 'cli.cjs'));
console.log(`build-cli: dist/cli.cjs from ${inputs.length} files`);
