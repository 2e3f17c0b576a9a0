#!/usr/bin/env node
'use strict';
const { readFileSync, renameSync, statSync, writeFileSync } = require('node:fs');
const { Buffer } = require('node:buffer');
const { createHash } = require('node:crypto');
const Module = require('node:module');
const { dirname, join } = require('node:path');
const vm = require('node:vm');

// The CLI is TypeScript. `npm ci` (its `prepare` script, scripts/build-cli.cjs) bundles it into
// dist/cli.cjs, which starts in a fraction of tsx's time; the bundle is used only while none of
// the files it was built from has changed since, so a developer editing lib/ always runs the
// current code, compiled on the fly by tsx. HOTGLUE_WEBHOOKS_CLI=tsx always takes tsx;
// HOTGLUE_WEBHOOKS_CLI_DEBUG=1 says on stderr which one runs and why.
const root = join(__dirname, '..');
const bundle = join(root, 'dist', 'cli.cjs');
const codeCache = join(root, 'dist', 'cli.cache');

/** Why the bundle cannot be used, or undefined when it can. */
function bundleRefused() {
  if (process.env.HOTGLUE_WEBHOOKS_CLI === 'tsx') return 'HOTGLUE_WEBHOOKS_CLI=tsx';
  let built;
  let inputs;
  try {
    built = statSync(bundle).mtimeMs;
    inputs = JSON.parse(readFileSync(join(root, 'dist', 'cli-inputs.json'), 'utf8')).inputs;
  } catch {
    return 'no bundle: npm run build:cli builds it';
  }
  for (const input of inputs) {
    let changed;
    try {
      changed = statSync(join(root, input)).mtimeMs;
    } catch {
      return `${input} is gone since the bundle was built`;
    }
    if (changed > built) return `${input} changed since the bundle was built`;
  }
  return undefined;
}

/**
 * Loads the bundle with V8's code cache of it (dist/cli.cache, written by the first call after a
 * build, or after Node changed), which saves compiling it at every call. Returns its main, and
 * what to call once main is done: it writes the cache when there was none that V8 accepted.
 * The cache starts with the SHA-1 of the bundle it was made from (V8 itself checks only the
 * source's length), so a rebuilt bundle never runs with another's cache.
 */
function loadBundle() {
  const source = readFileSync(bundle, 'utf8');
  const digest = createHash('sha1').update(source).digest();
  let cachedData;
  try {
    const cache = readFileSync(codeCache);
    if (cache.subarray(0, digest.length).equals(digest)) cachedData = cache.subarray(digest.length);
  } catch {
    // no cache yet: this call writes it
  }
  const script = new vm.Script(Module.wrap(source), { filename: bundle, cachedData });
  const module = { exports: {} };
  script
    .runInThisContext()
    .call(module.exports, module.exports, require, module, bundle, dirname(bundle));
  const stale = cachedData === undefined || script.cachedDataRejected === true;
  const saveCache = () => {
    if (!stale) return;
    try {
      // After the call, so that the functions it compiled are in the cache; whole or not at all.
      const partial = `${codeCache}.${process.pid}`;
      writeFileSync(partial, Buffer.concat([digest, script.createCachedData()]));
      renameSync(partial, codeCache);
    } catch {
      // a folder we may not write: the next call compiles again
    }
  };
  return { main: module.exports.main, saveCache };
}

const refused = bundleRefused();
if (process.env.HOTGLUE_WEBHOOKS_CLI_DEBUG === '1')
  process.stderr.write(
    `hotglue-webhooks: ${refused === undefined ? 'dist/cli.cjs' : `tsx (${refused})`}\n`,
  );
/** The current TypeScript, compiled on the fly by tsx. */
function loadSources() {
  require('tsx/cjs/api').register();
  require('../lib/config/quiet-warnings.ts');
  const { main } = require('../lib/cli/main.ts');
  return { main, saveCache: () => {} };
}

if (refused === undefined)
  // The AWS SDK warns on every start that it will need Node 22 (see lib/config/quiet-warnings.ts).
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const { main, saveCache } = refused === undefined ? loadBundle() : loadSources();

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
  saveCache();
});
