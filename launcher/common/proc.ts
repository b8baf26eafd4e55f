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

/** Every uid of a live process: real, effective, saved and filesystem (the Uid line of /proc/PID/status). */
export function processUids(pid: number): number[] | undefined {
  try {
    const m = /^Uid:\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? m.slice(1, 5).map(Number) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The process runs as `uid` through and through (real, effective, saved, filesystem uid), so `uid` could signal it
 * itself (kill(2): the sender's uid matches the target's real or saved uid): a root launcher that signals such a
 * process on that user's word does nothing that user could not do.
 */
export const runsEntirelyAs = (pid: number, uid: number): boolean => processUids(pid)?.every((u) => u === uid) ?? false;

/**
 * The names a process goes by: the kernel's comm (status Name, 15 characters at most) and argv[0]'s base name.
 * Unlike /proc/PID/exe, both are readable for another uid's process without ptrace access (CAP_SYS_PTRACE). Both
 * are the process's own word (prctl, exec with any argv[0]): use them only with runsEntirelyAs.
 */
export function processNames(pid: number): string[] {
  const names: string[] = [];
  try {
    const m = /^Name:\s+(.*)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    if (m) names.push(m[1]!);
    const argv0 = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0] ?? '';
    if (argv0) names.push(argv0.split('/').pop()!);
  } catch { /* gone */ }
  return names;
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
