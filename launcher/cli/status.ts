// `vm-launcher status [--json]`: what `kubectl get vmi -o wide` and `kubectl describe vmi` show, for
// `kubectl exec POD -- vm-launcher status` and `podman exec`. Reads the launcher's status file exactly as `probe`
// does (believed only when trusted) and the memory of the processes it names from /proc. The JSON form is stable
// (docs/status.md): fields are added, never renamed or removed.
import { readFileSync } from 'node:fs';
import { ExitCode } from '../../domain/reasons.js';
import { runtimeLayout } from '../plan/runtime-layout.js';
import { readTrustedStatus, type ProbeStatus, type Status } from '../stack/status-file.js';

/** The JSON schema's version: bumped only for an incompatible change (none so far). */
export const STATUS_JSON_VERSION = 1;

export interface StatusJson {
  version: number;
  runtimeDir: string;
  launcher: { pid: number; alive: boolean };
  vmi: Status['vmi'] | null;
  phase: string;
  since: string;
  reason: string;
  message: string;
  conditions: NonNullable<Status['conditions']>;
  agent: Status['agent'] | null;
  guest: Status['guest'] | null;
  probes: NonNullable<Status['probes']>;
  network: Status['network'] | null;
  disks: NonNullable<Status['disks']>;
  timings: NonNullable<Status['timings']>;
  processes: Array<{ name: string; pid: number; rssBytes: number | null }>;
}

export async function statusCommand(runtimeDir: string, json: boolean): Promise<number> {
  const read = await readTrustedStatus(runtimeLayout(runtimeDir, '').statusFile);
  if (!read.ok) {
    process.stderr.write(`${JSON.stringify({ level: 'error', reason: 'StatusUnavailable', msg: `${read.why} in ${runtimeDir}`, fix: 'run it in the VM pod\'s container (kubectl exec POD -- vm-launcher status), with the launcher\'s --runtime-dir' })}\n`);
    return ExitCode.Failed;
  }
  const out = statusJson(runtimeDir, read.status, read.launcherAlive);
  process.stdout.write(json ? `${JSON.stringify(out, null, 2)}\n` : formatStatus(out));
  return ExitCode.Clean;
}

export function statusJson(runtimeDir: string, s: Status, alive: boolean): StatusJson {
  return {
    version: STATUS_JSON_VERSION,
    runtimeDir,
    launcher: { pid: s.pid, alive },
    vmi: s.vmi ?? null,
    phase: alive || ['Stopped', 'Failed', 'Aborted'].includes(s.phase) ? s.phase : 'Unknown',
    since: s.since,
    reason: s.reason,
    message: s.message,
    conditions: s.conditions ?? [],
    agent: s.agent ?? null,
    guest: s.guest ?? null,
    probes: s.probes ?? {},
    network: s.network ?? null,
    disks: s.disks ?? [],
    timings: s.timings ?? {},
    processes: Object.entries(s.processes ?? {}).map(([name, pid]) => ({ name, pid, rssBytes: alive ? rssBytes(pid) : null })),
  };
}

/** VmRSS of a process from /proc/PID/status (world-readable); null when it is gone. */
function rssBytes(pid: number): number | null {
  try {
    const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

const mib = (b: number | null) => (b === null ? 'gone' : `${(b / 1048576).toFixed(0)} MiB`);

function ago(iso: string, now = Date.now()): string {
  const s = Math.round((now - Date.parse(iso)) / 1000);
  if (!Number.isFinite(s)) return '';
  if (s < 120) return `${s}s ago`;
  if (s < 7200) return `${Math.round(s / 60)}m ago`;
  return `${Math.round(s / 3600)}h ago`;
}

function probeLine(kind: string, p: ProbeStatus): string {
  const verdict = p.ok === undefined ? 'no verdict yet' : p.ok ? 'passing' : 'failing';
  return `${kind} ${p.action}: ${verdict}${p.lastResult ? ` (last: ${p.lastResult.output}, ${ago(p.lastResult.at)})` : ''}`;
}

/** Short and aligned: one line per fact, absent facts left out. */
export function formatStatus(j: StatusJson): string {
  const rows: Array<[string, string]> = [];
  const g = j.guest;
  if (j.vmi) rows.push(['VMI', `${j.vmi.namespace}/${j.vmi.name}`]);
  rows.push(['Phase', `${j.phase} since ${j.since} (${ago(j.since)})${j.phase === 'Running' ? '' : `: ${j.reason}: ${j.message}`}`]);
  if (!j.launcher.alive) rows.push(['Launcher', `pid ${j.launcher.pid} is gone: this is its last status`]);
  rows.push(['Conditions', j.conditions.map((c) => `${c.type}=${c.status}${c.reason ? ` (${c.reason})` : ''}`).join('  ') || 'none']);
  const agent = j.agent;
  rows.push(['Agent', agent ? `${agent.connected ? 'connected' : 'disconnected'} since ${agent.since}${agent.version ? `, version ${agent.version}` : ''}${agent.missingCommands?.length ? `, lacks ${agent.missingCommands.join(' ')}` : ''}${agent.credentials?.failed ? `, accessCredentials failed: ${agent.credentials.failed.join('; ')}` : agent.credentials?.applied ? `, accessCredentials set ${agent.credentials.applied}` : ''}` : 'not connected (no qemu-guest-agent in the guest yet)']);
  if (g?.os) rows.push(['Guest OS', `${g.os.prettyName ?? g.os.name ?? '?'}${g.os.kernelRelease ? `, kernel ${g.os.kernelRelease}` : ''}`]);
  if (g?.hostname) rows.push(['Hostname', g.hostname]);
  if (g?.timezone) rows.push(['Timezone', `${g.timezone.zone ?? ''} ${g.timezone.offsetSeconds >= 0 ? '+' : '-'}${String(Math.floor(Math.abs(g.timezone.offsetSeconds) / 3600)).padStart(2, '0')}:${String(Math.floor(Math.abs(g.timezone.offsetSeconds) % 3600 / 60)).padStart(2, '0')}`.trim()]);
  for (const i of g?.interfaces ?? []) rows.push(['Addresses', `${i.name}${i.mac ? ` ${i.mac}` : ''}: ${i.addresses.map((a) => `${a.address}/${a.prefix}`).join(' ') || 'none'}`]);
  if (g?.users?.length) rows.push(['Users', g.users.map((u) => u.name).join(' ')]);
  rows.push(['NIC', j.network ? `${j.network.interface}: ${j.network.binding}, ${j.network.model}, ports ${j.network.ports.join(' ')}` : 'none']);
  for (const d of j.disks) rows.push(['Disk', `${d.name}: ${d.kind} ${d.source || '(seed)'} on ${d.bus}${d.readonly ? ', read-only' : ''}`]);
  for (const f of g?.filesystems ?? []) rows.push(['Filesystem', `${f.mountPoint} ${f.type} ${f.device}${f.disks.length ? ` (${f.disks.join(' ')})` : ''}`]);
  if (j.probes.readiness) rows.push(['Probe', probeLine('readiness', j.probes.readiness)]);
  if (j.probes.liveness) rows.push(['Probe', probeLine('liveness', j.probes.liveness)]);
  const t = j.timings;
  // Each figure in ms since launch; libvirt's create (define -> QEMU started paused) is the largest step (docs/development.md, "Where a start goes").
  if (t.createMs !== undefined) rows.push(['Started', `guest running ${t.createMs} ms after launch (preflight ${t.preflightMs ?? '?'}, stack ${t.stackReadyMs ?? '?'}, defined ${t.defineMs ?? '?'}, QEMU started ${t.qemuStartedMs ?? '?'} ms)`]);
  if (j.processes.length) rows.push(['Processes', j.processes.map((p) => `${p.name} ${p.pid} ${mib(p.rssBytes)}`).join(', ')]);
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n') + '\n';
}
