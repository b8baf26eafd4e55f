// What /proc says about a process: enough to tell "this pid is still the process we recorded" from "the pid was
// reused", and whose it is. A pid alone is not an identity: the kernel hands it out again.
import { readFileSync } from 'node:fs';

/** The kernel's id of this boot: pids and start times recorded under another boot mean nothing. */
export function bootId(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return 'unknown';
  }
}

/** The process's start time (clock ticks after boot, field 22 of /proc/PID/stat), or undefined when it is gone. */
export function processStart(pid: number): number | undefined {
  if (!Number.isSafeInteger(pid) || pid <= 0) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count fields after the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const start = Number(rest[19]);
    return Number.isSafeInteger(start) ? start : undefined;
  } catch {
    return undefined;
  }
}

/** The real uid of a live process, or undefined. */
export function processUid(pid: number): number | undefined {
  try {
    const m = /^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** A process that exists and has not exited (a zombie has closed its files and will never run again). */
export function processRunning(pid: number): boolean {
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

/** The same process as the one recorded: same boot, same pid, same start time. */
export const sameProcess = (rec: { pid: number; start: number; bootId: string }): boolean =>
  rec.bootId === bootId() && processStart(rec.pid) === rec.start && processRunning(rec.pid);
