// Is a QEMU already using this image, or does another process hold a lock that would make QEMU refuse it?
// QEMU (file-posix) marks an image it opens with shared (READ) OFD locks of one byte each: 100 + bit for every
// permission it holds, 200 + bit for every permission it does not share (bits 0-4: consistent read, write,
// write unchanged, resize, graph mod), and tests for conflicts with write locks. So:
// - READ OFD locks within 100-104 or 200-204: QEMU's pattern (a VM, or qemu-img/qemu-nbd). The kernel merges a
//   process's adjacent locks, so a running VM shows ranges such as 100-101, not only single bytes.
// - Any other lock (a POSIX lock, a WRITE lock, a range) covering one of those bytes: another process; QEMU's own
//   locking would fail on it. /proc/locks names the pid of a POSIX lock; of an OFD lock it shows -1 (seen on 6.18).
// - Locks elsewhere, even within 100-299, do not concern QEMU.
// A lock seen once may be a passing `qemu-img info` (a backup tool, a neighbour's check): only a lock still there
// after LOCK_WATCH_MS counts. CI saw one such passing lock fail an unrelated test with DiskImageInUse.
import { readFile } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

const QEMU_BYTES = new Set([100, 101, 102, 103, 104, 200, 201, 202, 203, 204]);
export const LOCK_WATCH_MS = 600;
const LOCK_READS = 4;

export type LockHolder = { by: 'qemu' } | { by: 'other'; what: string };

// Linux's dev_t encoding (glibc's major()/minor()).
const major = (dev: number) => ((dev >>> 8) & 0xfff) | Math.floor(dev / 2 ** 32) & ~0xfff;
const minor = (dev: number) => (dev & 0xff) | ((dev >>> 12) & ~0xff & 0xfffff);

/** Who holds locks on QEMU's bytes of the file or device behind `st`, and keeps them; undefined: nobody. */
export async function imageLockHolder(st: Stats, procLocks = '/proc/locks', watchMs = LOCK_WATCH_MS): Promise<LockHolder | undefined> {
  let holder: LockHolder | undefined;
  for (let read = 0; read < LOCK_READS; read++) {
    if (read > 0) await sleep(watchMs / (LOCK_READS - 1));
    holder = await holderNow(st, procLocks);
    if (!holder) return undefined;
  }
  return holder;
}

/** Whether QEMU's own locks are held on the image (what DiskImageInUse means). */
export async function heldByQemu(st: Stats, procLocks = '/proc/locks', watchMs = LOCK_WATCH_MS): Promise<boolean> {
  return (await imageLockHolder(st, procLocks, watchMs))?.by === 'qemu';
}

async function holderNow(st: Stats, procLocks: string): Promise<LockHolder | undefined> {
  let text: string;
  try {
    text = await readFile(procLocks, 'utf8');
  } catch {
    return undefined; // no /proc/locks: nothing to tell
  }
  // A block device's locks are on the device node's inode of the devtmpfs it lives on: same rule.
  const want = { major: major(st.dev), minor: minor(st.dev), ino: st.ino };
  let qemu = false;
  for (const line of text.split('\n')) {
    // "8: OFDLCK ADVISORY  READ -1 fe:00:15343656 100 101"; a waiter's line has "->" before the type and holds nothing.
    const m = /^\d+:\s+(OFDLCK|POSIX)\s+\S+\s+(READ|WRITE)\s+(-?\d+)\s+([0-9a-f]+):([0-9a-f]+):(\d+)\s+(\d+)\s+(\d+|EOF)/.exec(line);
    if (!m) continue;
    const [, type, mode, pid, maj, min, ino, startText, endText] = m as unknown as string[];
    if (parseInt(maj!, 16) !== want.major || parseInt(min!, 16) !== want.minor || Number(ino) !== want.ino) continue;
    const start = Number(startText);
    const end = endText === 'EOF' ? Infinity : Number(endText);
    if (![...QEMU_BYTES].some((b) => b >= start && b <= end)) continue;
    if (type === 'OFDLCK' && mode === 'READ' && withinQemuBytes(start, end)) { qemu = true; continue; }
    const owner = pid === '-1' ? 'an owner the kernel does not name (an OFD lock)' : await processName(Number(pid));
    return { by: 'other', what: `${type === 'OFDLCK' ? 'an OFD' : 'a POSIX'} ${mode} lock on bytes ${start}-${endText} held by ${owner}` };
  }
  return qemu ? { by: 'qemu' } : undefined;
}

/** A lock range inside one of QEMU's two blocks of lock bytes. */
const withinQemuBytes = (start: number, end: number): boolean => (start >= 100 && end <= 104) || (start >= 200 && end <= 204);

async function processName(pid: number): Promise<string> {
  const comm = await readFile(`/proc/${pid}/comm`, 'utf8').then((s) => s.trim(), () => undefined);
  return comm ? `pid ${pid} (${comm})` : `pid ${pid}`;
}
