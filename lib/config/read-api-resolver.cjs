'use strict';
// serverless.yml's `events: ${file(./lib/config/read-api-resolver.cjs)}` of the read function: the
// GET /v1 routes behind IAM authorisation with `readApi: true` in the stage's settings, none
// without (the function then has no trigger at all). The routes are the read API's own
// (lib/read-api/routes.ts).
const tsx = require('tsx/cjs/api');

const { deployedReadEvents } = tsx.require('../read-api/deployed-routes.ts', __filename);

module.exports = async ({ resolveVariable }) =>
  (await resolveVariable('self:custom.settings.readApi')) === true ? deployedReadEvents() : [];
