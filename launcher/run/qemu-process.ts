// QEMU is daemonized by libvirtd, so it is nobody's child here. The launcher remembers its
// pid (libvirt's pid file) to make sure it is gone before the launcher exits, whatever happened.
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

export async function readQemuPid(pidDir: string, domainName: string): Promise<number | undefined> {
  try {
    const pid = Number((await readFile(join(pidDir, `${domainName}.pid`), 'utf8')).trim());
    return Number.isInteger(pid) && pid > 1 ? pid : undefined;
  } catch {
    return undefined;
  }
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
