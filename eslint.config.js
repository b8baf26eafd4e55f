import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Imports point down the flow (see launcher/README.md): cli -> run -> stack, inspect -> plan -> common; domain/ and
// hooks/ below all of them. Each rule lists what a folder may NOT import.
const forbid = (files, patterns) => ({ files, rules: { 'no-restricted-imports': ['error', { patterns }] } });
const IO = ['node:fs*', 'node:child_process', 'execa', 'node:net', 'dbus-next', 'pino'];

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '**/*.js', '!eslint.config.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-imports': ['error', { patterns: [] }],
    },
  },
  // domain/ is the pure core: no I/O, no imports from the shell.
  forbid(['domain/**/*.ts'], ['../launcher/*', '../hooks/*', ...IO]),
  forbid(['hooks/**/*.ts'], ['../launcher/*']),
  forbid(['launcher/run/**/*.ts'], ['../cli/*']),
  forbid(['launcher/stack/**/*.ts'], ['../cli/*', '../run/*', '../inspect/*']),
  forbid(['launcher/inspect/**/*.ts'], ['../cli/*', '../run/*', '../stack/*']),
  forbid(['launcher/plan/**/*.ts'], ['../cli/*', '../run/*', '../stack/*', '../inspect/*']),
  forbid(['launcher/common/**/*.ts'], ['../cli/*', '../run/*', '../stack/*', '../inspect/*', '../plan/*']),
  forbid(['bench/**/*.ts'], ['../test/*']),
  forbid(['harness/**/*.ts'], ['../test/*', '../bench/*']),
);
