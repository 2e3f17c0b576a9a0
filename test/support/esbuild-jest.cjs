'use strict';
// Jest's transform for TypeScript: esbuild strips the types of one file at a time, as
// `isolatedModules` (tsconfig.json) promises is safe. Type checking is `tsc`'s job (`npm run
// typecheck`, first in `npm test`); ts-jest built a type-aware program in every worker for each
// run from a fresh clone, and took about twice the time for the same suites.
const { createHash } = require('node:crypto');
const { transformSync, version } = require('esbuild');

/** @type {import('esbuild').TransformOptions} */
const OPTIONS = {
  loader: 'ts',
  format: 'cjs',
  target: 'node20',
  sourcemap: 'inline',
  tsconfigRaw: { compilerOptions: { target: 'ES2022', useDefineForClassFields: true } },
};

module.exports = {
  getCacheKey(source, filename) {
    return createHash('sha256')
      .update(`${version}\0${JSON.stringify(OPTIONS)}\0${filename}\0`)
      .update(source)
      .digest('hex');
  },
  process(source, filename) {
    return { code: transformSync(source, { ...OPTIONS, sourcefile: filename }).code };
  },
};
