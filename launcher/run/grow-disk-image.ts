// Extends disk.img to what its volume holds before the guest starts (--expand-disks yes, KubeVirt's ExpandDisks).
// Never shrinks: the image must still have the size preflight saw, and `truncate -s >N` only ever extends. A fully
// allocated image is extended with fallocate, so it stays fully allocated. Block volumes are never planned here.
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import type { VolumeChange } from '../../domain/model/index.js';
import type { RunAs } from '../common/run-as.js';
import { sizeImage } from './image-tools.js';

type Grow = Extract<VolumeChange, { kind: 'grow' }>;

export async function growDiskImage(change: Grow, runAs: RunAs | undefined): Promise<void> {
  const fh = await open(change.path, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const st = await fh.stat();
    if (!st.isFile() || st.size !== change.fromBytes) throw new Error(`${change.path} is no longer the ${change.fromBytes}-byte file preflight saw; not grown`);
  } finally {
    await fh.close();
  }
  await sizeImage(change.path, change.toBytes, change.preallocate, runAs);
}
