// KubeVirt's instance type application (pkg/instancetype/apply/), rule for rule: the instance type's values go into
// the VMI spec; a field the VM also sets is a conflict (returned, nothing of the instance type applied from that
// rule), as KubeVirt's VM webhook refuses it. Works on the raw template (JSON-like), before the VMI is parsed.
import { isObject, type Obj } from './manifest-reader.js';
import { parseQuantity } from './quantity.js';
import type { ExpansionOrigin } from '../model/index.js';

/** Records one expanded value: its path under the template spec (`domain.cpu.sockets`) and where it came from. */
export type Record_ = (path: string, value: unknown, from: ExpansionOrigin) => void;

export const isSet = (v: unknown): boolean => v !== undefined && v !== null;

/** obj[key] as an object, made when absent. A value of another type stays (the parser reports it); writes go nowhere. */
export function child(obj: Obj, key: string): Obj {
  const v = obj[key];
  if (isObject(v)) return v;
  if (isSet(v)) return {};
  const made: Obj = {};
  obj[key] = made;
  return made;
}

const obj = (v: unknown): Obj => (isObject(v) ? v : {});

/** KubeVirt's Quantity for bytes in BinarySI: `2Gi`, `1536Mi`, else the plain number. */
export function binaryQuantity(bytes: number): string {
  for (const [suffix, size] of [['Ei', 2 ** 60], ['Pi', 2 ** 50], ['Ti', 2 ** 40], ['Gi', 2 ** 30], ['Mi', 2 ** 20], ['Ki', 2 ** 10]] as const) {
    if (bytes >= size && bytes % size === 0) return `${bytes / size}${suffix}`;
  }
  return String(bytes);
}

/** The preference's CPU topology, KubeVirt's default `sockets` when it names none; the deprecated names mapped. */
export function preferredTopology(pref: Obj | undefined): string {
  const t = obj(pref?.['cpu'])['preferredCPUTopology'];
  if (typeof t !== 'string') return 'sockets';
  const deprecated: Record<string, string> = { preferSockets: 'sockets', preferCores: 'cores', preferThreads: 'threads', preferSpread: 'spread', preferAny: 'any' };
  return Object.hasOwn(deprecated, t) ? deprecated[t]! : t;
}

export const TOPOLOGIES = ['sockets', 'cores', 'threads', 'spread', 'any'];

/** Spread ratio and axis: ratio 2 across SocketsCores unless the preference says otherwise. */
export function spreadOptions(pref: Obj | undefined): { ratio: number; across: string } {
  const p = obj(pref);
  const opts = obj(obj(p['cpu'])['spreadOptions']);
  const legacy = typeof p['preferSpreadSocketToCoreRatio'] === 'number' && p['preferSpreadSocketToCoreRatio'] !== 0 ? p['preferSpreadSocketToCoreRatio'] : 2;
  return {
    ratio: typeof opts['ratio'] === 'number' ? opts['ratio'] : legacy,
    across: typeof opts['across'] === 'string' ? opts['across'] : 'SocketsCores',
  };
}

/** sockets, cores, threads for `guest` vCPUs under the preference's topology (applyGuestCPUTopology). */
export function guestTopology(guest: number, pref: Obj | undefined): { sockets: number; cores: number; threads: number } {
  const t = { sockets: 1, cores: 1, threads: 1 };
  if (guest === 1) return t;
  const topology = preferredTopology(pref);
  if (topology === 'cores') t.cores = guest;
  else if (topology === 'threads') t.threads = guest;
  else if (topology === 'spread') {
    const { ratio, across } = spreadOptions(pref);
    if (across === 'SocketsCores') Object.assign(t, { cores: ratio, sockets: Math.trunc(guest / ratio) });
    else if (across === 'CoresThreads') Object.assign(t, { threads: ratio, cores: Math.trunc(guest / ratio) });
    else if (across === 'SocketsCoresThreads') Object.assign(t, { threads: 2, cores: ratio, sockets: Math.trunc(guest / 2 / ratio) });
  } else t.sockets = guest;
  return t;
}

/**
 * The Pod's memory request for an overcommitted instance type: guest * (1 - percent/100), computed in float32 and
 * truncated, exactly as KubeVirt's Go code does (`int64(float32(guest) * (1 - float32(pct)/100))`).
 */
export function overcommitRequest(guestBytes: number, percent: number): number {
  const f = Math.fround;
  return Math.trunc(f(f(guestBytes) * f(1 - f(f(percent) / 100))));
}

/**
 * Applies the instance type to the template (spec and metadata), in KubeVirt's order. Returns the conflicting paths
 * (under the template spec, or `metadata.annotations.KEY`); with any, the preference is not applied (as in KubeVirt).
 */
export function applyInstancetype(spec: Obj, meta: Obj, it: Obj, pref: Obj | undefined, record: Record_): string[] {
  const conflicts: string[] = [];
  const domain = child(spec, 'domain');
  const replace = (target: Obj, key: string, value: unknown, path: string): void => {
    target[key] = structuredClone(value);
    record(path, value, 'instancetype');
  };
  // nodeSelector, schedulerName
  if (isSet(it['nodeSelector'])) {
    if (isSet(spec['nodeSelector'])) conflicts.push('nodeSelector');
    else replace(spec, 'nodeSelector', it['nodeSelector'], 'nodeSelector');
  }
  if (typeof it['schedulerName'] === 'string' && it['schedulerName'] !== '') {
    if (isSet(spec['schedulerName']) && spec['schedulerName'] !== '') conflicts.push('schedulerName');
    else replace(spec, 'schedulerName', it['schedulerName'], 'schedulerName');
  }
  conflicts.push(...applyCpu(domain, obj(it['cpu']), pref, replace));
  conflicts.push(...applyMemory(domain, obj(it['memory']), replace));
  const threads = obj(it['ioThreads'])['supplementalPoolThreadCount'];
  if (isSet(threads)) {
    const vmThreads = obj(domain['ioThreads']);
    if (isSet(vmThreads['supplementalPoolThreadCount'])) conflicts.push('domain.ioThreads.supplementalPoolThreadCount');
    else replace(child(domain, 'ioThreads'), 'supplementalPoolThreadCount', threads, 'domain.ioThreads.supplementalPoolThreadCount');
  }
  for (const key of ['ioThreadsPolicy', 'launchSecurity']) {
    if (!isSet(it[key])) continue;
    if (isSet(domain[key])) conflicts.push(`domain.${key}`);
    else replace(domain, key, it[key], `domain.${key}`);
  }
  for (const key of ['gpus', 'hostDevices']) {
    const list = it[key];
    if (!Array.isArray(list) || list.length === 0) continue;
    const devices = obj(domain['devices']);
    if (Array.isArray(devices[key]) && (devices[key] as unknown[]).length > 0) conflicts.push(`domain.devices.${key}`);
    else replace(child(domain, 'devices'), key, list, `domain.devices.${key}`);
  }
  for (const [key, value] of Object.entries(obj(it['annotations']))) {
    const annotations = child(meta, 'annotations');
    if (Object.hasOwn(annotations, key)) {
      if (annotations[key] !== value) conflicts.push(`metadata.annotations.${key}`);
      continue;
    }
    Object.defineProperty(annotations, key, { value, enumerable: true, writable: true, configurable: true });
    record(`metadata.annotations.${key}`, value, 'instancetype');
  }
  return conflicts;
}

type Replace = (target: Obj, key: string, value: unknown, path: string) => void;

/** `resources.requests.X` / `resources.limits.X` the VM sets (they would size the guest in KubeVirt). */
function resourceConflicts(domain: Obj, resource: 'cpu' | 'memory'): string[] {
  const resources = obj(domain['resources']);
  return (['requests', 'limits'] as const).filter((k) => isSet(obj(resources[k])[resource])).map((k) => `domain.resources.${k}.${resource}`);
}

function applyCpu(domain: Obj, itCpu: Obj, pref: Obj | undefined, replace: Replace): string[] {
  const cpu = child(domain, 'cpu');
  const conflicts = resourceConflicts(domain, 'cpu');
  for (const key of ['sockets', 'cores', 'threads']) if (isSet(cpu[key]) && cpu[key] !== 0) conflicts.push(`domain.cpu.${key}`);
  if (isSet(cpu['model']) && cpu['model'] !== '' && isSet(itCpu['model'])) conflicts.push('domain.cpu.model');
  // The instance type spells it dedicatedCPUPlacement; the VMI, dedicatedCpuPlacement.
  if (cpu['dedicatedCpuPlacement'] === true && isSet(itCpu['dedicatedCPUPlacement'])) conflicts.push('domain.cpu.dedicatedCpuPlacement');
  if (cpu['isolateEmulatorThread'] === true && isSet(itCpu['isolateEmulatorThread'])) conflicts.push('domain.cpu.isolateEmulatorThread');
  for (const key of ['numa', 'realtime']) if (isSet(cpu[key]) && isSet(itCpu[key])) conflicts.push(`domain.cpu.${key}`);
  if (conflicts.length > 0) return conflicts;
  const copies: Array<[string, string]> = [['model', 'model'], ['dedicatedCPUPlacement', 'dedicatedCpuPlacement'], ['isolateEmulatorThread', 'isolateEmulatorThread'], ['numa', 'numa'], ['realtime', 'realtime'], ['maxSockets', 'maxSockets']];
  for (const [from, to] of copies) if (isSet(itCpu[from])) replace(cpu, to, itCpu[from], `domain.cpu.${to}`);
  const guest = typeof itCpu['guest'] === 'number' ? itCpu['guest'] : 1;
  const topology = guestTopology(guest, pref);
  for (const key of ['sockets', 'cores', 'threads'] as const) replace(cpu, key, topology[key], `domain.cpu.${key}`);
  return [];
}

function applyMemory(domain: Obj, itMemory: Obj, replace: Replace): string[] {
  const memory = child(domain, 'memory');
  // KubeVirt stops at the first memory conflict.
  const first = [
    isSet(memory['guest']) && 'domain.memory.guest',
    isSet(memory['hugepages']) && isSet(itMemory['hugepages']) && 'domain.memory.hugepages',
    isSet(memory['maxGuest']) && isSet(itMemory['maxGuest']) && 'domain.memory.maxGuest',
    ...resourceConflicts(domain, 'memory'),
  ].find((c): c is string => typeof c === 'string');
  if (first) return [first];
  replace(memory, 'guest', itMemory['guest'], 'domain.memory.guest');
  const percent = itMemory['overcommitPercent'];
  const guestBytes = parseQuantity(itMemory['guest'] as string);
  if (typeof percent === 'number' && percent > 0 && guestBytes !== undefined) {
    const requests = child(child(domain, 'resources'), 'requests');
    replace(requests, 'memory', binaryQuantity(overcommitRequest(guestBytes, percent)), 'domain.resources.requests.memory');
  }
  for (const key of ['hugepages', 'maxGuest']) if (isSet(itMemory[key])) replace(memory, key, itMemory[key], `domain.memory.${key}`);
  return [];
}
