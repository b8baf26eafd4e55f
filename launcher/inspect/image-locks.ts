// Is a QEMU already using this image? QEMU marks the images it opens with OFD locks on bytes
// 100-299 (one byte per permission it holds or refuses to share). /proc/locks shows them:
// reading it changes nothing and catches two VMs about to write the same disk.
// A lock seen once may be a passing `qemu-img info` (a backup tool, a neighbour's check): only a
// lock still there after LOCK_WATCH_MS is a QEMU that keeps the image open. CI saw one such
// passing lock fail an unrelated test with DiskImageInUse.
import { readFile } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

const QEMU_LOCK_BYTES = { first: 100, last: 299 };
export const LOCK_WATCH_MS = 600;
const LOCK_READS = 4;

// Linux's dev_t encoding (glibc's major()/minor()).
const major = (dev: number) => ((dev >>> 8) & 0xfff) | Math.floor(dev / 2 ** 32) & ~0xfff;
const minor = (dev: number) => (dev & 0xff) | ((dev >>> 12) & ~0xff & 0xfffff);

/** Whether some process holds QEMU's image locks on the file or device behind `st`, and keeps them. */
export async function heldByQemu(st: Stats, procLocks = '/proc/locks', watchMs = LOCK_WATCH_MS): Promise<boolean> {
  for (let read = 0; read < LOCK_READS; read++) {
    if (read > 0) await sleep(watchMs / (LOCK_READS - 1));
    if (!(await lockedNow(st, procLocks))) return false;
  }
  return true;
}

async function lockedNow(st: Stats, procLocks: string): Promise<boolean> {
  let text: string;
  try {
    text = await readFile(procLocks, 'utf8');
  } catch {
    return false; // no /proc/locks: nothing to tell
  }
  // A block device's locks are on the device node's inode of the devtmpfs it lives on: same rule.
  const want = { major: major(st.dev), minor: minor(st.dev), ino: st.ino };
  for (const line of text.split('\n')) {
    // "8: OFDLCK ADVISORY  READ -1 fe:00:15343656 100 101"
    const m = /\bOFDLCK\s+\S+\s+\S+\s+\S+\s+([0-9a-f]+):([0-9a-f]+):(\d+)\s+(\d+)\s+(\d+|EOF)/.exec(line);
    if (!m) continue;
    if (parseInt(m[1]!, 16) !== want.major || parseInt(m[2]!, 16) !== want.minor || Number(m[3]) !== want.ino) continue;
    const start = Number(m[4]);
    if (start >= QEMU_LOCK_BYTES.first && start <= QEMU_LOCK_BYTES.last) return true;
  }
  return false;
}
