import type { Config } from 'jest';

const config: Config = {
  testEnvironment: 'node',
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
  maxWorkers: 2,
};

export default config;
