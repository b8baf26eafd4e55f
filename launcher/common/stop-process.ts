// Stopping a process that is not the launcher's child (QEMU and passt are libvirtd's), by pid. Between two looks the
// process may exit, be reaped and its pid handed to another program: every signal is sent only while `stillIt`
// says the pid is still the process that was verified (same owner, same name, same start time).
import { processRunning } from './proc.js';

export type StillIt = () => boolean | Promise<boolean>;

/** Exited: gone, a zombie (all its files closed, every write done), or its pid now someone else's. */
const exited = async (pid: number, stillIt: StillIt) => !processRunning(pid) || !(await stillIt());

/**
 * SIGTERM, then SIGKILL after `graceMs` if it is still there. Whether a signal was sent (false: it had already
 * exited, or the pid was not the verified process any more).
 */
export async function stopProcess(pid: number, stillIt: StillIt, graceMs: number): Promise<boolean> {
  if (await exited(pid, stillIt)) return false;
  try { process.kill(pid, 'SIGTERM'); } catch { return false; }
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (await exited(pid, stillIt)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  if (await stillIt()) {
    try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
  }
  return true;
}
