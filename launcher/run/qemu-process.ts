// QEMU is daemonized by libvirtd, so it is nobody's child here. The launcher remembers its
// pid (libvirt's pid file) to make sure it is gone before the launcher exits, whatever happened.
// The pid file is written by the VM user: it is believed only for a QEMU process that runs as that user, so a
// root launcher can never be talked into signalling anything else.
import { join } from 'node:path';
import { readTrusted } from '../common/safe-files.js';
import { processNames, processRunning, processStart, runsEntirelyAs } from '../common/proc.js';
import { stopProcess } from '../common/stop-process.js';

/**
 * Whether `pid` is a QEMU run by `uid` (the VM user): a `qemu-system-*` process whose every uid is the VM user's.
 * Read from /proc/PID/status and cmdline, not /proc/PID/exe: the exe link of another uid's process needs
 * CAP_SYS_PTRACE, which a container's root lacks. The name is the process's own word, so the VM user could pass
 * another of its processes off as QEMU; signalling that one is still nothing the VM user could not do itself.
 */
export function isQemuOf(pid: number, uid: number): boolean {
  return runsEntirelyAs(pid, uid) && processNames(pid).some((n) => n.startsWith('qemu-system-'));
}

/**
 * QEMU as verified once: its pid, its user and its start time. QEMU is not the launcher's child: once its zombie is
 * reaped the kernel may hand the pid to another process (even another launcher's QEMU of the same user on a host),
 * whose start time differs. Every later signal and exit check goes through this, never through a bare pid.
 */
export interface QemuRef { pid: number; uid: number; start: number }

export function qemuRef(pid: number, uid: number): QemuRef | undefined {
  const start = processStart(pid);
  return start !== undefined && isQemuOf(pid, uid) ? { pid, uid, start } : undefined;
}

/** The pid is still the QEMU that was verified. */
export const stillQemu = (q: QemuRef): boolean => processStart(q.pid) === q.start && isQemuOf(q.pid, q.uid);

export async function readQemu(pidDir: string, domainName: string, uid: number): Promise<QemuRef | undefined> {
  try {
    const text = await readTrusted(join(pidDir, `${domainName}.pid`), { owners: [uid], maxBytes: 64 });
    const pid = Number(text.trim());
    return Number.isInteger(pid) && pid > 1 ? qemuRef(pid, uid) : undefined;
  } catch {
    return undefined;
  }
}

/** Sends `sig` to QEMU only while its pid still is that QEMU. Whether the signal was sent. */
export function signalQemu(q: QemuRef, sig: NodeJS.Signals): boolean {
  if (!stillQemu(q)) return false;
  try { process.kill(q.pid, sig); return true; } catch { return false; }
}

/** SIGTERM (QEMU flushes its block layer and quits), SIGKILL after `graceMs`; each only while it still is that QEMU. */
export async function ensureQemuGone(q: QemuRef | undefined, graceMs = 5000): Promise<boolean> {
  return q !== undefined && stopProcess(q.pid, () => stillQemu(q), graceMs);
}

/**
 * QEMU has exited: its process is gone, a zombie (all its files closed, every write done), or its pid reused.
 * libvirt reports the domain stopped only once the zombie is reaped, which an init that reaps
 * slowly can delay by seconds; the launcher need not wait for that.
 */
export function qemuExited(q: QemuRef): boolean {
  return !processRunning(q.pid) || processStart(q.pid) !== q.start;
}
