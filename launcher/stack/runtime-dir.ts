// The runtime dir belongs to one launcher for its lifetime and is emptied at exit. The
// launcher refuses a directory that holds anything but its own leftovers: it deletes what
// is inside at exit, and must never delete a user's files.
import { chown, lstat, mkdir, readdir, rm, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { problem } from '../../domain/problem.js';
import { LauncherError } from '../../domain/problem.js';
import type { RunAs } from '../common/run-as.js';
import { processAlive, readStatus } from './status-file.js';
import type { RuntimeLayout } from '../plan/runtime-layout.js';

/**
 * Unix socket paths hold at most 107 bytes, and libvirt binds QEMU's monitor at
 * `<root>/config/libvirt/qemu/lib/domain-<id>-<20 chars>/monitor.sock` (63 bytes past the root).
 * Past that, QEMU fails to start with an error that names neither the cause nor the fix.
 */
export const MAX_RUNTIME_DIR_LENGTH = 44;

export async function prepareRuntimeDir(l: RuntimeLayout, runAs: RunAs | undefined): Promise<void> {
  if (Buffer.byteLength(l.root) > MAX_RUNTIME_DIR_LENGTH) {
    throw new LauncherError(problem('RuntimeDirTooLong', `runtime dir ${l.root} is ${Buffer.byteLength(l.root)} bytes long; libvirt's sockets below it need it at most ${MAX_RUNTIME_DIR_LENGTH}`, {
      fix: 'Use a shorter --runtime-dir (the default /var/run/vm-launcher fits).',
    }));
  }
  await mkdir(l.root, { recursive: true, mode: 0o750 });
  const entries = await readdir(l.root);
  if (entries.length > 0) {
    const status = await readStatus(l.statusFile);
    if (!status) {
      throw new LauncherError(problem('RuntimeDirNotEmpty', `runtime dir ${l.root} is not empty and is not a vm-launcher runtime dir`, {
        fix: 'Point --runtime-dir at an empty or absent directory: vm-launcher empties it at exit.',
      }));
    }
    if (status.pid !== process.pid && processAlive(status.pid)) {
      throw new LauncherError(problem('RuntimeDirInUse', `runtime dir ${l.root} belongs to a running launcher (pid ${status.pid})`, {
        fix: 'Give each launcher its own --runtime-dir.',
      }));
    }
    await clearDir(l.root); // a previous launcher's leftovers (it was killed)
  }
  for (const d of [l.home, l.xdgRuntime, join(l.xdgConfig, 'libvirt'), l.logsDir]) await mkdir(d, { recursive: true, mode: 0o700 });
  await mkdir(l.cacheDir, { recursive: true, mode: 0o750 });
  if (runAs) {
    await chownTree(l.root, runAs);
    await chown(l.cacheDir, runAs.uid, runAs.gid);
  }
}

async function chownTree(path: string, runAs: RunAs): Promise<void> {
  await chown(path, runAs.uid, runAs.gid);
  const st = await lstat(path);
  if (!st.isDirectory()) return;
  for (const e of await readdir(path)) await chownTree(join(path, e), runAs);
}

async function clearDir(dir: string): Promise<void> {
  for (const e of await readdir(dir)) await rm(join(dir, e), { recursive: true, force: true });
}

/** Empties and removes the runtime dir; a mount point (an emptyDir, say) is left empty. */
export async function removeRuntimeDir(root: string): Promise<void> {
  await clearDir(root).catch(() => undefined);
  await rmdir(root).catch(() => undefined);
}
