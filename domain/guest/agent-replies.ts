// What the guest agent says, parsed defensively: the guest is hostile, so every reply is bounded (size, list
// lengths, string lengths), typed field by field, and anything unexpected is dropped rather than believed. Pure: the
// launcher hands in the text it received (launcher/stack/agent-command.ts) or what libvirt-dbus returned.

/** Longest agent reply read (guest-exec-status output included); larger replies are refused whole. */
export const MAX_AGENT_REPLY_BYTES = 256 * 1024;
/** Strings from the guest are cut to this many characters. */
const MAX_STRING = 256;
/** Lists from the guest (interfaces, addresses, users, filesystems) keep at most this many entries. */
const MAX_ITEMS = 32;

/**
 * The commands KubeVirt requires of an agent (pkg/virt-handler/guestagent.go): without one of them, KubeVirt sets the
 * VMI's AgentConnected condition and adds UnsupportedAgent.
 */
export const REQUIRED_AGENT_COMMANDS = [
  'guest-ping', 'guest-get-time', 'guest-info', 'guest-shutdown', 'guest-network-get-interfaces', 'guest-get-fsinfo',
  'guest-get-host-name', 'guest-get-users', 'guest-get-timezone', 'guest-get-osinfo',
] as const;

export type AgentReply = { ok: true; value: unknown } | { ok: false; error: string };

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
/** A string from the guest, cut and stripped of control characters (it ends up in logs and on terminals). */
export function guestString(v: unknown): string | undefined {
  if (typeof v !== 'string') return undefined;
  // eslint-disable-next-line no-control-regex -- exactly the control characters are what is removed
  return v.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ').slice(0, MAX_STRING);
}
const int = (v: unknown): number | undefined => (typeof v === 'number' && Number.isSafeInteger(v) ? v : undefined);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v.slice(0, MAX_ITEMS) : []);
const defined = <T extends Obj>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

/** The agent's JSON reply (`{"return": ...}` or `{"error": {"class", "desc"}}`), as libvirt passes it on. */
export function parseAgentReply(text: string): AgentReply {
  if (text.length > MAX_AGENT_REPLY_BYTES) return { ok: false, error: `the reply is larger than ${MAX_AGENT_REPLY_BYTES} bytes` };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, error: 'the reply is not JSON' };
  }
  if (!isObj(json)) return { ok: false, error: 'the reply is not a JSON object' };
  if ('return' in json) return { ok: true, value: json['return'] };
  if (isObj(json['error'])) return { ok: false, error: `${guestString(json['error']['class']) ?? 'error'}: ${guestString(json['error']['desc']) ?? ''}` };
  return { ok: false, error: 'the reply has neither return nor error' };
}

export interface AgentVersion { version: string; supported: string[]; missing: string[] }

/** guest-info: the agent's version, the commands it has enabled, and which of KubeVirt's required ones it lacks. */
export function parseGuestInfo(v: unknown): AgentVersion | undefined {
  if (!isObj(v)) return undefined;
  const commands = Array.isArray(v['supported_commands']) ? v['supported_commands'].slice(0, 512) : [];
  const supported = commands.flatMap((c) => (isObj(c) && c['enabled'] === true && typeof c['name'] === 'string' ? [c['name'].slice(0, 64)] : []));
  const have = new Set(supported);
  return { version: guestString(v['version']) ?? 'unknown', supported, missing: REQUIRED_AGENT_COMMANDS.filter((c) => !have.has(c)) };
}

export interface GuestOs { name?: string; prettyName?: string; version?: string; versionId?: string; id?: string; kernelRelease?: string; kernelVersion?: string; machine?: string }

/** guest-get-osinfo (the fields KubeVirt's VirtualMachineInstanceGuestOSInfo has). */
export function parseOsInfo(v: unknown): GuestOs | undefined {
  if (!isObj(v)) return undefined;
  return defined({
    name: guestString(v['name']), prettyName: guestString(v['pretty-name']), version: guestString(v['version']),
    versionId: guestString(v['version-id']), id: guestString(v['id']), kernelRelease: guestString(v['kernel-release']),
    kernelVersion: guestString(v['kernel-version']), machine: guestString(v['machine']),
  });
}

export interface GuestTimezone { zone?: string; offsetSeconds: number }

/** guest-get-timezone: `{zone?, offset}`, the offset in seconds east of UTC. */
export function parseTimezone(v: unknown): GuestTimezone | undefined {
  if (!isObj(v)) return undefined;
  const offset = int(v['offset']);
  return offset === undefined ? undefined : defined({ zone: guestString(v['zone']), offsetSeconds: offset });
}

export interface GuestUser { name: string; domain?: string; loginTime?: number }

/** guest-get-users: who is logged in (login-time in seconds since the epoch, a float). */
export function parseUsers(v: unknown): GuestUser[] {
  return list(v).flatMap((u) => {
    const name = isObj(u) ? guestString(u['user']) : undefined;
    if (!isObj(u) || name === undefined) return [];
    const t = u['login-time'];
    return [defined({ name, domain: guestString(u['domain']), loginTime: typeof t === 'number' && Number.isFinite(t) ? Math.floor(t) : undefined })];
  });
}

export interface GuestInterface { name: string; mac?: string; addresses: Array<{ family: 'ipv4' | 'ipv6'; address: string; prefix: number }> }

/**
 * libvirt-dbus InterfaceAddresses (source agent): `a(ssa(isu))`, name, hardware address, then (type 0 ipv4 / 1 ipv6,
 * address, prefix). The guest decides every value; loopback is dropped as KubeVirt does.
 */
export function parseInterfaces(v: unknown): GuestInterface[] {
  return list(v).flatMap((entry) => {
    if (!Array.isArray(entry)) return [];
    const [rawName, rawMac, rawAddrs] = entry as unknown[];
    const name = guestString(rawName);
    if (name === undefined || name === 'lo') return [];
    const addresses = list(rawAddrs).flatMap((a) => {
      if (!Array.isArray(a)) return [];
      const [type, address, prefix] = a as unknown[];
      const family = type === 0 ? 'ipv4' as const : type === 1 ? 'ipv6' as const : undefined;
      const addr = guestString(address);
      const p = int(prefix);
      return family && addr && /^[0-9a-fA-F:.%a-z0-9-]{2,64}$/.test(addr) && p !== undefined && p >= 0 && p <= 128 ? [{ family, address: addr, prefix: p }] : [];
    });
    const mac = guestString(rawMac);
    return [{ name, ...(mac && { mac }), addresses }];
  });
}

export interface GuestFilesystem { mountPoint: string; device: string; type: string; disks: string[] }

/** libvirt-dbus GetFSInfo: `a(sssas)`, mount point, device name, filesystem type, the domain's disk targets. */
export function parseFsInfo(v: unknown): GuestFilesystem[] {
  return list(v).flatMap((entry) => {
    if (!Array.isArray(entry)) return [];
    const [mount, device, type, disks] = entry as unknown[];
    const mountPoint = guestString(mount);
    if (mountPoint === undefined) return [];
    return [{ mountPoint, device: guestString(device) ?? '', type: guestString(type) ?? '', disks: list(disks).flatMap((d) => guestString(d) ?? []) }];
  });
}

/** guest-exec: the pid of the started process. */
export function parseExecStarted(v: unknown): number | undefined {
  return isObj(v) ? int(v['pid']) : undefined;
}

export interface ExecStatus { exited: boolean; exitCode?: number; signal?: number; output: string }

/** guest-exec-status: whether it ended, its exit code, and its output (base64 in the reply; cut for the log). */
export function parseExecStatus(v: unknown): ExecStatus | undefined {
  if (!isObj(v) || typeof v['exited'] !== 'boolean') return undefined;
  const decode = (d: unknown) => (typeof d === 'string' ? Buffer.from(d.slice(0, 8192), 'base64').toString('utf8') : '');
  const output = `${decode(v['out-data'])}${decode(v['err-data'])}`;
  return defined({ exited: v['exited'], exitCode: int(v['exitcode']), signal: int(v['signal']), output: guestString(output.trim()) ?? '' });
}
