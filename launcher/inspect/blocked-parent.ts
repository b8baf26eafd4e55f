// Why QEMU's user cannot reach an image: often not the image's mode but a directory above it (a 0700 parent), which
// chown on the image would not fix. The first directory from / down that the user cannot search is the cause.
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { dirname } from 'node:path';
import { execa } from 'execa';
import type { RunAs } from '../common/run-as.js';

async function canSearch(dir: string, runAs: RunAs | undefined): Promise<boolean> {
  if (!runAs) return access(dir, constants.X_OK).then(() => true, () => false);
  // The kernel decides, as for QEMU: uid, gid, no supplementary groups.
  const r = await execa('/usr/bin/test', ['-x', dir], { uid: runAs.uid, gid: runAs.gid, reject: false, timeout: 5000, env: {}, extendEnv: false });
  return r.exitCode === 0;
}

/** The top-most ancestor directory of `path` the user cannot search (enter), or undefined when it can reach them all. */
export async function unsearchableParent(path: string, runAs: RunAs | undefined): Promise<string | undefined> {
  const dirs: string[] = [];
  for (let d = dirname(path); ; d = dirname(d)) {
    dirs.unshift(d);
    if (d === dirname(d)) break;
  }
  for (const d of dirs) if (!(await canSearch(d, runAs))) return d;
  return undefined;
}
