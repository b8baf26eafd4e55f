import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Imports point down the flow (see launcher/README.md): cli -> run -> stack, inspect -> plan -> common; hooks/ below
// them, common/ (process utilities) below hooks/. domain/ (see domain/README.md) under all of them, in stages:
// convert -> manifest, libvirt -> model -> the catalogue (reasons, problem, system at domain/'s root); from outside a
// stage only its index.ts is imported. Each rule lists what a folder may NOT import.
const forbid = (files, patterns) => ({ files, rules: { 'no-restricted-imports': ['error', { patterns }] } });
const IO = ['node:fs*', 'node:child_process', 'execa', 'node:net', 'dbus-next', 'pino'];
// Outside domain/, a stage is entered through its index.ts only (tests of a stage's internals excepted).
const INSIDE_DOMAIN = ['**/domain/*/*', '!**/domain/*/index.js'];

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
  // domain/ is the pure core: no I/O, no imports from the shell; a stage imports only the stages below it.
  forbid(['domain/*.ts'], ['./*/*', ...IO]),
  forbid(['domain/model/**/*.ts'], ['../*/*', ...IO]),
  forbid(['domain/manifest/**/*.ts'], ['../*/*', '!../model/index.js', ...IO]),
  forbid(['domain/libvirt/**/*.ts'], ['../*/*', '!../model/index.js', ...IO]),
  forbid(['domain/convert/**/*.ts'], ['../*/*', '!../model/index.js', '!../manifest/index.js', '!../libvirt/index.js', ...IO]),
  forbid(['common/**/*.ts'], ['../launcher/*', '../hooks/*', '../domain/*']),
  forbid(['hooks/**/*.ts'], ['../launcher/*', ...INSIDE_DOMAIN]),
  forbid(['launcher/cli/**/*.ts'], INSIDE_DOMAIN),
  forbid(['launcher/run/**/*.ts'], ['../cli/*', ...INSIDE_DOMAIN]),
  forbid(['launcher/stack/**/*.ts'], ['../cli/*', '../run/*', '../inspect/*', ...INSIDE_DOMAIN]),
  forbid(['launcher/inspect/**/*.ts'], ['../cli/*', '../run/*', '../stack/*', ...INSIDE_DOMAIN]),
  forbid(['launcher/plan/**/*.ts'], ['../cli/*', '../run/*', '../stack/*', '../inspect/*', ...INSIDE_DOMAIN]),
  forbid(['launcher/common/**/*.ts'], ['../cli/*', '../run/*', '../stack/*', '../inspect/*', '../plan/*', ...INSIDE_DOMAIN]),
  forbid(['bench/**/*.ts'], ['../test/*', ...INSIDE_DOMAIN]),
  forbid(['harness/**/*.ts'], ['../test/*', '../bench/*', ...INSIDE_DOMAIN]),
);
