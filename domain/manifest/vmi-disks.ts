// spec.domain.devices.disks: how the guest sees each volume (disk or CD-ROM, bus, boot order, serial, cache, io).
import { problem } from '../problem.js';
import { Reason } from '../reasons.js';
import { isDiskSerial } from './names.js';
import type { Bus, CacheMode, IoMode, DiskExtras } from '../model/index.js';
import {
  fieldPath, parseObjects, readBoolean, readEnum, readInteger, readObject, readString, refuseUnknownKeys, type Obj, type Problems,
} from './manifest-reader.js';
import { parseDiskExtras } from './vmi-disk-extras.js';
import { CDROM_TARGET_FIELDS, DISK_FIELDS, DISK_TARGET_FIELDS, FIX_HINTS } from './vmi-fields.js';

export interface ParsedDisk {
  name: string;
  /** The volume this disk uses: `volumeName` (compact form) or, as in KubeVirt, its own name. */
  volumeName: string;
  /** Path of the field that names the volume, for matching problems. */
  volumeField: string;
  field: string;
  device: 'disk' | 'cdrom';
  bus: Bus;
  readonly: boolean;
  bootOrder?: number;
  serial?: string;
  cache?: CacheMode;
  io?: IoMode;
  /** dedicatedIOThread, blockSize, errorPolicy, shareable (vmi-disk-extras.ts). */
  extras?: DiskExtras;
}

const BUSES = ['virtio', 'sata', 'scsi'] as const;
const CDROM_BUSES = ['sata', 'scsi'] as const;
const CACHE_MODES = ['none', 'writethrough', 'writeback'] as const;
// KubeVirt's API knows native and threads only; io_uring is not a KubeVirt value, so it is refused.
const IO_MODES = ['native', 'threads'] as const;

export function parseDisks(problems: Problems, list: unknown[], path: string): ParsedDisk[] {
  const kind = { what: 'disk', fix: 'give each disk a name and a disk or cdrom target', rules: DISK_FIELDS, hints: FIX_HINTS };
  return parseObjects(problems, list, path, kind, (item, field) => parseDisk(problems, item, field));
}

function parseDisk(problems: Problems, item: Obj, field: string): ParsedDisk | undefined {
  const target = parseTarget(problems, item, field);
  const bootOrder = readInteger(problems, item, 'bootOrder', field, 1);
  const serial = readSerial(problems, item, field);
  const cache = readEnum(problems, item, 'cache', field, CACHE_MODES);
  const io = readEnum(problems, item, 'io', field, IO_MODES);
  const extras = parseDiskExtras(problems, item, field);
  const name = readString(problems, item, 'name', field);
  const volumeName = readString(problems, item, 'volumeName', field);
  if (name === undefined || name === '') {
    if (name === '' || item['name'] === undefined || item['name'] === null) {
      problems.push(problem(Reason.FieldMissing, `${field}.name: a disk needs a name`, {
        field: `${field}.name`, fix: 'name the disk after the volume that backs it',
      }));
    }
    return undefined;
  }
  return {
    name,
    volumeName: volumeName ?? name,
    volumeField: fieldPath(field, volumeName === undefined ? 'name' : 'volumeName'),
    field,
    ...target,
    ...(bootOrder !== undefined && { bootOrder }),
    ...(serial !== undefined && { serial }),
    ...(cache !== undefined && { cache }),
    ...(io !== undefined && { io }),
    ...(Object.keys(extras).length > 0 && { extras }),
  };
}

/** `disk:` or `cdrom:`; neither means a virtio disk, as in KubeVirt. */
function parseTarget(problems: Problems, item: Obj, field: string): Pick<ParsedDisk, 'device' | 'bus' | 'readonly'> {
  const disk = readObject(problems, item, 'disk', field);
  const cdrom = readObject(problems, item, 'cdrom', field);
  if (disk && cdrom) {
    problems.push(problem(Reason.FieldInvalid, `${field}: a disk is either disk or cdrom, not both`, { field, fix: 'keep one of disk and cdrom' }));
  }
  if (cdrom) {
    const cdField = fieldPath(field, 'cdrom');
    refuseUnknownKeys(problems, cdrom, cdField, CDROM_TARGET_FIELDS, FIX_HINTS);
    if (cdrom['bus'] === 'virtio') {
      problems.push(problem(Reason.FieldInvalid, `${cdField}.bus: a CD-ROM cannot sit on virtio`, { field: `${cdField}.bus`, fix: 'use bus: sata or bus: scsi' }));
    }
    const bus = cdrom['bus'] === 'virtio' ? 'sata' : readBus(problems, cdrom, cdField, CDROM_BUSES) ?? 'sata';
    if (readBoolean(problems, cdrom, 'readonly', cdField) === false) {
      problems.push(problem(Reason.FieldInvalid, `${cdField}.readonly: a CD-ROM is always read-only`, { field: `${cdField}.readonly`, fix: 'remove readonly: false, or use disk instead of cdrom' }));
    }
    return { device: 'cdrom', bus, readonly: true };
  }
  const diskField = fieldPath(field, 'disk');
  if (disk) refuseUnknownKeys(problems, disk, diskField, DISK_TARGET_FIELDS, FIX_HINTS);
  const bus = disk ? readBus(problems, disk, diskField, BUSES) ?? 'virtio' : 'virtio';
  const readonly = disk ? readBoolean(problems, disk, 'readonly', diskField) ?? false : false;
  return { device: 'disk', bus, readonly };
}

/** A bus KubeVirt knows but vm-launcher does not (usb) is FieldNotSupported; anything else unknown is invalid. */
function readBus<T extends Bus>(problems: Problems, obj: Obj, field: string, buses: readonly T[]): T | undefined {
  if (obj['bus'] === 'usb') {
    problems.push(problem(Reason.FieldNotSupported, `${field}.bus: usb is not supported`, { field: `${field}.bus`, fix: `use one of: ${buses.join(', ')}` }));
    return undefined;
  }
  return readEnum(problems, obj, 'bus', field, buses);
}

function readSerial(problems: Problems, item: Obj, field: string): string | undefined {
  const serial = readString(problems, item, 'serial', field);
  if (serial === undefined || isDiskSerial(serial)) return serial;
  problems.push(problem(Reason.FieldInvalid, `${field}.serial: ${JSON.stringify(serial)} is not a valid disk serial`, {
    field: `${field}.serial`, fix: 'use 1 to 20 characters from A-Z, a-z, 0-9, _ . + -',
  }));
  return undefined;
}
