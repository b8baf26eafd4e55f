// The network decision tables: how the guest's one NIC reaches the pod network through passt. Pure functions of
// plain values (what the manifest asks for, what the host's libvirt accepts, the pod's limits), each decided once
// here and carried to the domain, `check` and the run.
import { Reason } from '../reasons.js';
import type { Decision, InterfaceModel, PasstBackend, PortSpec } from '../model/index.js';



const ok = <T>(value: T): Decision<T> => ({ ok: true, value });

// ---------------------------------------------------------------------------------------------- the backend
/** auto: vhost-user where the model and libvirt allow it (the backends: domain/model/network.ts). */
export type PasstMode = 'auto' | PasstBackend;
export const PASST_MODES: readonly PasstMode[] = ['auto', 'vhost-user', 'user'];

/** What the host's libvirt accepts (launcher/inspect asks it). */
export interface LibvirtPasstSupport { user: boolean; vhostUser: boolean; version?: string }

export interface BackendChoice { backend: PasstBackend; why: string }

export function choosePasstBackend(mode: PasstMode, model: InterfaceModel, support: LibvirtPasstSupport): Decision<BackendChoice> {
  const libvirt = `this libvirt${support.version ? ` (${support.version})` : ''}`;
  const unsupported = (what: string): Decision<BackendChoice> => ({
    ok: false, reason: Reason.PasstUnsupportedByLibvirt,
    message: `${libvirt} refuses ${what} (Debian bookworm's libvirt 9.0 has passt disabled by a Debian patch)`,
    fix: 'run the vm-launcher image (Debian trixie, libvirt 11), or a host with libvirt 11.1 or later',
  });
  if (mode === 'vhost-user' || (mode === 'auto' && model === 'virtio' && support.vhostUser)) {
    if (model !== 'virtio') {
      return { ok: false, reason: Reason.FieldInvalid, message: `vhost-user needs the virtio model, not ${model}`, fix: 'remove model (virtio is the default), or use --passt-mode user' };
    }
    if (!support.vhostUser) return unsupported("passt over vhost-user (<interface type='vhostuser'><backend type='passt'/>)");
    return ok({ backend: 'vhost-user', why: mode === 'auto' ? 'auto: virtio model and libvirt accepts passt over vhost-user' : '--passt-mode vhost-user' });
  }
  if (!support.user) return unsupported("passt (<interface type='user'><backend type='passt'/>)");
  if (mode === 'user') return ok({ backend: 'user', why: '--passt-mode user' });
  return ok({ backend: 'user', why: model !== 'virtio' ? `auto: vhost-user needs the virtio model, not ${model}` : 'auto: libvirt does not accept passt over vhost-user' });
}

// ---------------------------------------------------------------------------------------------- ports
/** One `<portForward>`: the ports of one protocol; empty means every port (passt's `all`). */
export interface PortForward { proto: 'tcp' | 'udp'; ports: number[] }

/** KubeVirt's rule: listed ports are forwarded by protocol; no ports at all means every TCP and UDP port. */
export function portForwards(ports: readonly PortSpec[]): PortForward[] {
  if (ports.length === 0) return [{ proto: 'tcp', ports: [] }, { proto: 'udp', ports: [] }];
  return (['tcp', 'udp'] as const)
    .map((proto) => ({ proto, ports: ports.filter((p) => p.protocol === proto).map((p) => p.port) }))
    .filter((f) => f.ports.length > 0);
}

/** passt's `all` binds every port below 49152 (the ephemeral range starts there), once per protocol. */
export const FORWARD_ALL_FIRST_EPHEMERAL = 49152;
/**
 * Open files passt needs to forward every TCP and UDP port: one socket per port and protocol (measured: 1,000 TCP
 * ports need 1,008 open files), plus room for its own files and the guest's connections.
 */
export const FORWARD_ALL_OPEN_FILES = 2 * FORWARD_ALL_FIRST_EPHEMERAL + 1024;

export const forwardsAll = (ports: readonly PortSpec[]): boolean => ports.length === 0;

// ---------------------------------------------------------------------------------------------- names and paths
/** libvirt's user alias for the interface (KubeVirt's `ua-<name>`); it also names passt's socket. */
export const interfaceAlias = (name: string): string => `ua-${name}`;

/** Unix socket paths hold at most 107 bytes (sun_path is 108 with its NUL). */
export const MAX_UNIX_SOCKET_PATH = 107;

/**
 * Where libvirt (session mode) puts passt's socket: `$XDG_RUNTIME_DIR/libvirt/qemu/run/passt/<id>-<first 20
 * characters of the domain name>-<alias>.socket`. The domain id counts starts of the private libvirtd, which starts
 * one domain: three digits leave room to spare.
 */
export function passtSocketPath(xdgRuntimeDir: string, domainName: string, alias: string, domainId = '999'): string {
  return `${xdgRuntimeDir}/libvirt/qemu/run/passt/${domainId}-${[...domainName].slice(0, 20).join('')}-${alias}.socket`;
}
