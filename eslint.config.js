import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Imports point down the flow (see launcher/README.md): cli -> run -> stack, inspect -> plan -> common; domain/ and
// hooks/ below all of them. Each rule lists what a folder may NOT import.
const forbid = (files, patterns) => ({ files, rules: { 'no-restricted-imports': ['error', { patterns }] } });
const IO = ['node:fs*', 'node:child_process', 'execa', 'node:net', 'dbus-next', 'pino'];

// As root, the launcher must never create, open, chown or remove by path inside a directory another user can write
// (docs/threat-model.md). launcher/common/user-dir.ts (by descriptor), safe-files.ts (fresh names, O_PATH checks) and
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
  // domain/ is the pure core: no I/O, no imports from the shell.
  forbid(['domain/**/*.ts'], ['../launcher/*', '../hooks/*', ...IO]),
  forbid(['hooks/**/*.ts'], ['../launcher/*']),
  forbid(['launcher/run/**/*.ts'], ['../cli/*']),
  forbid(['launcher/stack/**/*.ts'], ['../cli/*', '../run/*', '../inspect/*']),
  forbid(['launcher/inspect/**/*.ts'], ['../cli/*', '../run/*', '../stack/*']),
  forbid(['launcher/plan/**/*.ts'], ['../cli/*', '../run/*', '../stack/*', '../inspect/*']),
  forbid(['launcher/common/**/*.ts'], ['../cli/*', '../run/*', '../stack/*', '../inspect/*', '../plan/*']),
  { files: ['launcher/**/*.ts', 'hooks/**/*.ts'], rules: FS_RULE },
  { files: ['launcher/common/user-dir.ts', 'launcher/common/safe-files.ts', 'launcher/common/remove-as.ts', 'launcher/common/verified-socket.ts'], rules: { 'no-restricted-syntax': 'off' } },
  forbid(['bench/**/*.ts'], ['../test/*']),
  forbid(['harness/**/*.ts'], ['../test/*', '../bench/*']),
);
