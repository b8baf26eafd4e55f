// QEMU is daemonized by libvirtd, so it is nobody's child here. The launcher remembers its
// pid (libvirt's pid file) to make sure it is gone before the launcher exits, whatever happened.
// The pid file is written by the VM user: it is believed only for a QEMU process that runs as that user, so a
// root launcher can never be talked into signalling anything else.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readTrusted } from '../common/safe-files.js';
import { processNames, runsEntirelyAs } from '../common/proc.js';

/**
 * Whether `pid` is a QEMU run by `uid` (the VM user): a `qemu-system-*` process whose every uid is the VM user's.
 * Read from /proc/PID/status and cmdline, not /proc/PID/exe: the exe link of another uid's process needs
 * CAP_SYS_PTRACE, which a container's root lacks. The name is the process's own word, so the VM user could pass
 * another of its processes off as QEMU; signalling that one is still nothing the VM user could not do itself.
 */
export function isQemuOf(pid: number, uid: number): boolean {
  return runsEntirelyAs(pid, uid) && processNames(pid).some((n) => n.startsWith('qemu-system-'));
}

export async function readQemuPid(pidDir: string, domainName: string, uid: number): Promise<number | undefined> {
  try {
    const text = await readTrusted(join(pidDir, `${domainName}.pid`), { owners: [uid], maxBytes: 64 });
    const pid = Number(text.trim());
    return Number.isInteger(pid) && pid > 1 && isQemuOf(pid, uid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Sends `sig` to QEMU by pid, only while that pid still is a QEMU of `uid`: QEMU is not the launcher's child, and
 * once its zombie is reaped the kernel may hand the pid to another process. Whether the signal was sent.
 */
export function signalQemu(pid: number, uid: number, sig: NodeJS.Signals): boolean {
  if (!isQemuOf(pid, uid)) return false;
  try { process.kill(pid, sig); return true; } catch { return false; }
}

/** SIGTERM (QEMU flushes its block layer and quits), SIGKILL after `graceMs`. */
export async function ensureQemuGone(pid: number | undefined, graceMs = 5000): Promise<boolean> {
  if (pid === undefined || qemuExited(pid)) return false;
  try { process.kill(pid, 'SIGTERM'); } catch { return false; }
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (qemuExited(pid)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
  return true;
}

/**
 * QEMU has exited: its process is gone or a zombie (all its files closed, every write done).
 * libvirt reports the domain stopped only once the zombie is reaped, which an init that reaps
 * slowly can delay by seconds; the launcher need not wait for that.
 */
export function qemuExited(pid: number): boolean {
  try {
    return /^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return true;
  }
}
