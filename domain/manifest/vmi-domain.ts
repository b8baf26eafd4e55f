// spec.domain: the virtual hardware (CPU topology, memory, machine type, devices).
import { problem } from '../problem.js';
import { Reason } from '../reasons.js';
import { parseQuantity } from './quantity.js';
import type { VmSpec, HardwareSpec } from '../model/index.js';
import {
  fieldPath, isObject, readArray, readBoolean, readInteger, readObject, readString, refuseUnknownKeys, type Obj, type Problems,
} from './manifest-reader.js';
import {
  AUTOATTACH_BEHAVIOUR, CPU_FIELDS, DEVICES_FIELDS, DOMAIN_FIELDS, FIX_HINTS, MACHINE_FIELDS, MEMORY_FIELDS, RESOURCE_LIST_FIELDS, RESOURCES_FIELDS,
} from './vmi-fields.js';
import { parseDisks, type ParsedDisk } from './vmi-disks.js';
import { parseHardware } from './vmi-hardware.js';

/** What spec.domain yields; memory is absent when it was missing or invalid (already reported). */
export interface DomainPart {
  cpu: VmSpec['cpu'];
  memoryBytes?: number;
  machineType?: string;
  disks: ParsedDisk[];
  hardware: HardwareSpec;
}

export function parseDomain(problems: Problems, domain: Obj, path: string): DomainPart {
  refuseUnknownKeys(problems, domain, path, DOMAIN_FIELDS, FIX_HINTS);
  const machineType = parseMachineType(problems, domain, path);
  const memoryBytes = parseMemory(problems, domain, path);
  return {
    cpu: parseCpu(problems, domain, path),
    ...(memoryBytes !== undefined && { memoryBytes }),
    ...(machineType !== undefined && { machineType }),
    disks: parseDevices(problems, domain, path),
    hardware: parseHardware(problems, domain, path),
  };
}

function parseCpu(problems: Problems, domain: Obj, path: string): VmSpec['cpu'] {
  const cpu = readObject(problems, domain, 'cpu', path);
  if (!cpu) return { sockets: 1, cores: 1, threads: 1 };
  const cpuPath = fieldPath(path, 'cpu');
  refuseUnknownKeys(problems, cpu, cpuPath, CPU_FIELDS, FIX_HINTS);
  return {
    sockets: readInteger(problems, cpu, 'sockets', cpuPath, 1) ?? 1,
    cores: readInteger(problems, cpu, 'cores', cpuPath, 1) ?? 1,
    threads: readInteger(problems, cpu, 'threads', cpuPath, 1) ?? 1,
  };
}

/** `machine.type: ""` (as in KubeVirt's own examples) means "the default", like an absent one. */
function parseMachineType(problems: Problems, domain: Obj, path: string): string | undefined {
  const machine = readObject(problems, domain, 'machine', path);
  if (!machine) return undefined;
  const machinePath = fieldPath(path, 'machine');
  refuseUnknownKeys(problems, machine, machinePath, MACHINE_FIELDS, FIX_HINTS);
  const type = readString(problems, machine, 'type', machinePath);
  return type === '' ? undefined : type;
}

/** Guest memory: `memory.guest`, else `resources.requests.memory` (KubeVirt's order). */
function parseMemory(problems: Problems, domain: Obj, path: string): number | undefined {
  const memory = readObject(problems, domain, 'memory', path);
  const memoryPath = fieldPath(path, 'memory');
  if (memory) refuseUnknownKeys(problems, memory, memoryPath, MEMORY_FIELDS, FIX_HINTS);
  const guest = memory ? readQuantity(problems, memory, 'guest', memoryPath) : undefined;

  const resources = readObject(problems, domain, 'resources', path);
  const resourcesPath = fieldPath(path, 'resources');
  if (resources) refuseUnknownKeys(problems, resources, resourcesPath, RESOURCES_FIELDS, FIX_HINTS);
  const request = resources ? readResourceMemory(problems, resources, 'requests', resourcesPath) : undefined;
  const limit = resources ? readResourceMemory(problems, resources, 'limits', resourcesPath) : undefined;

  const bytes = guest ?? request;
  if (bytes === undefined) {
    const anyGiven = [memory?.['guest'], resources && isObject(resources['requests']) ? resources['requests']['memory'] : undefined]
      .some((v) => v !== undefined && v !== null);
    if (!anyGiven) {
      problems.push(problem(Reason.MemoryMissing, `${memoryPath}.guest: the guest's memory is not given`, {
        field: `${memoryPath}.guest`, fix: 'set spec.domain.memory.guest (or spec.domain.resources.requests.memory), e.g. 128Mi',
      }));
    }
    return undefined;
  }
  const field = guest !== undefined ? `${memoryPath}.guest` : `${resourcesPath}.requests.memory`;
  if (bytes === 0) {
    problems.push(problem(Reason.FieldInvalid, `${field}: the guest needs some memory`, { field, fix: 'give at least a few MiB, e.g. 128Mi' }));
    return undefined;
  }
  if (limit !== undefined && bytes > limit) {
    problems.push(problem(Reason.MemoryAboveLimit, `${field}: guest memory ${bytes} B is above resources.limits.memory ${limit} B; QEMU may be killed for it`, {
      field, fix: 'raise resources.limits.memory above the guest memory plus QEMU overhead',
    }));
  }
  return bytes;
}

function readResourceMemory(problems: Problems, resources: Obj, key: 'requests' | 'limits', path: string): number | undefined {
  const list = readObject(problems, resources, key, path);
  if (!list) return undefined;
  const listPath = fieldPath(path, key);
  refuseUnknownKeys(problems, list, listPath, RESOURCE_LIST_FIELDS, FIX_HINTS);
  return readQuantity(problems, list, 'memory', listPath);
}

function readQuantity(problems: Problems, obj: Obj, key: string, path: string): number | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  const bytes = typeof v === 'string' || typeof v === 'number' ? parseQuantity(v) : undefined;
  if (bytes !== undefined) return bytes;
  const field = fieldPath(path, key);
  problems.push(problem(Reason.FieldInvalid, `${field}: ${JSON.stringify(v)} is not a quantity`, { field, fix: 'write a Kubernetes quantity such as 128Mi or 1Gi' }));
  return undefined;
}

function parseDevices(problems: Problems, domain: Obj, path: string): ParsedDisk[] {
  const devices = readObject(problems, domain, 'devices', path);
  if (!devices) return [];
  const devicesPath = fieldPath(path, 'devices');
  refuseUnknownKeys(problems, devices, devicesPath, DEVICES_FIELDS, FIX_HINTS);
  for (const [key, behaviour] of Object.entries(AUTOATTACH_BEHAVIOUR)) {
    const value = readBoolean(problems, devices, key, devicesPath);
    if (value === undefined || value === behaviour) continue;
    const field = fieldPath(devicesPath, key);
    problems.push(problem(Reason.FieldNotSupported, `${field}: ${value} is not supported; vm-launcher always behaves as ${behaviour}`, {
      field, fix: `remove it or set ${key}: ${behaviour}`,
    }));
  }
  const disks = readArray(problems, devices, 'disks', devicesPath);
  return disks ? parseDisks(problems, disks, fieldPath(devicesPath, 'disks')) : [];
}
