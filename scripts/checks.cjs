#!/usr/bin/env node
'use strict';
// `npm test`: the type checks and the linters (`npm run typecheck` and `npm run lint` run the same
// commands one after another), each one's output printed whole when it ends, and the exit code
// non-zero when any failed. Alone, two run at a time (each is one process on one core).
//
// With `--alongside <command…>` (`npm test` passes jest), that command runs at the same time, and
// the checks at a lower priority (nice 10): they take the CPU that jest's suites leave while they
// wait on stacks, browsers and child processes, and the cores its last suites leave, instead of
// running first on two cores of their own (about 40 s of `npm test`). The exit code is the
// command's, or 1 when a check failed; the checks' verdicts are printed again after the command's
// output.
const { spawn } = require('node:child_process');
const { availableParallelism, setPriority } = require('node:os');
const { join } = require('node:path');

const root = join(__dirname, '..');
const bin = (name) => join(root, 'node_modules', '.bin', name);
// Longest first (CPU, alone: 25 s, 24 s, 17 s, then 3–4 s each), so that what runs last is short.
const CHECKS = [
  [bin('tsc'), '-p', '.'],
  [bin('prettier'), '--check', '.'],
  [bin('eslint'), '.'],
  [bin('knip')],
  [bin('knip'), '--production'],
  [bin('tsc'), '-p', 'lib/dashboard/web'],
];

// A young generation of 64 MB, not V8's 16 MB: tsc, eslint and prettier allocate fast (tsc -p .,
// alternated runs: 22.7–23.1 s of CPU at 16 MB, 21.6–22.4 s at 64 MB).
const env = {
  ...process.env,
  NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --max-semi-space-size=64`.trim(),
};

const verdicts = [];

function run([command, ...args], niceness) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    if (niceness !== undefined && child.pid !== undefined) {
      try {
        setPriority(child.pid, niceness);
      } catch {
        // Not allowed here: the check runs at the normal priority.
      }
    }
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', (error) => resolve({ code: 1, output: `${error.message}\n` }));
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 1 : 0), output }));
  }).then(({ code, output }) => {
    const name = [command.split('/').pop(), ...args].join(' ');
    verdicts.push(`${code === 0 ? 'ok' : 'FAILED'}: ${name}`);
    process.stdout.write(`${code === 0 ? 'ok' : 'FAILED'}: ${name}\n${code === 0 ? '' : output}`);
    return code === 0;
  });
}

async function runChecks(slots, niceness) {
  const queue = [...CHECKS];
  let failed = 0;
  const slot = async () => {
    for (let check = queue.shift(); check !== undefined; check = queue.shift())
      if (!(await run(check, niceness))) failed += 1;
  };
  await Promise.all(Array.from({ length: slots }, slot));
  return failed;
}

/** Runs `command` (a bin of node_modules, or a path) with the terminal; resolves with its code. */
function runAlongside([command, ...args]) {
  return new Promise((resolve) => {
    const bin = command.includes('/') ? command : join(root, 'node_modules', '.bin', command);
    const child = spawn(bin, args, { cwd: root, stdio: 'inherit' });
    child.on('error', (error) => {
      process.stderr.write(`${command}: ${error.message}\n`);
      resolve(1);
    });
    child.on('close', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

async function main() {
  const at = process.argv.indexOf('--alongside');
  if (at === -1) {
    const failed = await runChecks(Math.min(2, availableParallelism()));
    process.exitCode = failed === 0 ? 0 : 1;
    return;
  }
  const [code, failed] = await Promise.all([
    runAlongside(process.argv.slice(at + 1)),
    runChecks(Math.min(2, availableParallelism()), 10),
  ]);
  process.stdout.write(`\nchecks:\n${verdicts.map((v) => `  ${v}\n`).join('')}`);
  process.exitCode = code !== 0 ? code : failed === 0 ? 0 : 1;
}

void main();
