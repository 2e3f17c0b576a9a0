import type { Config } from 'jest';

// A young generation of 64 MB, not V8's 16 MB, in the Node processes of the run (the workers fork
// after this file is read, and pass it on to every stack, CLI and serverless run a test starts):
// they allocate fast and scavenge less. Unit, integration and contract suites, alternated runs on
// 2 cores: 146–173 s of CPU at 16 MB, 140–164 s at 64 MB (a noisy machine: some 5 % less).
const YOUNG = '--max-semi-space-size=64';
if (!(process.env.NODE_OPTIONS ?? '').includes('--max-semi-space-size'))
  process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} ${YOUNG}`.trim();

const config: Config = {
  testEnvironment: '<rootDir>/test/support/node-environment.cjs',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // esbuild, file by file (test/support/esbuild-jest.cjs); `npm run typecheck` checks the types.
  transform: {
    '^.+\\.ts$': '<rootDir>/test/support/esbuild-jest.cjs',
  },
  // End-to-end suites start child processes; give them room on a 2-core machine.
  setupFiles: ['<rootDir>/lib/config/quiet-warnings.ts'],
  // One folder per run for what suites build alike: packages, and the local stack's prints.
  globalSetup: '<rootDir>/test/support/run-cache.cjs',
  globalTeardown: '<rootDir>/test/support/run-cache-teardown.cjs',
  testTimeout: 60_000,
  // Three on 2 cores: the end-to-end suites wait on stacks, refreshes and retries, and a third
  // worker fills those waits (back-to-back full runs: 340 s with two, 309 s with three; the same
  // CPU, 12 s of it idle instead of 68).
  maxWorkers: 3,
};

export default config;
