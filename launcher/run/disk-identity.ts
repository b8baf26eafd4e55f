// The disk QEMU opened is the disk preflight checked. Between preflight and QEMU's open, someone who can write the
// volume could swap disk.img for a link to another file. The guest is started paused; before its vCPUs run, the
// launcher compares what QEMU holds open (/proc/PID/fd) with the inodes preflight inspected (the device number for
// a block volume). A mismatch: the guest is destroyed before it ran a single instruction.
//
// /proc/PID/fd of another uid's process needs ptrace access (CAP_SYS_PTRACE), which a container's root does not
// have (podman's and Kubernetes' default capabilities). The listing therefore runs as QEMU's own user (the VM
// user), who may always read its own processes' files: find lists the descriptors, stat follows each magic link.
// That user could also fake the answer (ptrace its own child), but it could as well have swapped disk.img itself,
// and QEMU only ever opens what that user can open: the check guards against the volume's other writers.
import { execa } from 'execa';
import { SYSTEM_PATH } from '../../domain/system.js';
import type { RunAs } from '../common/run-as.js';
import type { DiskIdentity } from '../inspect/inspect-volume.js';

const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFBLK = 0o060000;

/** One file a process holds open: device and inode (a regular file), or the device number (a block device). */
export interface HeldFile { dev: number; ino: number; rdev: number; type: 'file' | 'block' | 'other' }

/** `stat -L --printf '%d %i %r %f'` lines: st_dev, st_ino, st_rdev in decimal, the mode in hex. */
export function parseHeldFiles(text: string): HeldFile[] {
  return text.split('\n').flatMap((line) => {
    const m = /^(\d+) (\d+) (\d+) ([0-9a-f]+)$/.exec(line);
    if (!m) return [];
    const fmt = parseInt(m[4]!, 16) & S_IFMT;
    return [{ dev: Number(m[1]), ino: Number(m[2]), rdev: Number(m[3]), type: fmt === S_IFREG ? 'file' : fmt === S_IFBLK ? 'block' : 'other' }];
  });
}

/** What `pid` holds open, read as `runAs` (QEMU's user) when given. Throws when nothing could be read. */
export async function filesHeldBy(pid: number, runAs: RunAs | undefined): Promise<HeldFile[]> {
  const r = await execa('find', [`/proc/${pid}/fd`, '-mindepth', '1', '-maxdepth', '1', '-exec', 'stat', '-L', '--printf', '%d %i %r %f\\n', '{}', '+'], {
    ...(runAs && { uid: runAs.uid, gid: runAs.gid }),
    reject: false, timeout: 10_000, env: { PATH: SYSTEM_PATH, LC_ALL: 'C' }, extendEnv: false, stdin: 'ignore', cwd: '/',
  });
  const held = parseHeldFiles(String(r.stdout));
  // A descriptor closed between find and stat fails alone; nothing at all means the listing itself failed.
  if (held.length === 0) throw new Error(`${String(r.stderr).trim().split('\n')[0] || r.shortMessage}`);
  return held;
}

/** The disks QEMU does not hold open as preflight saw them (empty: all is well). Throws when /proc cannot tell. */
export async function disksNotHeld(qemuPid: number, disks: readonly DiskIdentity[], runAs: RunAs | undefined): Promise<DiskIdentity[]> {
  const held = await filesHeldBy(qemuPid, runAs);
  return disks.filter((d) => !held.some((h) => (d.block ? h.type === 'block' && h.rdev === d.rdev : h.type === 'file' && h.dev === d.dev && h.ino === d.ino)));
}
