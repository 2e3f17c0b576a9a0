'use strict';
// Loads a packaged Lambda bundle in a bare Node process (no tsx, no project sources) and invokes
// its handler once with the event read from stdin, as the Lambda runtime would. Prints the result
// as one JSON line prefixed with RESULT:.
const { resolve } = require('node:path');

const [bundle, exportName = 'handler'] = process.argv.slice(2);
let input = '';
process.stdin.on('data', (chunk) => (input += chunk));
process.stdin.on('end', async () => {
  try {
    const handler = require(resolve(bundle))[exportName];
    const context = {
      awsRequestId: 'bundle-test',
      functionName: 'bundle-test',
      getRemainingTimeInMillis: () => 10_000,
    };
    const result = await handler(JSON.parse(input), context);
    process.stdout.write(`RESULT:${JSON.stringify(result ?? null)}\n`);
  } catch (error) {
    process.stdout.write(`ERROR:${error && error.stack ? error.stack : String(error)}\n`);
    process.exitCode = 1;
  }
});
