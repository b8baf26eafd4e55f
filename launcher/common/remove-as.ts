// Removing a tree another user can write: a root `rm -r` there can be raced into following a directory that was
// swapped for a link. The tree is removed by the user who owns it instead (the VM user), who can only ever delete
// what it could delete anyway. A launcher that is not root removes its own files itself.
import { rm } from 'node:fs/promises';
import { execa } from 'execa';
import type { RunAs } from './run-as.js';

/** Removes each path (files or whole trees) as `runAs` when given; never follows a link out of a tree. */
export async function removeAs(paths: readonly string[], runAs: RunAs | undefined): Promise<void> {
  if (paths.length === 0) return;
  if (!runAs) {
    for (const p of paths) await rm(p, { recursive: true, force: true });
    return;
  }
  const r = await execa('/bin/rm', ['-rf', '--one-file-system', '--', ...paths], {
    uid: runAs.uid, gid: runAs.gid, reject: false, timeout: 60_000, env: {}, extendEnv: false, stdin: 'ignore', cwd: '/',
  });
  if (r.exitCode !== 0) throw new Error(`rm as uid ${runAs.uid}: ${String(r.stderr).trim() || r.shortMessage}`);
}
