// The status file Kubernetes exec probes read (`vm-launcher probe ready|live`). Written atomically without following
// a link (the runtime dir is the VM user's): a probe never sees half a file, and root never writes through a link
// the VM user planted. A probe believes it only when it can trust it (see readTrustedStatus).
import { readTrusted, UntrustedFileError, writeFileSafely } from '../common/safe-files.js';
import { processRunning, processStart, processUid } from '../common/proc.js';

export type Phase = 'Preflight' | 'StartingStack' | 'Defining' | 'Starting' | 'Running' | 'Paused' | 'ShuttingDown' | 'Stopped' | 'Failed' | 'Aborted';

export interface Status {
  phase: Phase;
  since: string;
  reason: string;
  message: string;
  pid: number;
  /** The launcher's start time (/proc/PID/stat): a reused pid is not the launcher. */
  pidStart?: number;
  vmi?: { namespace: string; name: string; uid?: string };
  /** What `vm-launcher status` shows beyond the phase (docs/status.md); each part is absent until known. */
  conditions?: Condition[];
  agent?: AgentStatus;
  guest?: GuestStatus;
  probes?: { readiness?: ProbeStatus; liveness?: ProbeStatus };
  network?: { interface: string; binding: string; model: string; ports: string[] } | null;
  disks?: Array<{ name: string; volume: string; kind: string; source: string; bus: string; readonly: boolean }>;
  /** ms since the launcher's process started (StartupTimings). */
  timings?: Record<string, number>;
  /** The processes the launcher started (name -> pid); `status` reads their memory from /proc. */
  processes?: Record<string, number>;
}

/** KubeVirt's VMI conditions: Ready, AgentConnected, UnsupportedAgent, Paused. */
export interface Condition { type: string; status: 'True' | 'False'; reason?: string; message?: string; lastTransitionTime: string }

export interface AgentStatus {
  connected: boolean;
  since: string;
  version?: string;
  /** KubeVirt's required commands the agent lacks (UnsupportedAgent when not empty). */
  missingCommands?: string[];
  /** When each part of `guest` was last read. */
  refreshed?: Record<string, string>;
  /** accessCredentials through the agent: when all were last set, or what failed (retried while connected). */
  credentials?: { applied?: string; failed?: string[] };
}

export interface GuestStatus {
  os?: import('../../domain/guest/index.js').GuestOs;
  hostname?: string;
  timezone?: import('../../domain/guest/index.js').GuestTimezone;
  interfaces?: import('../../domain/guest/index.js').GuestInterface[];
  users?: import('../../domain/guest/index.js').GuestUser[];
  filesystems?: import('../../domain/guest/index.js').GuestFilesystem[];
}

export interface ProbeStatus {
  /** The probe's verdict after its thresholds (undefined before the first verdict). */
  ok?: boolean;
  since: string;
  action: string;
  lastResult?: { ok: boolean; at: string; output: string };
  consecutiveFailures: number;
  consecutiveSuccesses: number;
}

/** The guest's lists are bounded (domain/agent-replies.ts), so the file stays well below this. */
export const MAX_STATUS_BYTES = 512 * 1024;

export async function writeStatus(path: string, status: Status): Promise<void> {
  await writeFileSafely(path, JSON.stringify(status) + '\n', { mode: 0o644 });
}

export type StatusRead = { ok: true; status: Status; launcherAlive: boolean } | { ok: false; why: string };

/**
 * The status file, if it can be believed: a regular file (not a link), owned by root or by the probe's own user,
 * writable by nobody else, naming a launcher process that runs as the file's owner with the recorded start time.
 * Anyone else could have written it (the VM user owns the directory).
 */
export async function readTrustedStatus(path: string): Promise<StatusRead> {
  const me = process.getuid?.() ?? 0;
  let text: string;
  try {
    text = await readTrusted(path, { owners: [...new Set([0, me])], notWritableByOthers: true, maxBytes: MAX_STATUS_BYTES });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { ok: false, why: 'no status file' };
    return { ok: false, why: e instanceof UntrustedFileError ? `untrusted status file: ${e.message}` : `cannot read the status file (${code ?? (e as Error).message})` };
  }
  let status: Status;
  try {
    status = JSON.parse(text) as Status;
  } catch {
    return { ok: false, why: 'the status file is not JSON' };
  }
  if (typeof status !== 'object' || status === null || typeof status.phase !== 'string' || !Number.isSafeInteger(status.pid)) {
    return { ok: false, why: 'the status file is not in vm-launcher\'s format' };
  }
  const alive = processRunning(status.pid) && processStart(status.pid) === status.pidStart && [0, me].includes(processUid(status.pid) ?? -1);
  return { ok: true, status, launcherAlive: alive };
}
