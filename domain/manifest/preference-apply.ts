// KubeVirt's preference application (pkg/instancetype/preference/apply/), rule for rule: a preference only fills
// what the VMI leaves unset (the VM's own value is kept and recorded as such), except where KubeVirt itself
// overwrites (features.acpi, devices.disableHotplug). Works on the raw template, after the instance type.
import { isObject, type Obj } from './manifest-reader.js';
import { child, isSet, type Record_ } from './instancetype-apply.js';

const obj = (v: unknown): Obj => (isObject(v) ? v : {});

/** Fills target[key] from the preference's value when the VMI leaves it unset; records which one holds. */
function fill(target: Obj, key: string, value: unknown, path: string, record: Record_): void {
  if (!isSet(value)) return;
  if (isSet(target[key])) {
    record(path, target[key], 'vm');
    return;
  }
  target[key] = structuredClone(value);
  record(path, value, 'preference');
}

/** Sets target[key] whatever the VMI says (KubeVirt's FIXMEs: fields that are not pointers in its API). */
function overwrite(target: Obj, key: string, value: unknown, path: string, record: Record_): void {
  if (!isSet(value)) return;
  target[key] = structuredClone(value);
  record(path, value, 'preference');
}

export function applyPreference(spec: Obj, meta: Obj, pref: Obj, record: Record_): void {
  const domain = child(spec, 'domain');
  applyCpuFeatures(domain, obj(pref['cpu']), record);
  if (isObject(pref['devices'])) applyDevices(spec, domain, pref['devices'], record);
  if (isObject(pref['features'])) applyFeatures(domain, pref['features'], record);
  if (isObject(pref['firmware'])) applyFirmware(domain, pref['firmware'], record);
  const machineType = obj(pref['machine'])['preferredMachineType'];
  if (typeof machineType === 'string' && machineType !== '') fill(child(domain, 'machine'), 'type', machineType, 'domain.machine.type', record);
  if (isObject(pref['clock'])) applyClock(domain, pref['clock'], record);
  fill(spec, 'subdomain', pref['preferredSubdomain'], 'subdomain', record);
  fill(spec, 'terminationGracePeriodSeconds', pref['preferredTerminationGracePeriodSeconds'], 'terminationGracePeriodSeconds', record);
  if (typeof pref['preferredArchitecture'] === 'string' && pref['preferredArchitecture'] !== '') fill(spec, 'architecture', pref['preferredArchitecture'], 'architecture', record);
  for (const [key, value] of Object.entries(obj(pref['annotations']))) {
    const annotations = child(meta, 'annotations');
    if (Object.hasOwn(annotations, key)) record(`metadata.annotations.${key}`, annotations[key], 'vm');
    else {
      Object.defineProperty(annotations, key, { value, enumerable: true, writable: true, configurable: true });
      record(`metadata.annotations.${key}`, value, 'preference');
    }
  }
  fill(domain, 'launchSecurity', pref['preferredLaunchSecurity'], 'domain.launchSecurity', record);
}

/** Preferred CPU features the VMI does not name already. */
function applyCpuFeatures(domain: Obj, cpu: Obj, record: Record_): void {
  const preferred = cpu['preferredCPUFeatures'];
  if (!Array.isArray(preferred) || preferred.length === 0) return;
  const vmCpu = child(domain, 'cpu');
  const features = Array.isArray(vmCpu['features']) ? vmCpu['features'] as unknown[] : [];
  const named = new Set(features.map((f) => obj(f)['name']));
  const added = preferred.filter((f) => !named.has(obj(f)['name']));
  if (added.length === 0) return;
  vmCpu['features'] = [...features, ...structuredClone(added)];
  record('domain.cpu.features', added, 'preference');
}

const AUTOATTACH: Array<[string, string]> = [
  ['preferredAutoattachGraphicsDevice', 'autoattachGraphicsDevice'], ['preferredAutoattachMemBalloon', 'autoattachMemBalloon'],
  ['preferredAutoattachPodInterface', 'autoattachPodInterface'], ['preferredAutoattachSerialConsole', 'autoattachSerialConsole'],
  ['preferredAutoattachInputDevice', 'autoattachInputDevice'],
];

function applyDevices(spec: Obj, domain: Obj, p: Obj, record: Record_): void {
  const devices = child(domain, 'devices');
  const at = (key: string): string => `domain.devices.${key}`;
  const simple: Array<[string, string]> = [
    ['preferredUseVirtioTransitional', 'useVirtioTransitional'], ['preferredBlockMultiQueue', 'blockMultiQueue'],
    ['preferredNetworkInterfaceMultiQueue', 'networkInterfaceMultiQueue'], ['preferredRng', 'rng'], ['preferredTPM', 'tpm'],
  ];
  for (const [from, to] of simple) fill(devices, to, p[from], at(to), record);
  overwrite(devices, 'disableHotplug', p['preferredDisableHotplug'], at('disableHotplug'), record);
  if (typeof p['preferredSoundModel'] === 'string' && p['preferredSoundModel'] !== '' && isObject(devices['sound'])) {
    fill(devices['sound'], 'model', p['preferredSoundModel'], at('sound.model'), record);
  }
  if (isSet(p['preferredVideoType'])) fill(child(devices, 'video'), 'type', p['preferredVideoType'], at('video.type'), record);
  for (const [from, to] of AUTOATTACH) fill(devices, to, p[from], at(to), record);
  applyDisks(devices, p, record);
  applyInterfaces(spec, devices, p, record);
  forEachObject(devices['inputs'], (input, i) => {
    fill(input, 'bus', nonEmpty(p['preferredInputBus']), at(`inputs[${i}].bus`), record);
    fill(input, 'type', nonEmpty(p['preferredInputType']), at(`inputs[${i}].type`), record);
  });
  if (isSet(p['preferredPanicDeviceModel'])) {
    const panics = Array.isArray(devices['panicDevices']) ? devices['panicDevices'] as unknown[] : [];
    if (panics.length === 0) {
      devices['panicDevices'] = [{ model: p['preferredPanicDeviceModel'] }];
      record(at('panicDevices[0].model'), p['preferredPanicDeviceModel'], 'preference');
    } else forEachObject(panics, (panic, i) => fill(panic, 'model', p['preferredPanicDeviceModel'], at(`panicDevices[${i}].model`), record));
  }
}

const nonEmpty = (v: unknown): unknown => (v === '' ? undefined : v);

function forEachObject(list: unknown, each: (item: Obj, i: number) => void): void {
  if (Array.isArray(list)) list.forEach((item, i) => { if (isObject(item)) each(item, i); });
}

/** Disks: a disk with no target becomes a `disk`; bus, block size, cache, io and dedicated IO thread filled in. */
function applyDisks(devices: Obj, p: Obj, record: Record_): void {
  forEachObject(devices['disks'], (disk, i) => {
    const at = (key: string): string => `domain.devices.disks[${i}].${key}`;
    if (!isSet(disk['disk']) && !isSet(disk['cdrom']) && !isSet(disk['lun'])) disk['disk'] = {};
    if (isObject(disk['disk'])) {
      const target = disk['disk'];
      fill(target, 'bus', nonEmpty(p['preferredDiskBus']), at('disk.bus'), record);
      fill(disk, 'blockSize', p['preferredDiskBlockSize'], at('blockSize'), record);
      fill(disk, 'cache', nonEmpty(p['preferredDiskCache']), at('cache'), record);
      fill(disk, 'io', nonEmpty(p['preferredDiskIO']), at('io'), record);
      if (target['bus'] === 'virtio') fill(disk, 'dedicatedIOThread', p['preferredDiskDedicatedIoThread'], at('dedicatedIOThread'), record);
    } else if (isObject(disk['cdrom'])) fill(disk['cdrom'], 'bus', nonEmpty(p['preferredCdromBus']), at('cdrom.bus'), record);
    else if (isObject(disk['lun'])) fill(disk['lun'], 'bus', nonEmpty(p['preferredLunBus']), at('lun.bus'), record);
  });
}

const BINDINGS = ['bridge', 'slirp', 'masquerade', 'sriov', 'macvtap', 'passt', 'binding'];

function applyInterfaces(spec: Obj, devices: Obj, p: Obj, record: Record_): void {
  const networks = Array.isArray(spec['networks']) ? spec['networks'] as unknown[] : [];
  forEachObject(devices['interfaces'], (iface, i) => {
    fill(iface, 'model', nonEmpty(p['preferredInterfaceModel']), `domain.devices.interfaces[${i}].model`, record);
    if (!isSet(p['preferredInterfaceMasquerade']) || BINDINGS.some((b) => isSet(iface[b]))) return;
    const network = networks.find((n) => obj(n)['name'] === iface['name']);
    if (isSet(obj(network)['pod'])) fill(iface, 'masquerade', p['preferredInterfaceMasquerade'], `domain.devices.interfaces[${i}].masquerade`, record);
  });
}

const HYPERV = ['evmcs', 'frequencies', 'ipi', 'reenlightenment', 'relaxed', 'reset', 'runtime', 'spinlocks', 'synic', 'synictimer', 'tlbflush', 'vapic', 'vpindex', 'vendorid'];

function applyFeatures(domain: Obj, p: Obj, record: Record_): void {
  const features = child(domain, 'features');
  overwrite(features, 'acpi', p['preferredAcpi'], 'domain.features.acpi', record);
  fill(features, 'apic', p['preferredApic'], 'domain.features.apic', record);
  if (isObject(p['preferredHyperv'])) {
    const hyperv = child(features, 'hyperv');
    for (const key of HYPERV) fill(hyperv, key, p['preferredHyperv'][key], `domain.features.hyperv.${key}`, record);
  }
  fill(features, 'kvm', p['preferredKvm'], 'domain.features.kvm', record);
  fill(features, 'pvspinlock', p['preferredPvspinlock'], 'domain.features.pvspinlock', record);
  fill(features, 'smm', p['preferredSmm'], 'domain.features.smm', record);
}

/** BIOS or EFI only when the VMI chose neither; preferredEfi wins over the deprecated preferredUseEfi/SecureBoot. */
function applyFirmware(domain: Obj, p: Obj, record: Record_): void {
  const bootloader = child(child(domain, 'firmware'), 'bootloader');
  const path = 'domain.firmware.bootloader';
  const chosen = (): boolean => isSet(bootloader['bios']) || isSet(bootloader['efi']);
  if (!chosen() && p['preferredUseBios'] === true) fill(bootloader, 'bios', {}, `${path}.bios`, record);
  if (isSet(p['preferredUseBiosSerial']) && isObject(bootloader['bios'])) fill(bootloader['bios'], 'useSerial', p['preferredUseBiosSerial'], `${path}.bios.useSerial`, record);
  if (!chosen() && isSet(p['preferredEfi'])) {
    fill(bootloader, 'efi', p['preferredEfi'], `${path}.efi`, record);
    return;
  }
  if (!chosen() && p['preferredUseEfi'] === true) fill(bootloader, 'efi', {}, `${path}.efi`, record);
  if (isSet(p['preferredUseSecureBoot']) && isObject(bootloader['efi'])) fill(bootloader['efi'], 'secureBoot', p['preferredUseSecureBoot'], `${path}.efi.secureBoot`, record);
}

/** The clock offset only when the VMI gives neither utc nor timezone; the timers only when it gives none. */
function applyClock(domain: Obj, p: Obj, record: Record_): void {
  const clock = child(domain, 'clock');
  const offset = p['preferredClockOffset'];
  if (isObject(offset)) {
    if (isSet(clock['utc']) || isSet(clock['timezone'])) record('domain.clock', { utc: clock['utc'], timezone: clock['timezone'] }, 'vm');
    else {
      for (const [k, v] of Object.entries(offset)) clock[k] = structuredClone(v);
      record('domain.clock', offset, 'preference');
    }
  }
  fill(clock, 'timer', p['preferredTimer'], 'domain.clock.timer', record);
}
