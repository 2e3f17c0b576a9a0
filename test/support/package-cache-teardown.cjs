'use strict';
// Jest's global teardown: removes the run's package folder (see package-cache.cjs).
const { rmSync } = require('node:fs');

module.exports = () => {
  const folder = process.env.HGW_TEST_PACKAGE_CACHE;
  if (folder) rmSync(folder, { recursive: true, force: true });
};
