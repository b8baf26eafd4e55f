// passt is started by libvirtd (as the VM user) and daemonizes: nobody's child here. It quits by itself when QEMU
// disconnects (--one-off) and libvirt stops it with the domain; the launcher still makes sure, by the pid files
// libvirt keeps, that none outlives it (a libvirtd stopped at the wrong moment would leave one behind).
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ensureQemuGone } from './qemu-process.js';

/** The pids in libvirt's `<qemu run dir>/passt/*-passt.pid` files. */
export async function readPasstPids(qemuPidDir: string): Promise<number[]> {
  const dir = join(qemuPidDir, 'passt');
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith('-passt.pid'));
  } catch {
    return [];
  }
  const pids = await Promise.all(names.map(async (n) => Number((await readFile(join(dir, n), 'utf8').catch(() => '')).trim())));
  return pids.filter((p) => Number.isInteger(p) && p > 1);
}

/** Stops every listed passt still alive (a pid reused by another program is left alone); the pids it had to stop. */
export async function ensurePasstGone(pids: readonly number[]): Promise<number[]> {
  const stopped: number[] = [];
  for (const pid of pids) {
    const comm = await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '');
    if (comm.startsWith('passt') && (await ensureQemuGone(pid, 2000))) stopped.push(pid);
  }
  return stopped;
}
