// Creates a missing disk.img before the guest starts (never in check): as the VM user, under a temporary dotfile
// name, sized (sparse or fully allocated), flushed, then linked into place. A crash at any point leaves at most the
// temporary file (a dotfile the volume rules ignore, removed by the next attempt), never a partial disk.img, and an
// image that appeared meanwhile is never replaced.
import { constants } from 'node:fs';
import type { VolumeChange } from '../../domain/model/index.js';
import { vmUid, type RunAs } from '../common/run-as.js';
import { sizeImage } from './image-tools.js';
import { chmodFd } from '../common/safe-files.js';
import { UserDir, withUserDir } from '../common/user-dir.js';

type Create = Extract<VolumeChange, { kind: 'create' }>;

/** The temporary name beside the image; a leftover of a killed launcher is removed, never reused. */
export const creatingName = (name: string): string => `.${name}.vm-launcher-creating`;

/**
 * The volume dir is the VM user's: root acts in it only through its descriptor (common/user-dir.ts), so a link the
 * VM user plants for the temporary name or the image is removed or refused, never followed.
 */
export async function createDiskImage(change: Create, runAs: RunAs | undefined, signal?: AbortSignal): Promise<void> {
  await withUserDir(UserDir.open(change.dir), async (dir) => {
    const tmp = creatingName(change.name);
    await dir.remove(tmp);
    try {
      // As the VM user, by path: that user reaches only what it could write anyway.
      await sizeImage(dir.shown(tmp), change.sizeBytes, change.preallocate, runAs, signal);
      await seal(dir, tmp, change.sizeBytes, runAs);
      await publish(dir, tmp, change.name);
    } finally {
      await dir.remove(tmp).catch(() => undefined);
    }
    // The new name must survive a crash too: flush the directory.
    await dir.sync();
  });
}

/** Checks what the VM user made (opened without following links), sets mode 0660 and flushes it to the volume. */
async function seal(dir: UserDir, tmp: string, size: number, runAs: RunAs | undefined): Promise<void> {
  const fh = await dir.openFile(tmp, constants.O_RDONLY);
  try {
    const st = await fh.stat();
    const owner = vmUid(runAs);
    if (!st.isFile() || st.size !== size || st.uid !== owner) {
      throw new Error(`${dir.shown(tmp)} is not the ${size}-byte file uid ${owner} just made (someone changed it)`);
    }
    await chmodFd(fh, 0o660); // FileHandle.chmod (fchmod) is off under the bin's permission model
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** link(2) never replaces an existing name; where the filesystem has no hard links, rename after checking. */
async function publish(dir: UserDir, tmp: string, name: string): Promise<void> {
  const appeared = () => new Error(`${dir.shown(name)} appeared while it was being created; it was left as it is`);
  try {
    await dir.link(tmp, name);
    return;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw appeared();
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'EMLINK') throw e;
  }
  if (await dir.has(name)) throw appeared();
  await dir.rename(tmp, name);
}
