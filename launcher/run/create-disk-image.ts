// Creates a missing disk.img before the guest starts (never in check): as the VM user, under a temporary dotfile
// name, sized (sparse or fully allocated), flushed, then linked into place. A crash at any point leaves at most the
// temporary file (a dotfile the volume rules ignore, removed by the next attempt), never a partial disk.img, and an
// image that appeared meanwhile is never replaced.
import { constants } from 'node:fs';
import { link, lstat, open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { VolumeChange } from '../../domain/model/index.js';
import type { RunAs } from '../common/run-as.js';
import { sizeImage } from './image-tools.js';
import { chmodFd } from '../common/safe-files.js';

type Create = Extract<VolumeChange, { kind: 'create' }>;

/** The temporary name beside the image; a leftover of a killed launcher is removed, never reused. */
export const creatingName = (name: string): string => `.${name}.vm-launcher-creating`;

export async function createDiskImage(change: Create, runAs: RunAs | undefined): Promise<void> {
  const tmp = join(change.dir, creatingName(change.name));
  await rm(tmp, { force: true });
  try {
    await sizeImage(tmp, change.sizeBytes, change.preallocate, runAs);
    await seal(tmp, change.sizeBytes, runAs);
    await publish(tmp, change.path);
  } finally {
    await rm(tmp, { force: true }).catch(() => undefined);
  }
  await syncDir(change.dir);
}

/** Checks what the VM user made (opened without following links), sets mode 0660 and flushes it to the volume. */
async function seal(tmp: string, size: number, runAs: RunAs | undefined): Promise<void> {
  const fh = await open(tmp, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const st = await fh.stat();
    const owner = runAs?.uid ?? process.getuid?.();
    if (!st.isFile() || st.size !== size || st.uid !== owner) {
      throw new Error(`${tmp} is not the ${size}-byte file uid ${owner} just made (someone changed it)`);
    }
    await chmodFd(fh, 0o660); // FileHandle.chmod (fchmod) is off under the bin's permission model
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** link(2) never replaces an existing name; where the filesystem has no hard links, rename after checking. */
async function publish(tmp: string, path: string): Promise<void> {
  try {
    await link(tmp, path);
    return;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new Error(`${path} appeared while it was being created; it was left as it is`);
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'EMLINK') throw e;
  }
  if (await lstat(path).then(() => true, () => false)) throw new Error(`${path} appeared while it was being created; it was left as it is`);
  await rename(tmp, path);
}

/** The new name must survive a crash too: flush the directory. */
async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
