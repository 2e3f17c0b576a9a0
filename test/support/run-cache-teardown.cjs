'use strict';
// Jest's global teardown: removes the run's shared folder (see run-cache.cjs).
const { rmSync } = require('node:fs');

module.exports = () => {
  const folder = process.env.HGW_TEST_RUN_CACHE;
  if (folder) rmSync(folder, { recursive: true, force: true });
};
