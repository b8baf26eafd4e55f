// `--log-format pretty` is for people: colours on a terminal, plain text into a pipe or `podman logs` (issue 19).
// Both cases run the real bin: into a pipe, and under a real pseudo-terminal (harness/pty-run.py).
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { cliPath } from '../../harness/launcher-process.js';
import { repoRoot } from '../../harness/guest-disk.js';

const args = ['run', '--vmi', '/nonexistent/vmi.yaml', '--log-format', 'pretty', '--runtime-dir', '/nonexistent/rt'];

test('pretty into a pipe: no colour codes, one readable line per event', (t) => {
  const r = spawnSync(cliPath, args, { encoding: 'utf8', timeout: 30_000 });
  t.is(r.status, 3);
  t.regex(r.stdout, /ERROR: \[vm-launcher\] cannot read the VMI manifest \/nonexistent\/vmi\.yaml: ENOENT \(ManifestUnreadable\)/);
  t.false(r.stdout.includes('\x1b'), JSON.stringify(r.stdout));
});

test('pretty on a terminal: coloured', (t) => {
  const r = spawnSync('python3', [join(repoRoot, 'harness', 'pty-run.py'), cliPath, ...args], { encoding: 'utf8', timeout: 30_000 });
  t.is(r.status, 3, r.stderr);
  t.true(r.stdout.includes('\x1b['), JSON.stringify(r.stdout));
});
