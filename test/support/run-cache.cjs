'use strict';
// Jest's global setup: a folder for what the suites of one run share (see run-cache-env.ts), made
// before the workers start so that they all inherit its name. run-cache-teardown.cjs removes it
// after the last suite.
const { mkdtempSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

module.exports = () => {
  process.env.HGW_TEST_RUN_CACHE = mkdtempSync(join(tmpdir(), 'hgw-run-'));
};
