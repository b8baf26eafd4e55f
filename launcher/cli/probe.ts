// Kubernetes exec probes: ready while the guest runs, live while the launcher is alive and has not failed. Reads
// only the status file (cheap enough to run every few seconds), and believes it only when it can trust it.
import { runtimeLayout } from '../plan/runtime-layout.js';
import { readTrustedStatus } from '../stack/status-file.js';

export async function probe(kind: 'ready' | 'live', runtimeDir: string): Promise<{ ok: boolean; message: string }> {
  const read = await readTrustedStatus(runtimeLayout(runtimeDir, '').statusFile);
  if (!read.ok) return { ok: false, message: `${read.why} in ${runtimeDir}: no launcher to vouch for` };
  const { status } = read;
  if (!read.launcherAlive) return { ok: false, message: `launcher pid ${status.pid} is gone (last phase ${status.phase})` };
  if (kind === 'ready') {
    return status.phase === 'Running'
      ? { ok: true, message: `Running since ${status.since}` }
      : { ok: false, message: `phase ${status.phase} (${status.reason}): ${status.phase === 'Paused' ? status.message : 'not running yet or stopping'}` };
  }
  return status.phase === 'Failed'
    ? { ok: false, message: `Failed: ${status.reason}: ${status.message}` }
    : { ok: true, message: `${status.phase} since ${status.since}` };
}
