'use strict';
// Loads a packaged Lambda bundle in a bare Node process (no tsx, no project sources) and invokes
// its handler once with the event read from stdin, as the Lambda runtime would. Prints the result
// as one JSON line prefixed with RESULT: (or the error after ERROR:).
//
// With a third argument, a timeout in ms, the context's remaining time counts down from it on
// the clock, as Lambda's does; an ELAPSED:<ms> line then says how long the handler took, and the
// process exits at once, as Lambda freezes it (a call left hanging does not keep it alive).
const { resolve } = require('node:path');

const [bundle, exportName = 'handler', timeout] = process.argv.slice(2);
const timeoutMs = timeout === undefined ? undefined : Number(timeout);
let input = '';
process.stdin.on('data', (chunk) => (input += chunk));
process.stdin.on('end', async () => {
  try {
    const handler = require(resolve(bundle))[exportName];
    const started = Date.now();
    const end = timeoutMs === undefined ? undefined : started + timeoutMs;
    const context = {
      awsRequestId: 'bundle-test',
      functionName: 'bundle-test',
      getRemainingTimeInMillis: () => (end === undefined ? 10_000 : Math.max(0, end - Date.now())),
    };
    try {
      const result = await handler(JSON.parse(input), context);
      process.stdout.write(`RESULT:${JSON.stringify(result ?? null)}\n`);
    } catch (error) {
      process.stdout.write(`ERROR:${error && error.stack ? error.stack : String(error)}\n`);
      process.exitCode = 1;
    }
    if (end !== undefined)
      process.stdout.write(`ELAPSED:${Date.now() - started}\n`, () => process.exit());
  } catch (error) {
    process.stdout.write(`ERROR:${error && error.stack ? error.stack : String(error)}\n`);
    process.exitCode = 1;
  }
});
