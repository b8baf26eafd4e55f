// Kubernetes exec probes: ready while the guest runs, live while the launcher is alive and
// has not failed. Reads only the status file: cheap enough to run every few seconds.
import { runtimeLayout } from '../plan/runtime-layout.js';
import { processAlive, readStatus } from '../stack/status-file.js';

export async function probe(kind: 'ready' | 'live', runtimeDir: string): Promise<{ ok: boolean; message: string }> {
  const status = await readStatus(runtimeLayout(runtimeDir, '').statusFile);
  if (!status) return { ok: false, message: `no status file in ${runtimeDir}: the launcher is not running there` };
  if (!processAlive(status.pid)) return { ok: false, message: `launcher pid ${status.pid} is gone (last phase ${status.phase})` };
  if (kind === 'ready') {
    return status.phase === 'Running'
      ? { ok: true, message: `Running since ${status.since}` }
      : { ok: false, message: `phase ${status.phase} (${status.reason}): not running yet or stopping` };
  }
  return status.phase === 'Failed'
    ? { ok: false, message: `Failed: ${status.reason}: ${status.message}` }
    : { ok: true, message: `${status.phase} since ${status.since}` };
}
