'use strict';
// Jest's global setup: a folder for this run's packages (see packageService in
// package-service.ts), made before the workers start so that they all inherit its name.
// package-cache-teardown.cjs removes it after the last suite.
const { mkdtempSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

module.exports = () => {
  process.env.HGW_TEST_PACKAGE_CACHE = mkdtempSync(join(tmpdir(), 'hgw-packages-'));
};
