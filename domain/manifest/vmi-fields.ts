// The allow-lists: every key vm-launcher understands, level by level. A key missing here is refused with its path
// (FieldNotSupported), so a manifest never asks for something the launcher would silently not do.
import type { FieldRules, FixHints } from './manifest-reader.js';
import { SCHEDULER_FIELDS } from './cluster-fields.js';
import { DISK_EXTRA_KEYS, HARDWARE_DEVICE_KEYS, HARDWARE_DOMAIN_KEYS } from '../model/index.js';

const WRITTEN_BY_SERVER = 'written by the API server; nothing for the VM';

export const ROOT_FIELDS: FieldRules = {
  accepted: ['apiVersion', 'kind', 'metadata', 'spec'],
  ignored: { status: 'written by KubeVirt; the launcher reports its own' },
};

export const METADATA_FIELDS: FieldRules = {
  accepted: ['name', 'namespace', 'uid', 'labels', 'annotations'],
  ignored: {
    creationTimestamp: WRITTEN_BY_SERVER,
    generation: WRITTEN_BY_SERVER,
    resourceVersion: WRITTEN_BY_SERVER,
    selfLink: WRITTEN_BY_SERVER,
    managedFields: WRITTEN_BY_SERVER,
    finalizers: 'Kubernetes object lifecycle; no effect inside the pod',
    ownerReferences: 'Kubernetes object lifecycle; no effect inside the pod',
  },
};

/** spec of a VirtualMachine: only its template matters to the VM that runs. */
export const VM_SPEC_FIELDS: FieldRules = { accepted: ['template', 'runStrategy', 'running'] };
// spec.instancetype and spec.preference are expanded into the template (instancetype-expand.ts) before this is read.

export const VM_TEMPLATE_FIELDS: FieldRules = { accepted: ['metadata', 'spec'] };

export const TEMPLATE_METADATA_FIELDS: FieldRules = {
  accepted: ['labels', 'annotations'],
  ignored: {
    creationTimestamp: WRITTEN_BY_SERVER,
    name: 'KubeVirt names the VMI after its VirtualMachine',
  },
};

export const SPEC_FIELDS: FieldRules = {
  accepted: ['domain', 'volumes', 'networks', 'terminationGracePeriodSeconds', 'readinessProbe', 'livenessProbe', 'architecture', 'accessCredentials'],
  // Scheduling: Kubernetes honoured these when it placed the pod; listed as notes (cluster-fields.ts).
  ignored: SCHEDULER_FIELDS,
};

export const DOMAIN_FIELDS: FieldRules = { accepted: ['cpu', 'memory', 'resources', 'machine', 'devices', ...HARDWARE_DOMAIN_KEYS] };
export const CPU_FIELDS: FieldRules = { accepted: ['sockets', 'cores', 'threads', 'model'] };
export const MEMORY_FIELDS: FieldRules = { accepted: ['guest'] };
export const RESOURCES_FIELDS: FieldRules = { accepted: ['requests', 'limits'] };
/** requests and limits: only memory; CPU requests/limits would change the vCPU count in KubeVirt. */
export const RESOURCE_LIST_FIELDS: FieldRules = { accepted: ['memory'] };
export const MACHINE_FIELDS: FieldRules = { accepted: ['type'] };

/**
 * autoattach* switches accepted only with the value that matches what vm-launcher always does (no network).
 * The others (serial console, balloon, graphics) are read in vmi-hardware.ts.
 */
export const AUTOATTACH_BEHAVIOUR: Readonly<Record<string, boolean>> = {
  autoattachPodInterface: false,
};

/** `interfaces` is read by vmi-networks.ts, with spec.networks; `filesystems` by vmi-filesystems.ts; the hardware keys by vmi-hardware.ts. */
export const DEVICES_FIELDS: FieldRules = { accepted: ['disks', 'interfaces', 'filesystems', ...Object.keys(AUTOATTACH_BEHAVIOUR), ...HARDWARE_DEVICE_KEYS] };

/** A virtiofs share: KubeVirt's Filesystem is a name and an empty `virtiofs` object. */
export const FILESYSTEM_FIELDS: FieldRules = { accepted: ['name', 'virtiofs'] };
export const VIRTIOFS_FIELDS: FieldRules = { accepted: [] };

/** `volumeName` is the compact form of the filesystem-PV design; the rest is KubeVirt's Disk. */
export const DISK_FIELDS: FieldRules = {
  accepted: ['name', 'volumeName', 'disk', 'cdrom', 'bootOrder', 'serial', 'cache', 'io', ...DISK_EXTRA_KEYS],
};
export const DISK_TARGET_FIELDS: FieldRules = { accepted: ['bus', 'readonly'] };
export const CDROM_TARGET_FIELDS: FieldRules = { accepted: ['bus', 'readonly'] };

export const VOLUME_FIELDS: FieldRules = {
  accepted: ['name', 'persistentVolumeClaim', 'hostDisk', 'cloudInitNoCloud', 'cloudInitConfigDrive', 'emptyDisk', 'ephemeral'],
};
export const PVC_FIELDS: FieldRules = { accepted: ['claimName', 'readOnly', 'hotpluggable'] };
export const HOST_DISK_FIELDS: FieldRules = { accepted: ['path', 'type', 'capacity'] };

/** Volume sources that exist in KubeVirt; all but these are refused by name. */
export const SUPPORTED_VOLUME_SOURCES = ['persistentVolumeClaim', 'hostDisk', 'cloudInitNoCloud', 'cloudInitConfigDrive', 'emptyDisk', 'ephemeral'] as const;

export const FIX_HINTS: FixHints = {
  lun: 'use disk (with a block PVC) instead of lun',
  floppy: 'use disk or cdrom instead',
  cpu: 'set the vCPU count with spec.domain.cpu sockets/cores/threads; CPU requests and limits are not supported',
};
