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

// As root, the launcher must never create, open, chown or remove by path inside a directory another user can write
// (docs/threat-model.md). launcher/common/user-dir.ts (by descriptor), private-dir.ts (the launcher's own 0700 dir, by descriptor), safe-files.ts (fresh names, O_PATH checks) and
// remove-as.ts (as the owner), verified-socket.ts (O_PATH, checked, connected through the descriptor) are the ways to do it; any other file that calls these by path says, on the import,
// why the directory it acts in is not another user's.
const FS_BY_PATH = 'mkdir|mkdtemp|chown|lchown|chmod|lchmod|rm|rmdir|unlink|rename|link|symlink|writeFile|appendFile|copyFile|cp|truncate|open|createWriteStream|utimes|lutimes';
const FS_RULE = {
  'no-restricted-syntax': ['error',
    {
      selector: `ImportDeclaration[source.value=/^(node:)?fs(\\/promises)?$/] > ImportSpecifier[imported.name=/^(${FS_BY_PATH})(Sync)?$/]`,
      message: 'acting by path can follow a link another user planted: use launcher/common/user-dir.ts or safe-files.ts, or say on this import (eslint-disable-next-line with a reason) why the directory is not another user\'s',
    },
    {
      selector: 'ImportDeclaration[source.value=/^(node:)?fs(\\/promises)?$/] > :matches(ImportNamespaceSpecifier, ImportDefaultSpecifier)',
      message: 'import the fs functions by name, so the by-path rule can see them',
    },
  ],
};

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
  forbid(['domain/guest/**/*.ts'], ['../*', ...IO]),
  forbid(['domain/pod/**/*.ts'], ['../*/*', '!../model/index.js', ...IO]),
  forbid(['domain/convert/**/*.ts'], ['../*/*', '!../model/index.js', '!../manifest/index.js', '!../libvirt/index.js', ...IO]),
  forbid(['common/**/*.ts'], ['../launcher/*', '../hooks/*', '../domain/*']),
  forbid(['hooks/**/*.ts'], ['../launcher/*', ...INSIDE_DOMAIN]),
  forbid(['launcher/cli/**/*.ts'], INSIDE_DOMAIN),
  forbid(['launcher/run/**/*.ts'], ['../cli/*', ...INSIDE_DOMAIN]),
  forbid(['launcher/stack/**/*.ts'], ['../cli/*', '../run/*', '../inspect/*', ...INSIDE_DOMAIN]),
  forbid(['launcher/inspect/**/*.ts'], ['../cli/*', '../run/*', '../stack/*', ...INSIDE_DOMAIN]),
  forbid(['launcher/plan/**/*.ts'], ['../cli/*', '../run/*', '../stack/*', '../inspect/*', ...INSIDE_DOMAIN]),
  forbid(['launcher/common/**/*.ts'], ['../cli/*', '../run/*', '../stack/*', '../inspect/*', '../plan/*', ...INSIDE_DOMAIN]),
  { files: ['launcher/**/*.ts', 'hooks/**/*.ts'], rules: FS_RULE },
  { files: ['launcher/common/user-dir.ts', 'launcher/common/private-dir.ts', 'launcher/common/safe-files.ts', 'launcher/common/remove-as.ts', 'launcher/common/verified-socket.ts'], rules: { 'no-restricted-syntax': 'off' } },
  forbid(['bench/**/*.ts'], ['../test/*', ...INSIDE_DOMAIN]),
  forbid(['harness/**/*.ts'], ['../test/*', '../bench/*', ...INSIDE_DOMAIN]),
);
