// The rule "root never acts by path in another user's directory" is enforced by the lint (eslint.config.js): a file
// of launcher/ or hooks/ that imports a by-path fs call without saying why is an error. This proves the rule is on.
import test from 'ava';
import { ESLint } from 'eslint';
import { repoRoot } from '../../harness/guest-disk.js';

const lint = async (filePath: string, code: string): Promise<string[]> => {
  const [result] = await new ESLint({ cwd: repoRoot }).lintText(code, { filePath });
  return result!.messages.filter((m) => m.ruleId === 'no-restricted-syntax').map((m) => m.message);
};

test('a by-path mkdir, chown, rm or open imported in launcher/ or hooks/ is a lint error', async (t) => {
  for (const [file, code] of [
    ['launcher/run/example.ts', "import { chown, mkdir, rm } from 'node:fs/promises';\nexport const f = [chown, mkdir, rm];\n"],
    ['launcher/stack/example.ts', "import { openSync } from 'node:fs';\nexport const f = openSync;\n"],
    ['hooks/example.ts', "import * as fs from 'node:fs/promises';\nexport const f = fs;\n"],
  ] as const) {
    const messages = await lint(file, code);
    t.true(messages.length > 0, `${file}: no error for\n${code}`);
  }
  t.regex((await lint('launcher/run/example.ts', "import { rm } from 'node:fs/promises';\nexport const f = rm;\n"))[0]!, /user-dir\.ts/);
});

test('reads, the safe modules, and an import that says why are allowed', async (t) => {
  t.deepEqual(await lint('launcher/run/example.ts', "import { readFile, stat } from 'node:fs/promises';\nexport const f = [readFile, stat];\n"), []);
  t.deepEqual(await lint('launcher/common/user-dir.ts', "import { mkdir } from 'node:fs/promises';\nexport const f = mkdir;\n"), []);
  t.deepEqual(await lint('launcher/run/example.ts', "// eslint-disable-next-line no-restricted-syntax -- the launcher's own mkdtemp dir\nimport { mkdtemp } from 'node:fs/promises';\nexport const f = mkdtemp;\n"), []);
});
