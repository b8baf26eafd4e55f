// spec.volumes: where each disk's bytes come from. Only PVCs and hostDisk are supported; every other source is
// refused by name. A volume name is checked as a DNS-1123 label here, before it can ever become a path.
import { problem } from '../problem.js';
import { Reason } from '../reasons.js';
import { isDns1123Label } from './names.js';
import { parseQuantity } from './quantity.js';
import {
  fieldPath, parseObjects, readBoolean, readEnum, readObject, readString, refuseUnknownKeys, type Obj, type Problems,
} from './manifest-reader.js';
import { clusterFieldProblem, HOTPLUG } from './cluster-fields.js';
import { parseEmptyDisk, parseEphemeral } from './vmi-created-disks.js';
import { FIX_HINTS, HOST_DISK_FIELDS, PVC_FIELDS, SUPPORTED_VOLUME_SOURCES, VOLUME_FIELDS } from './vmi-fields.js';
import { CLOUD_INIT_SOURCES, parseCloudInit } from './vmi-cloud-init.js';
import type { VolumeSource } from '../model/index.js';

export interface ParsedVolume {
  name: string;
  field: string;
  source?: VolumeSource;
}

export function parseVolumes(problems: Problems, list: unknown[], path: string): ParsedVolume[] {
  const kind = { what: 'volume', fix: 'give each volume a name and a source', rules: VOLUME_FIELDS, hints: FIX_HINTS };
  return parseObjects(problems, list, path, kind, (item, field) => parseVolume(problems, item, field));
}

function parseVolume(problems: Problems, item: Obj, field: string): ParsedVolume | undefined {
  const name = readString(problems, item, 'name', field);
  if (name === undefined) {
    if (item['name'] === undefined || item['name'] === null) {
      problems.push(problem(Reason.FieldMissing, `${field}.name: a volume needs a name`, { field: `${field}.name`, fix: 'name the volume after its disk' }));
    }
    return undefined;
  }
  if (!isDns1123Label(name)) {
    problems.push(problem(Reason.VolumeNameInvalid, `${field}.name: volume name ${JSON.stringify(name)} is not a DNS-1123 label`, {
      field: `${field}.name`, volume: name,
      fix: 'use at most 63 lowercase letters, digits and dashes, starting and ending with a letter or digit',
    }));
  }
  return { name, field, source: parseSource(problems, item, field, name) };
}

function parseSource(problems: Problems, item: Obj, field: string, volume: string): VolumeSource | undefined {
  const present = Object.keys(item).filter((k) => k !== 'name' && item[k] !== null && item[k] !== undefined);
  if (present.length === 0) {
    problems.push(problem(Reason.FieldMissing, `${field}: volume ${volume} has no source`, {
      field, volume, fix: 'add persistentVolumeClaim or hostDisk',
    }));
    return undefined;
  }
  if (present.length > 1) {
    problems.push(problem(Reason.FieldInvalid, `${field}: volume ${volume} has more than one source (${present.join(', ')})`, {
      field, volume, fix: 'keep exactly one source per volume',
    }));
    return { kind: 'refused' };
  }
  const key = present[0] ?? '';
  if (!(SUPPORTED_VOLUME_SOURCES as readonly string[]).includes(key)) return { kind: 'refused' }; // reported by refuseUnknownKeys
  if (key in CLOUD_INIT_SOURCES) {
    const cloudInit = parseCloudInit(problems, item, field, volume, key);
    return cloudInit && { kind: 'cloudInit', cloudInit };
  }
  if (key === 'emptyDisk') return parseEmptyDisk(problems, item, field, volume);
  if (key === 'ephemeral') return parseEphemeral(problems, item, field, volume, parsePvc);
  return key === 'hostDisk' ? parseHostDisk(problems, item, field, volume) : parsePvc(problems, item, field, volume);
}

/** `persistentVolumeClaim: {claimName, readOnly}`, or the compact form's `persistentVolumeClaim: my-claim`. */
function parsePvc(problems: Problems, item: Obj, field: string, volume: string): Extract<VolumeSource, { kind: 'pvc' }> | undefined {
  const pvcField = fieldPath(field, 'persistentVolumeClaim');
  const raw = item['persistentVolumeClaim'];
  if (typeof raw === 'string') return claimOrProblem(problems, raw, pvcField, volume, false);
  const pvc = readObject(problems, item, 'persistentVolumeClaim', field);
  if (!pvc) return undefined;
  refuseUnknownKeys(problems, pvc, pvcField, PVC_FIELDS, FIX_HINTS);
  const readOnly = readBoolean(problems, pvc, 'readOnly', pvcField) ?? false;
  if (readBoolean(problems, pvc, 'hotpluggable', pvcField) === true) problems.push(clusterFieldProblem('hotpluggable', `${pvcField}.hotpluggable`, HOTPLUG)!);
  const claimName = readString(problems, pvc, 'claimName', pvcField);
  if (claimName === undefined && (pvc['claimName'] === undefined || pvc['claimName'] === null)) {
    problems.push(problem(Reason.FieldMissing, `${pvcField}.claimName: missing`, { field: `${pvcField}.claimName`, volume, fix: 'name the PVC that holds the disk' }));
    return undefined;
  }
  return claimName === undefined ? undefined : claimOrProblem(problems, claimName, `${pvcField}.claimName`, volume, readOnly);
}

function claimOrProblem(problems: Problems, claimName: string, field: string, volume: string, readOnly: boolean): Extract<VolumeSource, { kind: 'pvc' }> | undefined {
  if (claimName !== '') return { kind: 'pvc', claimName, readOnly };
  problems.push(problem(Reason.FieldInvalid, `${field}: the claim name is empty`, { field, volume, fix: 'name the PVC that holds the disk' }));
  return undefined;
}

function parseHostDisk(problems: Problems, item: Obj, field: string, volume: string): VolumeSource | undefined {
  const hd = readObject(problems, item, 'hostDisk', field);
  if (!hd) return undefined;
  const hdField = fieldPath(field, 'hostDisk');
  refuseUnknownKeys(problems, hd, hdField, HOST_DISK_FIELDS, FIX_HINTS);
  // DiskOrCreate: a missing image is created in the path's directory, of `capacity` (launcher/inspect/missing-image.ts).
  const type = readEnum(problems, hd, 'type', hdField, ['Disk', 'DiskOrCreate'] as const);
  if (hd['type'] === undefined || hd['type'] === null) {
    problems.push(problem(Reason.FieldMissing, `${hdField}.type: missing`, { field: `${hdField}.type`, volume, fix: 'set type: Disk' }));
  }
  const capacity = hd['capacity'];
  const capacityBytes = typeof capacity === 'string' || typeof capacity === 'number' ? parseQuantity(capacity) : undefined;
  if (capacity !== undefined && capacity !== null && capacityBytes === undefined) {
    problems.push(problem(Reason.FieldInvalid, `${hdField}.capacity: ${JSON.stringify(capacity)} is not a quantity`, {
      field: `${hdField}.capacity`, volume, fix: 'write a Kubernetes quantity such as 10Gi',
    }));
  }
  const path = readString(problems, hd, 'path', hdField);
  if (path === undefined) {
    if (hd['path'] === undefined || hd['path'] === null) {
      problems.push(problem(Reason.FieldMissing, `${hdField}.path: missing`, { field: `${hdField}.path`, volume, fix: 'give the absolute path of the image inside the pod' }));
    }
    return undefined;
  }
  const why = hostDiskPathProblem(path);
  if (why) {
    problems.push(problem(Reason.HostDiskPathInvalid, `${hdField}.path: ${JSON.stringify(path)} ${why}`, {
      field: `${hdField}.path`, volume, fix: 'write an absolute, normalized path such as /var/data/disk.img',
    }));
    return undefined;
  }
  return type === undefined ? undefined : { kind: 'hostDisk', path, create: type === 'DiskOrCreate', ...(capacityBytes !== undefined && { capacityBytes }) };
}

/** Why a hostDisk path is unsafe or ambiguous, or undefined when it is absolute and normalized. */
export function hostDiskPathProblem(path: string): string | undefined {
  if (path.includes('\0')) return 'contains a NUL byte';
  // eslint-disable-next-line no-control-regex -- refusing control characters is the point
  if (/[\x01-\x1f\x7f]/.test(path)) return 'contains a control character';
  if (!path.startsWith('/')) return 'is not absolute';
  if (path === '/' || path.endsWith('/')) return 'names a directory, not a file';
  const segments = path.slice(1).split('/');
  if (segments.includes('..')) return 'contains a .. segment';
  if (segments.includes('.') || segments.includes('')) return 'is not normalized (. or empty segments)';
  return undefined;
}
