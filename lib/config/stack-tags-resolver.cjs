'use strict';
// serverless.yml's `stackTags: ${file(./lib/config/stack-tags-resolver.cjs)}`: the Serverless Framework
// calls this function while it resolves the configuration. The rules are in stack-tags.ts.
const tsx = require('tsx/cjs/api');

const { stackTags } = tsx.require('./stack-tags.ts', __filename);

module.exports = async ({ resolveVariable }) =>
  stackTags(
    await resolveVariable('self:service'),
    await resolveVariable('sls:stage'),
    await resolveVariable('param:tags'),
  );
