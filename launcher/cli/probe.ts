// Kubernetes exec probes: ready while the guest runs, live while the launcher is alive and has not failed. Reads
// only the status file (cheap enough to run every few seconds), and believes it only when it can trust it. A VMI
// with its own readinessProbe/livenessProbe: the launcher evaluates it (run/probe-loop.ts) and this reads the verdict.
import { runtimeLayout } from '../plan/runtime-layout.js';
import { readTrustedStatus, type ProbeStatus } from '../stack/status-file.js';

export async function probe(kind: 'ready' | 'live', runtimeDir: string): Promise<{ ok: boolean; message: string }> {
  const read = await readTrustedStatus(runtimeLayout(runtimeDir, '').statusFile);
  if (!read.ok) return { ok: false, message: `${read.why} in ${runtimeDir}: no launcher to vouch for` };
  const { status } = read;
  if (!read.launcherAlive) return { ok: false, message: `launcher pid ${status.pid} is gone (last phase ${status.phase})` };
  if (kind === 'ready') {
    if (status.phase !== 'Running') {
      return { ok: false, message: `phase ${status.phase} (${status.reason}): ${status.phase === 'Paused' ? status.message : 'not running yet or stopping'}` };
    }
    const r = status.probes?.readiness;
    if (!r) return { ok: true, message: `Running since ${status.since}` };
    return r.ok === true
      ? { ok: true, message: `Running; readiness probe (${r.action}) passes since ${r.since}` }
      : { ok: false, message: `Running, but the readiness probe (${r.action}) ${verdictText(r)}` };
  }
  if (status.phase === 'Failed') return { ok: false, message: `Failed: ${status.reason}: ${status.message}` };
  const l = status.probes?.liveness;
  if (l?.ok === false) return { ok: false, message: `the liveness probe (${l.action}) ${verdictText(l)}` };
  return { ok: true, message: `${status.phase} since ${status.since}` };
}

function verdictText(p: ProbeStatus): string {
  if (!p.lastResult) return 'has no result yet';
  return `${p.ok === false ? `fails since ${p.since}` : 'has not passed yet'}: ${p.lastResult.output}`;
}
