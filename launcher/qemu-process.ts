// QEMU is daemonized by libvirtd, so it is nobody's child here. The launcher remembers its
// pid (libvirt's pid file) to make sure it is gone before the launcher exits, whatever happened.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { processAlive } from './status-file.js';

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
  if (pid === undefined || !processAlive(pid)) return false;
  try { process.kill(pid, 'SIGTERM'); } catch { return false; }
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!processAlive(pid)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
  return true;
}
