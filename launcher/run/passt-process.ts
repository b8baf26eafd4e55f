// passt is started by libvirtd (as the VM user) and daemonizes: nobody's child here. It quits by itself when QEMU
// disconnects (--one-off) and libvirt stops it with the domain; the launcher still makes sure, by the pid files
// libvirt keeps, that none outlives it (a libvirtd stopped at the wrong moment would leave one behind).
// The pid files are written by the VM user, so they are read as QEMU's is: no link followed, no FIFO waited on,
// only the VM user's own regular file believed, and only a passt run by the VM user signalled. A root launcher can
// never be talked into signalling anything the VM user could not signal itself.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readTrusted } from '../common/safe-files.js';
import { processStart, runsEntirelyAs } from '../common/proc.js';
import { stopProcess } from '../common/stop-process.js';

/** The pids in libvirt's `<qemu run dir>/passt/*-passt.pid` files that the VM user (`uid`) wrote. */
export async function readPasstPids(qemuPidDir: string, uid: number): Promise<number[]> {
  const dir = join(qemuPidDir, 'passt');
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith('-passt.pid'));
  } catch {
    return [];
  }
  const pids = await Promise.all(names.map(async (n) =>
    Number((await readTrusted(join(dir, n), { owners: [uid], maxBytes: 64 }).catch(() => '')).trim())));
  return pids.filter((p) => Number.isInteger(p) && p > 1);
}

/** Whether `pid` is a passt run by `uid` (a pid reused by another program, or another user's, is not). */
export async function isPasstOf(pid: number, uid: number): Promise<boolean> {
  const comm = await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '');
  return comm.startsWith('passt') && runsEntirelyAs(pid, uid);
}

/** A passt as first seen: its pid and start time (a pid the kernel hands out again has another start time). */
export interface PasstRef { pid: number; start: number }

/** The listed pids that are a passt of `uid` now, each with its start time. */
export async function passtRefs(pids: readonly number[], uid: number): Promise<PasstRef[]> {
  const refs: PasstRef[] = [];
  for (const pid of pids) {
    const start = processStart(pid);
    if (start !== undefined && (await isPasstOf(pid, uid))) refs.push({ pid, start });
  }
  return refs;
}

/** Stops every passt of the VM user still alive, each only while its pid is still that passt; the pids it had to stop. */
export async function ensurePasstGone(refs: readonly PasstRef[], uid: number): Promise<number[]> {
  const stopped: number[] = [];
  for (const { pid, start } of refs) {
    const stillIt = async () => processStart(pid) === start && isPasstOf(pid, uid);
    if (await stopProcess(pid, stillIt, 2000)) stopped.push(pid);
  }
  return stopped;
}
