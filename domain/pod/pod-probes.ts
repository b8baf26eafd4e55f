// The Pod's readiness and liveness probes. Always the launcher's exec probes (`vm-launcher probe ready|live`);
// a VMI probe lends them its timing.
// Why not copy the VMI's tcpSocket/httpGet probes into the Pod, as KubeVirt does (copyProbe in
// pkg/virt-controller/services/template.go: tcpSocket and httpGet verbatim for the kubelet to run against the pod IP,
// exec and guestAgentPing wrapped in virt-probe; initialDelaySeconds + 10 for libvirt's start)? The launcher already
// evaluates every VMI probe itself (launcher/run/probe-loop.ts), and it does so knowing passt: passt accepts a
// connection on the pod's side before the guest has answered, so a kubelet tcpSocket probe through the forwarded
// port passes while nothing listens in the guest (a false Ready). One evaluator also gives `vm-launcher status` the
// same verdict the kubelet acts on, and keeps the probes working where the kubelet cannot reach the pod IP's port.
// So the kubelet reads the launcher's verdict, at the VMI's pace: periodSeconds copied; the VMI's thresholds are
// applied once, by the launcher, so the kubelet acts on the first failing read (readiness) or the second
// (liveness: one slow `probe` run on a loaded node must not restart a VM). No +10 s for libvirt: the launcher's
// loop counts initialDelaySeconds from the guest's start, after its stack is up.
import type { IProbe } from 'kubernetes-models/v1/Probe';
import type { ProbeSpec, VmSpec } from '../model/index.js';

/** The command the image installs (Containerfile). */
export const LAUNCHER_COMMAND = '/usr/local/bin/vm-launcher';

type Timing = Omit<IProbe, 'exec'>;
/** Without a VMI probe: ready is the phase Running (checked every 2 s); live, a launcher that has not failed. */
export const LAUNCHER_READINESS: Timing = { initialDelaySeconds: 2, periodSeconds: 2, timeoutSeconds: 5 };
export const LAUNCHER_LIVENESS: Timing = { initialDelaySeconds: 30, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3 };
/** Reads of a failing liveness verdict before the kubelet restarts the pod. */
const LIVENESS_READS = 2;

export interface PodProbes { readinessProbe: IProbe; livenessProbe: IProbe; notes: string[] }

export function podProbes(spec: Pick<VmSpec, 'probes'>): PodProbes {
  const ready = spec.probes?.readiness;
  const live = spec.probes?.liveness;
  return {
    readinessProbe: launcherProbe('ready', ready ? { ...LAUNCHER_READINESS, initialDelaySeconds: ready.initialDelaySeconds, periodSeconds: ready.periodSeconds, successThreshold: 1, failureThreshold: 1 } : LAUNCHER_READINESS),
    livenessProbe: launcherProbe('live', live ? { ...LAUNCHER_LIVENESS, periodSeconds: live.periodSeconds, successThreshold: 1, failureThreshold: LIVENESS_READS } : LAUNCHER_LIVENESS),
    notes: [ready && note('readinessProbe', ready, 1), live && note('livenessProbe', live, LIVENESS_READS)].filter((n): n is string => n !== undefined),
  };
}

function note(field: string, p: ProbeSpec, reads: number): string {
  const action = p.action.kind === 'tcpSocket' || p.action.kind === 'httpGet' ? `${p.action.kind} ${p.action.port}` : p.action.kind;
  return `${field}: the VMI's ${action} is evaluated by the launcher (thresholds ${p.successThreshold}/${p.failureThreshold}); the Pod's exec probe reads its verdict every ${p.periodSeconds} s and acts on ${reads === 1 ? 'the first failing read' : `${reads} failing reads`} (not copied for the kubelet: passt accepts a connection before the guest does; docs/pod.md)`;
}

function launcherProbe(kind: 'ready' | 'live', timing: Timing): IProbe {
  return { exec: { command: [LAUNCHER_COMMAND, 'probe', kind] }, ...timing };
}
