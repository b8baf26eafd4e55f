// A launcher killed with SIGKILL (or OOM-killed) leaves its stack behind: libvirtd, the bus and QEMU holding the
// disk. The next launcher on the same runtime dir stops exactly those processes, found in the dead launcher's
// owner marker and still provably the same (pid, start time, boot), before it inspects the disks or reuses the dir.
import type { Logger } from '../common/log.js';
import { readMarker, launcherAlive, survivors, type OwnerMarker, type RecordedProcess } from './ownership-marker.js';
import { processRunning } from '../common/proc.js';
import type { RuntimeLayout } from '../plan/runtime-layout.js';

const signal = (p: RecordedProcess, sig: NodeJS.Signals): void => {
  try { process.kill(p.group ? -p.pid : p.pid, sig); } catch { /* gone */ }
};

/** SIGTERM (QEMU flushes its disks and quits), SIGKILL after `graceMs`. Resolves once they are gone. */
export async function stopLeftovers(m: OwnerMarker, logger: Logger, graceMs = 5000): Promise<void> {
  const alive = survivors(m);
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
export async function stopDeadLaunchersStack(l: RuntimeLayout, logger: Logger): Promise<void> {
  const read = await readMarker(l.ownerMarker).catch(() => undefined);
  if (read?.state !== 'ours' || read.marker.pid === process.pid || launcherAlive(read.marker)) return;
  await stopLeftovers(read.marker, logger);
}
