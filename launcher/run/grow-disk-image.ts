// Extends disk.img to what its volume holds before the guest starts (--expand-disks yes, KubeVirt's ExpandDisks).
// Never shrinks: the image must still have the size preflight saw, and `truncate -s >N` only ever extends. A fully
// allocated image is extended with fallocate, so it stays fully allocated. Block volumes are never planned here.
import { constants } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { VolumeChange } from '../../domain/model/index.js';
import type { RunAs } from '../common/run-as.js';
import { sizeImage } from './image-tools.js';
import { UserDir, withUserDir } from '../common/user-dir.js';

type Grow = Extract<VolumeChange, { kind: 'grow' }>;

export async function growDiskImage(change: Grow, runAs: RunAs | undefined, signal?: AbortSignal): Promise<void> {
  // The volume dir is the VM user's: the image is looked at through the directory's descriptor, never a link.
  await withUserDir(UserDir.open(dirname(change.path)), async (dir) => {
    const fh = await dir.openFile(basename(change.path), constants.O_RDONLY);
    try {
      const st = await fh.stat();
      if (!st.isFile() || st.size !== change.fromBytes) throw new Error(`${change.path} is no longer the ${change.fromBytes}-byte file preflight saw; not grown`);
    } finally {
      await fh.close();
    }
  });
  await sizeImage(change.path, change.toBytes, change.preallocate, runAs, signal);
}
