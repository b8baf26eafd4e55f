// What a cloud-init seed holds, as KubeVirt builds it: an ISO9660 volume labelled `cidata` (NoCloud: user-data,
// meta-data, network-config) or `config-2` (ConfigDrive: openstack/latest/user_data, meta_data.json,
// network_data.json). The instance id never changes between starts of the same VM, so cloud-init runs its
// first-boot modules once:
// - NoCloud: the firmware UUID when given (KubeVirt's choice; it is also the domain's UUID), else the domain's
//   stable UUID (the VMI's uid, else derived from namespace/name).
// - ConfigDrive: `<name>.<namespace>`, KubeVirt's own choice, so a VM moved from KubeVirt keeps its instance.
import type { CloudInitDataSource, CloudInitSpec, VmSpec } from '../model/index.js';
import { domainUuid } from './uuid.js';

export interface SeedFile { path: string; data: Buffer; /** where the bytes come from, for `check` */ from: string }

export interface SeedPlan {
  volume: string;
  dataSource: CloudInitDataSource;
  label: 'cidata' | 'config-2';
  /** The ISO in the runtime dir. */
  path: string;
  instanceId: string;
  hostname: string;
  files: SeedFile[];
}

export interface SeedInputs {
  path: string;
  userData?: { data: Buffer; from: string };
  networkData?: { data: Buffer; from: string };
  /** accessCredentials' SSH keys (convert/ssh-public-keys.ts checked them), in order, and where they came from. */
  publicKeys?: { keys: readonly string[]; from: string };
}

/** KubeVirt's hostname: the VMI name up to its first dot, at most 63 characters. */
export const seedHostname = (name: string): string => (name.split('.')[0] ?? name).slice(0, 63);

export function planSeed(spec: VmSpec, ci: CloudInitSpec, inputs: SeedInputs): SeedPlan {
  const hostname = seedHostname(spec.name);
  const uuid = spec.hardware?.firmware.uuid ?? domainUuid(spec);
  const json = (value: object): Buffer => Buffer.from(JSON.stringify(value));
  const user = { data: inputs.userData?.data ?? Buffer.alloc(0), from: inputs.userData?.from ?? 'empty: no user data' };
  const base = { volume: ci.volumeName, dataSource: ci.dataSource, path: inputs.path, hostname };
  const keys = publicKeysMap(inputs.publicKeys?.keys ?? []);
  const metaFrom = keys ? `vm-launcher, with ${inputs.publicKeys!.keys.length} SSH public key(s) from ${inputs.publicKeys!.from}` : 'vm-launcher';
  if (ci.dataSource === 'noCloud') {
    const instanceId = uuid;
    return {
      ...base, label: 'cidata', instanceId,
      files: [
        { path: 'meta-data', data: json({ 'instance-id': instanceId, 'local-hostname': hostname, ...(keys && { 'public-keys': keys }) }), from: metaFrom },
        { path: 'user-data', ...user },
        ...(inputs.networkData ? [{ path: 'network-config', ...inputs.networkData }] : []),
      ],
    };
  }
  const instanceId = `${spec.name}.${spec.namespace}`;
  return {
    ...base, label: 'config-2', instanceId,
    files: [
      { path: 'openstack/latest/meta_data.json', data: json({ instance_id: instanceId, hostname, uuid, ...(keys && { public_keys: keys }) }), from: metaFrom },
      { path: 'openstack/latest/user_data', ...user },
      ...(inputs.networkData ? [{ path: 'openstack/latest/network_data.json', ...inputs.networkData }] : []),
    ],
  };
}

/**
 * KubeVirt's metadata map of SSH keys (cloud-init.go, resolveSSHPublicKeys): "0", "1", ... in the order of
 * accessCredentials, then of the files in each Secret; omitted when empty (omitempty). NoCloud calls it
 * `public-keys`, ConfigDrive `public_keys`; cloud-init installs them for the default user.
 */
function publicKeysMap(keys: readonly string[]): Record<string, string> | undefined {
  return keys.length === 0 ? undefined : Object.fromEntries(keys.map((k, i) => [String(i), k]));
}

/** One line for `check` and the run's log. */
export function describeSeed(s: SeedPlan): string {
  const files = s.files.map((f) => `${f.path} ${f.data.length} B (${f.from})`).join(', ');
  return `${s.volume}: ${s.dataSource === 'noCloud' ? 'NoCloud' : 'ConfigDrive'} seed labelled ${s.label} at ${s.path}, instance-id ${s.instanceId}, hostname ${s.hostname}: ${files}; built by run with xorrisofs`;
}
