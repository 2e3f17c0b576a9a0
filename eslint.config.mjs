import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

export default tseslint.config(
  { ignores: ['node_modules', '.serverless', '.esbuild', '.data', 'coverage', 'dist'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      'no-console': 'off',
    },
  },
  {
    // What ships reads in short functions and files (docs/development.md, "Code size").
    files: ['lib/**/*.ts', 'functions/**/*.ts'],
    rules: {
      'max-lines-per-function': ['error', { max: 80 }],
      'max-lines': ['error', { max: 400 }],
    },
  },
  {
    // What ships never reaches into tests or dev scripts.
    files: ['lib/**/*.ts', 'functions/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/test/**', '**/scripts/**'], message: 'lib/ ships: no test or dev code.' },
          ],
        },
      ],
    },
  },
  {
    // The cores and their ports are plain TypeScript: no AWS SDK, no adapters, no process wiring.
    files: [
      'lib/webhook/**',
      'lib/records/**',
      'lib/ports/**',
      'lib/ingest/**',
      'lib/consumer/**',
      'lib/reconcile/**',
      'lib/read-api/**',
    ],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@aws-sdk/*', '@aws-lambda-powertools/*'],
              message: 'Cores never import the AWS SDK: take a port (lib/ports) instead.',
            },
            {
              group: ['**/aws/**', '**/lambda/**', '**/config/**', '**/cli/**', '**/local/**'],
              message:
                'Dependencies point inwards: adapters and wiring use cores, not the reverse.',
            },
            { group: ['**/test/**', '**/scripts/**'], message: 'lib/ ships: no test or dev code.' },
          ],
        },
      ],
    },
  },
  {
    files: ['bin/**/*.js', 'test/**/*.cjs', 'lib/**/*.cjs', 'scripts/**/*.cjs'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: {
        require: 'readonly',
        module: 'readonly',
        __dirname: 'readonly',
        __filename: 'readonly',
      },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
