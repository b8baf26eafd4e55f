// The network decision tables: how the guest's one NIC reaches the pod network through passt. Pure functions of
// plain values (what the manifest asks for, what the host's libvirt accepts, the pod's limits), each decided once
// here and carried to the domain, `check` and the run.
import { Reason } from '../reasons.js';
import type { Decision } from './disk-policy.js';
import type { InterfaceModel, PortSpec } from '../manifest/vmi-networks.js';

/**
 * KubeVirt's masquerade addressing inside the VM network CIDR: the gateway is the network's first address, the
 * guest the second (10.0.2.1 and 10.0.2.2 in the default 10.0.2.0/24).
 */
export interface MasqueradeAddressing { cidr: string; prefix: number; gateway: string; guestAddress: string }

export const DEFAULT_VM_NETWORK_CIDR = '10.0.2.0/24';

const ok = <T>(value: T): Decision<T> => ({ ok: true, value });

function parseIpv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255)) return undefined;
  return parts.reduce((n, p) => n * 256 + Number(p), 0);
}

const formatIpv4 = (n: number): string => [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');

/** Networks whose first addresses cannot be a gateway's or a guest's: [start, prefix bits, what]. */
const NOT_UNICAST: ReadonlyArray<[start: number, bits: number, what: string]> = [
  [0, 8, '0.0.0.0/8 ("this network")'], [127 * 2 ** 24, 8, '127.0.0.0/8 (loopback)'], [224 * 2 ** 24, 3, '224.0.0.0/3 (multicast and reserved)'],
];

export function masqueradeAddressing(cidr: string = DEFAULT_VM_NETWORK_CIDR): Decision<MasqueradeAddressing> {
  const m = /^([0-9.]+)\/(\d{1,2})$/.exec(cidr);
  const address = m ? parseIpv4(m[1]!) : undefined;
  const prefix = m ? Number(m[2]) : NaN;
  const fix = `write an IPv4 CIDR with room for a gateway and the guest, such as ${DEFAULT_VM_NETWORK_CIDR} (at most /30)`;
  if (address === undefined || !(prefix >= 0 && prefix <= 32)) return { ok: false, reason: Reason.FieldInvalid, message: `${JSON.stringify(cidr)} is not an IPv4 CIDR`, fix };
  if (prefix > 30) return { ok: false, reason: Reason.FieldInvalid, message: `${cidr} has fewer than 4 addresses: no room for a gateway and the guest`, fix };
  const size = 2 ** (32 - prefix);
  const network = address - (address % size);
  const special = NOT_UNICAST.find(([start, bits]) => Math.floor(network / 2 ** (32 - bits)) === start / 2 ** (32 - bits));
  if (special) {
    return { ok: false, reason: Reason.FieldInvalid, message: `${cidr} starts in ${special[2]}: the gateway and the guest need unicast addresses`, fix };
  }
  return ok({ cidr: `${formatIpv4(network)}/${prefix}`, prefix, gateway: formatIpv4(network + 1), guestAddress: formatIpv4(network + 2) });
}

// ---------------------------------------------------------------------------------------------- the backend
/**
 * vhost-user: QEMU and passt share the guest's memory (memfd) and packets skip a copy through a socket: KubeVirt's
 * choice and the fastest. user: passt behind QEMU's stream netdev; needs no shared memory and works with any model.
 */
export type PasstBackend = 'vhost-user' | 'user';
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
