// What the pod gives the guest's NIC, read-only: passt installed, libvirt's passt support (and so the backend),
// the forwarded ports against net.ipv4.ip_unprivileged_port_start, passt's socket path against the unix socket
// limit, and the open files forwarding every port needs. Every decision is made here once; `check` shows it and
// `run` carries it out.
import { access, constants, readFile } from 'node:fs/promises';
import { problem, type Problem } from '../../domain/problem.js';
import {
  domainName, choosePasstBackend, FORWARD_ALL_OPEN_FILES, forwardsAll, interfaceAlias, MAX_UNIX_SOCKET_PATH, passtSocketPath, portForwards, type BackendChoice,
} from '../../domain/convert/index.js';
import type { VmSpec, InterfaceSpec } from '../../domain/model/index.js';
import type { Plan } from '../plan/plan.js';
import { probeLibvirtPasst } from './libvirt-passt.js';

export const PASST_PATHS = ['/usr/bin/passt', '/usr/local/bin/passt'];

export interface OpenFiles { soft: number; hard: number; need: number; /** run raises the soft limit to the hard one */ raise: boolean }

/** The NIC as it will be built and run; absent when the VMI asks for none. */
export interface NetworkPlan {
  iface: InterfaceSpec;
  backend: BackendChoice;
  /** ip_unprivileged_port_start as read in the pod. */
  unprivilegedPortStart: number;
  socketPath: string;
  openFiles?: OpenFiles;
}

export interface NetworkInspection { plan?: NetworkPlan; problems: Problem[] }

const executable = async (p: string) => access(p, constants.X_OK).then(() => true, () => false);

export async function inspectNetwork(spec: VmSpec, plan: Plan, signal?: AbortSignal): Promise<NetworkInspection> {
  const iface = spec.interfaces?.[0];
  if (!iface) return { problems: [] };
  const problems: Problem[] = [];
  const at = { field: iface.field };
  const [hasPasst, probe, portStart, limits] = await Promise.all([
    Promise.all(PASST_PATHS.map(executable)).then((found) => found.some(Boolean)),
    probeLibvirtPasst(plan.runAs.value, signal),
    unprivilegedPortStart(),
    openFileLimits(),
  ]);
  if (!hasPasst) problems.push(problem('PasstMissing', `interface ${iface.name} needs passt, which is not installed`, at));
  if (probe.virshMissing) {
    problems.push(problem('HostProgramMissing', 'virsh is not installed: cannot tell whether this libvirt accepts the passt backend', {
      ...at, fix: 'apt-get install --no-install-recommends libvirt-clients',
    }));
  }
  const choice = choosePasstBackend(plan.network.passtMode.value, iface.model, probe.support);
  if (!choice.ok && !probe.virshMissing) {
    problems.push(problem(choice.reason, `interface ${iface.name}: ${choice.message}${probe.detail ? ` (libvirt: ${probe.detail})` : ''}`, { ...at, fix: choice.fix }));
  }
  checkPorts(problems, iface, portStart);
  const socketPath = passtSocketPath(plan.runtime.layout.xdgRuntime, domainName(spec), interfaceAlias(iface.name));
  const socketBytes = Buffer.byteLength(socketPath);
  if (socketBytes > MAX_UNIX_SOCKET_PATH) {
    problems.push(problem('PasstSocketPathTooLong', `passt's socket would be ${socketPath} (${socketBytes} bytes; a unix socket path holds ${MAX_UNIX_SOCKET_PATH})`, {
      ...at, fix: `shorten --runtime-dir (${Buffer.byteLength(plan.runtime.layout.root)} bytes) or the interface's name (${iface.name})`,
    }));
  }
  const openFiles = forwardsAll(iface.ports) ? checkOpenFiles(problems, iface, limits) : undefined;
  if (!choice.ok) return { problems };
  return { plan: { iface, backend: choice.value, unprivilegedPortStart: portStart, socketPath, ...(openFiles && { openFiles }) }, problems };
}

/** passt runs as the VM user without capabilities: it binds only ports at or above this. */
async function unprivilegedPortStart(): Promise<number> {
  try {
    return Number((await readFile('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8')).trim());
  } catch {
    return 1024; // kernels before 4.11: the classic rule
  }
}

function checkPorts(problems: Problem[], iface: InterfaceSpec, start: number): void {
  const fix = `set the pod sysctl net.ipv4.ip_unprivileged_port_start=0 (Pod securityContext.sysctls; podman run --sysctl net.ipv4.ip_unprivileged_port_start=0)`;
  if (forwardsAll(iface.ports)) {
    if (start > 1) {
      problems.push(problem('ForwardAllSkipsLowPorts', `interface ${iface.name} forwards every port, but ports below ${start} (22, 80, 443...) cannot be bound unprivileged and are not forwarded`, {
        field: iface.field, fix: `${fix}, or list the guest's ports in ports`,
      }));
    }
    return;
  }
  for (const p of iface.ports) {
    if (p.port >= start) continue;
    problems.push(problem('PortBelowUnprivilegedStart', `${p.protocol.toUpperCase()} port ${p.port} is below net.ipv4.ip_unprivileged_port_start (${start}) in this pod: passt, unprivileged, cannot bind it`, {
      field: `${p.field}.port`, fix,
    }));
  }
}

async function openFileLimits(): Promise<{ soft: number; hard: number } | undefined> {
  try {
    const line = (await readFile('/proc/self/limits', 'utf8')).split('\n').find((l) => l.startsWith('Max open files'));
    const m = line && /^Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)/.exec(line);
    const num = (s: string) => (s === 'unlimited' ? Number.MAX_SAFE_INTEGER : Number(s));
    return m ? { soft: num(m[1]!), hard: num(m[2]!) } : undefined;
  } catch {
    return undefined;
  }
}

/** Forwarding every port opens one socket per port and protocol: the hard limit must allow it; run raises the soft. */
function checkOpenFiles(problems: Problem[], iface: InterfaceSpec, limits: { soft: number; hard: number } | undefined): OpenFiles | undefined {
  if (!limits) return undefined;
  const need = FORWARD_ALL_OPEN_FILES;
  if (limits.hard < need) {
    problems.push(problem('OpenFileLimitTooLow', `interface ${iface.name} lists no ports, so every TCP and UDP port is forwarded (as KubeVirt does): passt needs about ${need} open files, but this pod allows ${limits.hard} (soft ${limits.soft})`, {
      field: `${iface.field}.ports`,
      fix: `list the ports the guest serves (ports: [{port: 22}]), or raise the container's nofile limit to at least ${need} (podman run --ulimit nofile=${need}:${need}; on Kubernetes, the container runtime's default)`,
    }));
    return undefined;
  }
  return { ...limits, need, raise: limits.soft < need };
}

/** One line per decision, for `check` and the run's log. */
export function describeNetwork(n: NetworkPlan): string[] {
  const { iface, backend } = n;
  const forwards = portForwards(iface.ports).map((f) => `${f.proto.toUpperCase()} ${f.ports.length ? f.ports.join(', ') : 'every port'}`).join('; ');
  const lines = [
    `interface ${iface.name} (${iface.bindingAsked}, model ${iface.model}${iface.macAddress ? `, MAC ${iface.macAddress}` : ''}) -> passt ${backend.backend} (${backend.why})`,
    iface.masquerade
      ? `guest address ${iface.masquerade.guestAddress}/${iface.masquerade.prefix} by DHCP from passt (KubeVirt's masquerade addressing in ${iface.masquerade.cidr}); DHCP names the pod's own gateway, not ${iface.masquerade.gateway} (passt answers ARP for both); traffic leaves with the pod's IP`
      : 'guest address: the pod\'s own IP and gateway, by DHCP from passt',
    `forwarded from the pod's IP to the guest: ${forwards}${forwardsAll(iface.ports) ? ` (ports below ${n.unprivilegedPortStart} excepted)` : ''}`,
    `passt socket ${n.socketPath} (${Buffer.byteLength(n.socketPath)} of ${MAX_UNIX_SOCKET_PATH} bytes)`,
  ];
  if (n.openFiles) lines.push(`open files: passt needs about ${n.openFiles.need}; soft limit ${n.openFiles.soft}, hard ${n.openFiles.hard}${n.openFiles.raise ? ': run raises the soft limit to the hard one' : ''}`);
  return lines;
}
