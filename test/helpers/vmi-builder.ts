// The one VirtualMachineInstance unit tests start from: valid as built (one virtio disk on a claim), so a test states
// only the part it changes. Raw manifests on purpose (`Doc`): tests poke at fields the parser must refuse.
import { parseVmi } from '../../domain/manifest/index.js';
import type { VmSpec } from '../../domain/model/index.js';

export type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- tests poke at raw manifests

export interface VmiParts {
  /** metadata.name (default vm1); namespace, uid and annotations only when given. */
  name?: string;
  namespace?: string;
  uid?: string;
  annotations?: Record<string, string>;
  /** spec.domain.memory.guest (default 128Mi). */
  memory?: string;
  /** spec.domain.devices.disks (default one disk, rootdisk). */
  disks?: unknown[];
  /** spec.volumes (default rootdisk on the claim root). */
  volumes?: unknown[];
  /** More of spec.domain.devices (interfaces, filesystems, tpm, ...). */
  devices?: Doc;
  /** More of spec.domain (cpu, firmware, features, ...). */
  domain?: Doc;
  /** More of spec (networks, scheduler fields, ...). */
  spec?: Doc;
}

/** A volume on a PersistentVolumeClaim (the claim named like the volume unless said). */
export const pvc = (name: string, claimName = name, extra: Doc = {}): Doc => ({ name, persistentVolumeClaim: { claimName, ...extra } });

export function vmi(p: VmiParts = {}): Doc {
  const metadata: Doc = { name: p.name ?? 'vm1' };
  if (p.namespace !== undefined) metadata['namespace'] = p.namespace;
  if (p.uid !== undefined) metadata['uid'] = p.uid;
  if (p.annotations !== undefined) metadata['annotations'] = p.annotations;
  return {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachineInstance',
    metadata,
    spec: {
      domain: { memory: { guest: p.memory ?? '128Mi' }, devices: { disks: p.disks ?? [{ name: 'rootdisk' }], ...p.devices }, ...p.domain },
      ...p.spec,
      volumes: p.volumes ?? [pvc('rootdisk', 'root')],
    },
  };
}

/** The manifest's lists, to change in place. */
export const disksOf = (d: Doc): Doc[] => d['spec'].domain.devices.disks;
export const volumesOf = (d: Doc): Doc[] => d['spec'].volumes;

/** The VmSpec of a manifest the test expects to be accepted; its problems in the error when it is not. */
export function acceptedSpec(doc: Doc): VmSpec {
  const r = parseVmi(doc);
  if (!r.spec) throw new Error(JSON.stringify(r.problems));
  return r.spec;
}

/** A VMI (namespace ns) with one interface on one pod network: masquerade on default unless said. */
export const oneNicVmi = (iface: Doc = { name: 'default', masquerade: {} }, networks: unknown[] = [{ name: 'default', pod: {} }]): Doc =>
  vmi({ namespace: 'ns', devices: { interfaces: [iface] }, spec: { networks } });
