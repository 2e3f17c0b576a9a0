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
  // One folder per run where the template suites share the packages they build alike.
  globalSetup: '<rootDir>/test/support/package-cache.cjs',
  globalTeardown: '<rootDir>/test/support/package-cache-teardown.cjs',
  testTimeout: 60_000,
  maxWorkers: 2,
};

export default config;
