// The allow-lists: every key vm-launcher understands, level by level. A key missing here is refused with its path
// (FieldNotSupported), so a manifest never asks for something the launcher would silently not do.
import type { FieldRules, FixHints } from './manifest-reader.js';

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
export const VM_SPEC_FIELDS: FieldRules = {
  accepted: ['template'],
  ignored: {
    runStrategy: 'decides whether a VMI exists; once the launcher runs, it does',
    running: 'decides whether a VMI exists; once the launcher runs, it does',
  },
};

export const VM_TEMPLATE_FIELDS: FieldRules = { accepted: ['metadata', 'spec'] };

export const TEMPLATE_METADATA_FIELDS: FieldRules = {
  accepted: ['labels', 'annotations'],
  ignored: {
    creationTimestamp: WRITTEN_BY_SERVER,
    name: 'KubeVirt names the VMI after its VirtualMachine',
  },
};

export const SPEC_FIELDS: FieldRules = {
  accepted: ['domain', 'volumes', 'networks', 'terminationGracePeriodSeconds'],
  ignored: {
    // Scheduling: Kubernetes honoured these when it placed the pod; nothing is left for the launcher to do.
    nodeSelector: 'honoured by the scheduler when it placed the pod',
    affinity: 'honoured by the scheduler when it placed the pod',
    tolerations: 'honoured by the scheduler when it placed the pod',
    schedulerName: 'honoured by the scheduler when it placed the pod',
    priorityClassName: 'honoured by the scheduler when it placed the pod',
  },
};

export const DOMAIN_FIELDS: FieldRules = { accepted: ['cpu', 'memory', 'resources', 'machine', 'devices'] };
export const CPU_FIELDS: FieldRules = { accepted: ['sockets', 'cores', 'threads'] };
export const MEMORY_FIELDS: FieldRules = { accepted: ['guest'] };
export const RESOURCES_FIELDS: FieldRules = { accepted: ['requests', 'limits'] };
/** requests and limits: only memory; CPU requests/limits would change the vCPU count in KubeVirt. */
export const RESOURCE_LIST_FIELDS: FieldRules = { accepted: ['memory'] };
export const MACHINE_FIELDS: FieldRules = { accepted: ['type'] };

/**
 * autoattach* switches accepted only with the value that matches what vm-launcher always does
 * (no graphics, no balloon, no network, a serial console).
 */
export const AUTOATTACH_BEHAVIOUR: Readonly<Record<string, boolean>> = {
  autoattachGraphicsDevice: false,
  autoattachMemBalloon: false,
  autoattachPodInterface: false,
  autoattachSerialConsole: true,
};

/** `interfaces` is read by vmi-networks.ts, with spec.networks. */
export const DEVICES_FIELDS: FieldRules = { accepted: ['disks', 'interfaces', ...Object.keys(AUTOATTACH_BEHAVIOUR)] };

/** `volumeName` is the compact form of the filesystem-PV design; the rest is KubeVirt's Disk. */
export const DISK_FIELDS: FieldRules = {
  accepted: ['name', 'volumeName', 'disk', 'cdrom', 'bootOrder', 'serial', 'cache', 'io'],
};
export const DISK_TARGET_FIELDS: FieldRules = { accepted: ['bus', 'readonly'] };
export const CDROM_TARGET_FIELDS: FieldRules = { accepted: ['bus', 'readonly'] };

export const VOLUME_FIELDS: FieldRules = { accepted: ['name', 'persistentVolumeClaim', 'hostDisk', 'cloudInitNoCloud', 'cloudInitConfigDrive'] };
export const PVC_FIELDS: FieldRules = { accepted: ['claimName', 'readOnly'] };
export const HOST_DISK_FIELDS: FieldRules = { accepted: ['path', 'type', 'capacity'] };

/** Volume sources that exist in KubeVirt; all but these are refused by name. */
export const SUPPORTED_VOLUME_SOURCES = ['persistentVolumeClaim', 'hostDisk', 'cloudInitNoCloud', 'cloudInitConfigDrive'] as const;

const PVC_INSTEAD = 'put a raw image named disk.img in a PVC (or use a block PVC) and use persistentVolumeClaim';

export const FIX_HINTS: FixHints = {
  containerDisk: PVC_INSTEAD,
  emptyDisk: PVC_INSTEAD,
  ephemeral: PVC_INSTEAD,
  dataVolume: "use the DataVolume's PVC instead: persistentVolumeClaim.claimName set to the DataVolume's name",
  lun: 'use disk (with a block PVC) instead of lun',
  floppy: 'use disk or cdrom instead',
  dataVolumeTemplates: 'create the DataVolume separately and refer to its PVC with persistentVolumeClaim',
  cpu: 'set the vCPU count with spec.domain.cpu sockets/cores/threads; CPU requests and limits are not supported',
  filesystems: 'remove it: virtiofs shares are not implemented yet (README: Sharing a volume with virtiofs); use a disk on the PVC',
};
