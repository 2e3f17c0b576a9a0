/**
 * The environment variable naming the folder that the suites of one jest run share (made by its
 * global setup, test/support/run-cache.cjs, and removed by its teardown): the packages the
 * template suites build alike (package-service.ts), and what the local stacks print alike
 * (print-seed.ts). Unset outside jest, where nothing is shared.
 */
export const RUN_CACHE_ENV = 'HGW_TEST_RUN_CACHE';
