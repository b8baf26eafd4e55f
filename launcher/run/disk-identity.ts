// The disk QEMU opened is the disk preflight checked. Between preflight and QEMU's open, someone who can write the
// volume could swap disk.img for a link to another file. The guest is started paused; before its vCPUs run, the
// launcher compares what QEMU holds open (/proc/PID/fd) with the inodes preflight inspected (the device number for
// a block volume). A mismatch: the guest is destroyed before it ran a single instruction.
import { readdir, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import type { DiskIdentity } from '../inspect/inspect-volume.js';

/** The disks QEMU does not hold open as preflight saw them (empty: all is well). Throws when /proc cannot tell. */
export async function disksNotHeld(qemuPid: number, disks: readonly DiskIdentity[]): Promise<DiskIdentity[]> {
  const held: Stats[] = [];
  for (const fd of await readdir(`/proc/${qemuPid}/fd`)) {
    try { held.push(await stat(`/proc/${qemuPid}/fd/${fd}`)); } catch { /* closed meanwhile */ }
  }
  return disks.filter((d) => !held.some((h) => (d.block ? h.isBlockDevice() && h.rdev === d.rdev : h.isFile() && h.dev === d.dev && h.ino === d.ino)));
}
