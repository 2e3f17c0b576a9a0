'use strict';
// jest's node environment, but each test file's AsyncLocalStorage instances (jest-circus makes one
// per file) are disabled when the file is done. Node runs every live instance's hook on every
// promise a process creates; a worker would otherwise keep one more for each file it has run.
const asyncHooks = require('node:async_hooks');
const { TestEnvironment } = require('jest-environment-node');

const Original = asyncHooks.AsyncLocalStorage;
let created = [];
class Tracked extends Original {
  constructor(...args) {
    super(...args);
    created.push(this);
  }
}

class Environment extends TestEnvironment {
  async setup() {
    await super.setup();
    asyncHooks.AsyncLocalStorage = Tracked;
  }

  async teardown() {
    asyncHooks.AsyncLocalStorage = Original;
    for (const storage of created) storage.disable();
    created = [];
    await super.teardown();
  }
}

module.exports = Environment;
