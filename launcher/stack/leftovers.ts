// A launcher killed with SIGKILL (or OOM-killed) leaves its stack behind: libvirtd, the bus and QEMU holding the
// disk. The next launcher on the same runtime dir stops exactly those processes, found in the dead launcher's
// owner marker and still provably the same (pid, start time, boot), before it inspects the disks or reuses the dir.
// Some processes of the stack are never recorded: libvirtd's QEMU capabilities probe (`-machine none`) daemonizes
// into its own session within the launcher's first second. They are found by what ties them to the dead stack: the
// VM user's (every uid), started after the dead launcher in the same boot, their command line naming a path in
// this runtime dir (the probe's QMP socket and pid file are under config/libvirt/qemu/lib). The VM user can forge
// such a command line only for its own processes, which it could signal itself.
import { readdirSync, readFileSync } from 'node:fs';
import type { Logger } from '../common/log.js';
import { readMarker, launcherAlive, survivors, type OwnerMarker, type RecordedProcess } from './ownership-marker.js';
import { bootId, processRunning, processStart, runsEntirelyAs } from '../common/proc.js';
import type { RuntimeLayout } from '../plan/runtime-layout.js';

const signal = (p: RecordedProcess, sig: NodeJS.Signals): void => {
  try { process.kill(p.group ? -p.pid : p.pid, sig); } catch { /* gone */ }
};

/** Live processes of `uid` started after the dead launcher (same boot) whose command line names a path in `root`. */
export function strayStackProcesses(m: OwnerMarker, root: string, uid: number): RecordedProcess[] {
  if (m.bootId !== bootId()) return [];
  const strays: RecordedProcess[] = [];
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!/^\d+$/.test(entry) || pid === process.pid || !runsEntirelyAs(pid, uid)) continue;
    const start = processStart(pid);
    if (start === undefined || start < m.start || !processRunning(pid)) continue;
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (argv.some((a) => a.includes(`${root}/`))) strays.push({ role: `unrecorded ${argv[0]?.split('/').pop() ?? '?'}`, pid, start, group: false });
    } catch { /* gone */ }
  }
  return strays;
}

/** What is left of the dead launcher's stack: the processes it recorded, and those of `vmUid` tied to `root`. */
export function leftovers(m: OwnerMarker, root: string, vmUid: number): RecordedProcess[] {
  const recorded = survivors(m);
  return [...recorded, ...strayStackProcesses(m, root, vmUid).filter((s) => !recorded.some((r) => r.pid === s.pid))];
}

/** SIGTERM (QEMU flushes its disks and quits), SIGKILL after `graceMs`. Resolves once they are gone. */
export async function stopLeftovers(m: OwnerMarker, alive: readonly RecordedProcess[], logger: Logger, graceMs = 5000): Promise<void> {
  if (alive.length === 0) return;
  logger.warn({ reason: 'LeftoversStopped', deadLauncherPid: m.pid, processes: alive.map((p) => `${p.role}:${p.pid}`) },
    `a killed launcher (pid ${m.pid}) left ${alive.map((p) => p.role).join(', ')} running: stopping them`);
  // QEMU first: it flushes its disks while libvirtd still answers.
  for (const p of alive.filter((p) => p.role === 'qemu')) signal(p, 'SIGTERM');
  for (const p of alive.filter((p) => p.role !== 'qemu')) signal(p, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && alive.some((p) => processRunning(p.pid))) await new Promise((r) => setTimeout(r, 50));
  for (const p of alive) if (processRunning(p.pid)) signal(p, 'SIGKILL');
  while (alive.some((p) => processRunning(p.pid)) && Date.now() < deadline + 2000) await new Promise((r) => setTimeout(r, 50));
}

/** Before preflight: a dead launcher's QEMU still holds the disk's locks; stop what it provably left running. */
export async function stopDeadLaunchersStack(l: RuntimeLayout, vmUid: number, logger: Logger): Promise<void> {
  const read = await readMarker(l.ownerMarker).catch(() => undefined);
  if (read?.state !== 'ours' || read.marker.pid === process.pid || launcherAlive(read.marker)) return;
  await stopLeftovers(read.marker, leftovers(read.marker, l.root, vmUid), logger);
}
