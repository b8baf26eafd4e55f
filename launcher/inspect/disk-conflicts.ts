// Two disks backed by one file (a hostDisk path and a PVC's disk.img that are the same inode, a link, a bind
// mount): QEMU's image locking refuses the second at start unless every user only reads. Seen from the inodes
// preflight inspected, before start.
import { problem, type Problem } from '../../domain/problem.js';
import type { VolumeInspection } from './inspect-volume.js';

export function sharedImages(volumes: readonly VolumeInspection[]): Problem[] {
  const seen = new Map<string, VolumeInspection>();
  const writes = (v: VolumeInspection) => !v.disk.readonly && v.disk.device !== 'cdrom';
  const problems: Problem[] = [];
  for (const v of volumes) {
    const id = v.identity;
    if (!id) continue;
    const key = id.block ? `blk:${id.rdev}` : `file:${id.dev}:${id.ino}`;
    const first = seen.get(key);
    if (!first) { seen.set(key, v); continue; }
    if (!writes(first) && !writes(v)) continue;
    problems.push(problem('DiskImageUsedTwice', `disks ${first.disk.name} and ${v.disk.name} are the same ${id.block ? 'device' : 'file'} (${id.path})`, {
      volume: v.disk.volumeName, field: v.disk.field,
    }));
  }
  return problems;
}
