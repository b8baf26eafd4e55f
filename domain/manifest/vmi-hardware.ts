// spec.domain beyond CPU count, memory and disks: devices (rng, inputs, autoattach*, blockMultiQueue), features,
// clock, cpu.model, ioThreadsPolicy and chassis, each field by its path; firmware is in vmi-firmware.ts.
// Every sub-object is allow-listed here, so an unknown key is refused where it stands.
import { problem } from '../problem.js';
import { Reason } from '../reasons.js';
import {
  fieldPath, isObject, parseEach, readArray, readBoolean, readEnum, readInteger, readObject, readString, refuseUnknownKeys, type FieldRules, type Obj, type Problems,
} from './manifest-reader.js';
import { FIX_HINTS } from './vmi-fields.js';
import {
  defaultHardware, type ChassisSpec, type ClockSpec, type CpuModel, type FeaturesSpec, type HardwareSpec, type HypervSpec, type InputSpec, type OnOff, type TimerSpec,
} from '../model/index.js';
import { checkSecureBoot, parseFirmware } from './vmi-firmware.js';
import { smbiosTextProblem } from './smbios-text.js';

const STATE_FIELDS: FieldRules = { accepted: ['enabled'] };
const FEATURES_FIELDS: FieldRules = { accepted: ['acpi', 'apic', 'smm', 'hyperv', 'hypervPassthrough', 'kvm', 'pvspinlock'] };
const APIC_FIELDS: FieldRules = { accepted: ['enabled'] };
const KVM_FIELDS: FieldRules = { accepted: ['hidden'] };
const HYPERV_STATES = ['relaxed', 'vapic', 'vpindex', 'runtime', 'synic', 'reset', 'frequencies', 'reenlightenment', 'ipi', 'evmcs'] as const;
const HYPERV_FIELDS: FieldRules = { accepted: [...HYPERV_STATES, 'spinlocks', 'synictimer', 'vendorid', 'tlbflush'] };
const CLOCK_FIELDS: FieldRules = { accepted: ['utc', 'timezone', 'timer'] };
const TIMER_FIELDS: FieldRules = { accepted: ['hpet', 'kvm', 'pit', 'rtc', 'hyperv'] };
const INPUT_FIELDS: FieldRules = { accepted: ['name', 'type', 'bus'] };
const CHASSIS_FIELDS: FieldRules = { accepted: ['manufacturer', 'version', 'serial', 'asset', 'sku'] };


export function parseHardware(problems: Problems, domain: Obj, path: string): HardwareSpec {
  const hw = defaultHardware();
  const devices = readObject(problems, domain, 'devices', path);
  if (devices) parseDeviceSwitches(problems, devices, fieldPath(path, 'devices'), hw);
  const features = readObject(problems, domain, 'features', path);
  if (features) hw.features = parseFeatures(problems, features, fieldPath(path, 'features'));
  const clock = readObject(problems, domain, 'clock', path);
  const parsedClock = clock && parseClock(problems, clock, fieldPath(path, 'clock'));
  if (parsedClock) hw.clock = parsedClock;
  const cpu = readObject(problems, domain, 'cpu', path);
  const model = cpu && readString(problems, cpu, 'model', fieldPath(path, 'cpu'));
  const parsedModel = model ? cpuModel(problems, model, fieldPath(path, 'cpu.model')) : undefined;
  if (parsedModel) hw.cpuModel = parsedModel;
  const policy = readEnum(problems, domain, 'ioThreadsPolicy', path, ['shared', 'auto', 'supplementalPool'] as const);
  if (policy === 'supplementalPool') {
    problems.push(problem(Reason.FieldNotSupported, `${fieldPath(path, 'ioThreadsPolicy')}: supplementalPool is not supported`, {
      field: fieldPath(path, 'ioThreadsPolicy'), fix: 'use shared or auto',
    }));
  } else if (policy) hw.ioThreadsPolicy = policy;
  const firmware = readObject(problems, domain, 'firmware', path);
  if (firmware) hw.firmware = parseFirmware(problems, firmware, fieldPath(path, 'firmware'));
  const chassis = readObject(problems, domain, 'chassis', path);
  if (chassis) hw.chassis = parseChassis(problems, chassis, fieldPath(path, 'chassis'));
  checkSecureBoot(problems, hw.firmware, hw.features, path);
  return hw;
}

function parseDeviceSwitches(problems: Problems, devices: Obj, path: string, hw: HardwareSpec): void {
  const rng = readObject(problems, devices, 'rng', path);
  if (rng) {
    refuseUnknownKeys(problems, rng, fieldPath(path, 'rng'), { accepted: [] }, FIX_HINTS);
    hw.rng = true;
  }
  const tpm = readObject(problems, devices, 'tpm', path);
  if (tpm) hw.tpm = parseTpm(problems, tpm, fieldPath(path, 'tpm'));
  const inputs = readArray(problems, devices, 'inputs', path);
  if (inputs) hw.inputs = parseEach(inputs, fieldPath(path, 'inputs'), (item, field) => parseInput(problems, item, field));
  hw.blockMultiQueue = readBoolean(problems, devices, 'blockMultiQueue', path) ?? false;
  hw.serialConsole = readBoolean(problems, devices, 'autoattachSerialConsole', path) ?? true;
  hw.memBalloon = readBoolean(problems, devices, 'autoattachMemBalloon', path) ?? false;
  if (readBoolean(problems, devices, 'autoattachGraphicsDevice', path) === true) {
    const field = fieldPath(path, 'autoattachGraphicsDevice');
    problems.push(problem(Reason.DeviceNotProvided, `${field}: no graphics device is provided; the guest's serial console (in the log) is its only console`, {
      field, fix: 'remove it or set it to false to silence this note',
    }));
  }
}

/** `tpm: {}` (or `enabled: true`): KubeVirt's TPM. `persistent: true` needs a state dir libvirt 9 cannot be given. */
function parseTpm(problems: Problems, tpm: Obj, path: string): boolean {
  refuseUnknownKeys(problems, tpm, path, { accepted: ['enabled', 'persistent'] }, FIX_HINTS);
  if (readBoolean(problems, tpm, 'persistent', path) === true) {
    problems.push(problem(Reason.FieldNotSupported, `${path}.persistent: a TPM whose state survives the pod is not supported (libvirt keeps swtpm's state in the runtime dir, which is wiped)`, {
      field: `${path}.persistent`, fix: 'remove persistent: the TPM then keeps its state for the pod\'s life',
    }));
  }
  return readBoolean(problems, tpm, 'enabled', path) !== false;
}

function parseInput(problems: Problems, item: unknown, field: string): InputSpec | undefined {
  if (!isObject(item)) {
    problems.push(problem(Reason.FieldInvalid, `${field}: an input must be an object`, { field, fix: 'write { name: tablet, type: tablet, bus: usb }' }));
    return undefined;
  }
  refuseUnknownKeys(problems, item, field, INPUT_FIELDS, FIX_HINTS);
  readString(problems, item, 'name', field);
  // KubeVirt's defaults: type tablet, bus usb.
  const type = readEnum(problems, item, 'type', field, ['tablet'] as const) ?? 'tablet';
  const bus = readEnum(problems, item, 'bus', field, ['usb', 'virtio'] as const) ?? 'usb';
  return { type, bus };
}

/** A KubeVirt FeatureState (`{}` or `{enabled: bool}`): present means on unless enabled is false. */
function readState(problems: Problems, obj: Obj, key: string, path: string): OnOff | undefined {
  const state = readObject(problems, obj, key, path);
  if (!state) return undefined;
  refuseUnknownKeys(problems, state, fieldPath(path, key), STATE_FIELDS, FIX_HINTS);
  return readBoolean(problems, state, 'enabled', fieldPath(path, key)) === false ? 'off' : 'on';
}

function parseFeatures(problems: Problems, features: Obj, path: string): FeaturesSpec {
  refuseUnknownKeys(problems, features, path, FEATURES_FIELDS, FIX_HINTS);
  const apic = readObject(problems, features, 'apic', path);
  if (apic) refuseUnknownKeys(problems, apic, fieldPath(path, 'apic'), APIC_FIELDS, FIX_HINTS);
  const out: FeaturesSpec = {
    acpi: readState(problems, features, 'acpi', path) !== 'off',
    apic: !(apic && readBoolean(problems, apic, 'enabled', fieldPath(path, 'apic')) === false),
    smm: readState(problems, features, 'smm', path) === 'on',
  };
  if (!out.acpi) {
    problems.push(problem(Reason.AcpiOff, `${fieldPath(path, 'acpi')}: ACPI is off; the guest never sees the power button, so every stop waits for the grace deadline and forces the guest off`, {
      field: fieldPath(path, 'acpi'), fix: 'remove acpi.enabled: false unless the guest really cannot use ACPI',
    }));
  }
  const hyperv = readObject(problems, features, 'hyperv', path);
  if (hyperv) out.hyperv = parseHyperv(problems, hyperv, fieldPath(path, 'hyperv'));
  else if (readState(problems, features, 'hypervPassthrough', path) === 'on') out.hyperv = { passthrough: true };
  const kvm = readObject(problems, features, 'kvm', path);
  if (kvm) {
    refuseUnknownKeys(problems, kvm, fieldPath(path, 'kvm'), KVM_FIELDS, FIX_HINTS);
    out.kvmHidden = readBoolean(problems, kvm, 'hidden', fieldPath(path, 'kvm')) ?? false;
  }
  const pvspinlock = readState(problems, features, 'pvspinlock', path);
  if (pvspinlock) out.pvspinlock = pvspinlock;
  return out;
}

function parseHyperv(problems: Problems, hyperv: Obj, path: string): HypervSpec {
  refuseUnknownKeys(problems, hyperv, path, HYPERV_FIELDS, FIX_HINTS);
  const out: HypervSpec = {};
  for (const key of HYPERV_STATES) {
    const state = readState(problems, hyperv, key, path);
    if (state) out[key] = state;
  }
  const spinlocks = withExtra(problems, hyperv, 'spinlocks', path, ['spinlocks']);
  if (spinlocks) {
    // KubeVirt's default: 4096 retries (its minimum is 4096 too).
    const retries = readInteger(problems, spinlocks.obj, 'spinlocks', spinlocks.path, 4096) ?? 4096;
    out.spinlocks = { state: spinlocks.state, ...(spinlocks.state === 'on' && { retries }) };
  }
  const stimer = withExtra(problems, hyperv, 'synictimer', path, ['direct']);
  if (stimer) {
    const direct = readState(problems, stimer.obj, 'direct', stimer.path);
    out.stimer = { state: stimer.state, ...(direct && { direct }) };
  }
  const vendor = withExtra(problems, hyperv, 'vendorid', path, ['vendorid']);
  if (vendor) {
    const value = readString(problems, vendor.obj, 'vendorid', vendor.path);
    if (value !== undefined && !/^[\x20-\x7e]{1,12}$/.test(value)) {
      problems.push(problem(Reason.FieldInvalid, `${vendor.path}.vendorid: ${JSON.stringify(value)} is not 1 to 12 printable characters`, {
        field: `${vendor.path}.vendorid`, fix: 'use at most 12 ASCII characters, e.g. KVMKVMKVM',
      }));
    }
    out.vendor_id = { state: vendor.state, ...(value !== undefined && { value }) };
  }
  const tlbflush = withExtra(problems, hyperv, 'tlbflush', path, []);
  if (tlbflush) out.tlbflush = tlbflush.state;
  return out;
}

/** A FeatureState with extra keys of its own (spinlocks, synictimer, vendorid). */
function withExtra(problems: Problems, obj: Obj, key: string, path: string, extra: string[]): { obj: Obj; path: string; state: OnOff } | undefined {
  const inner = readObject(problems, obj, key, path);
  if (!inner) return undefined;
  const innerPath = fieldPath(path, key);
  refuseUnknownKeys(problems, inner, innerPath, { accepted: ['enabled', ...extra] }, FIX_HINTS);
  const state: OnOff = readBoolean(problems, inner, 'enabled', innerPath) === false ? 'off' : 'on';
  return { obj: inner, path: innerPath, state };
}

const TICK_POLICIES = ['delay', 'catchup', 'merge', 'discard'] as const;
type TickPolicy = (typeof TICK_POLICIES)[number];

function parseClock(problems: Problems, clock: Obj, path: string): ClockSpec | undefined {
  refuseUnknownKeys(problems, clock, path, CLOCK_FIELDS, FIX_HINTS);
  const utc = readObject(problems, clock, 'utc', path);
  const timezone = readString(problems, clock, 'timezone', path);
  if (utc && timezone !== undefined) {
    problems.push(problem(Reason.FieldInvalid, `${path}: utc and timezone exclude each other`, { field: path, fix: 'keep one of utc and timezone' }));
    return undefined;
  }
  let spec: ClockSpec;
  if (timezone !== undefined) {
    // A tz database name starts with a letter: `/etc/x` (glibc reads an absolute TZ as a file) or `../x` is refused.
    if (!/^[A-Za-z][A-Za-z0-9_+\-/]{0,63}$/.test(timezone) || timezone.includes('..')) {
      problems.push(problem(Reason.FieldInvalid, `${path}.timezone: ${JSON.stringify(timezone)} is not a time zone name`, {
        field: `${path}.timezone`, fix: 'use a tz database name such as Europe/Berlin',
      }));
      return undefined;
    }
    spec = { offset: 'timezone', timezone, timers: [] };
  } else {
    if (utc) refuseUnknownKeys(problems, utc, fieldPath(path, 'utc'), { accepted: ['offsetSeconds'] }, FIX_HINTS);
    const offset = utc && readOffset(problems, utc, fieldPath(path, 'utc'));
    spec = { offset: 'utc', adjustment: offset ?? 'reset', timers: [] };
  }
  const timer = readObject(problems, clock, 'timer', path);
  if (timer) spec.timers = parseTimers(problems, timer, fieldPath(path, 'timer'));
  return spec;
}

function readOffset(problems: Problems, utc: Obj, path: string): number | undefined {
  const v = utc['offsetSeconds'];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number' && Number.isSafeInteger(v)) return v;
  problems.push(problem(Reason.FieldInvalid, `${path}.offsetSeconds: must be a whole number of seconds`, { field: `${path}.offsetSeconds`, fix: 'write an integer, e.g. 3600' }));
  return undefined;
}

/**
 * KubeVirt's timer names -> libvirt's, in KubeVirt's order, with the tick policies each takes: KubeVirt's API and
 * libvirt's QEMU driver agree (libvirt 9.0 measured: rtc merge/discard and pit merge are refused at define time).
 */
const TIMERS: Array<[key: string, name: TimerSpec['name'], ticks: readonly TickPolicy[], track: boolean]> = [
  ['rtc', 'rtc', ['delay', 'catchup'], true], ['pit', 'pit', ['delay', 'catchup', 'discard'], false],
  ['kvm', 'kvmclock', [], false], ['hpet', 'hpet', TICK_POLICIES, false], ['hyperv', 'hypervclock', [], false],
];

function parseTimers(problems: Problems, timer: Obj, path: string): TimerSpec[] {
  refuseUnknownKeys(problems, timer, path, TIMER_FIELDS, FIX_HINTS);
  return TIMERS.flatMap(([key, name, ticks, track]) => {
    const tick = ticks.length > 0;
    const t = readObject(problems, timer, key, path);
    if (!t) return [];
    const tPath = fieldPath(path, key);
    refuseUnknownKeys(problems, t, tPath, { accepted: ['present', ...(tick ? ['tickPolicy'] : []), ...(track ? ['track'] : [])] }, FIX_HINTS);
    const present = readBoolean(problems, t, 'present', tPath) === false ? 'no' : 'yes';
    const tickpolicy = tick ? readEnum(problems, t, 'tickPolicy', tPath, ticks) : undefined;
    const trackValue = track ? readEnum(problems, t, 'track', tPath, ['guest', 'wall'] as const) : undefined;
    return [{ name, present, ...(tickpolicy && { tickpolicy }), ...(trackValue && { track: trackValue }) } satisfies TimerSpec];
  });
}

function cpuModel(problems: Problems, model: string, field: string): CpuModel | undefined {
  if (model === 'host-model' || model === 'host-passthrough') return model;
  if (/^[A-Za-z0-9][A-Za-z0-9_.+-]{0,63}$/.test(model)) return { named: model };
  problems.push(problem(Reason.FieldInvalid, `${field}: ${JSON.stringify(model)} is not a CPU model name`, { field, fix: 'use host-model, host-passthrough or a QEMU model such as Skylake-Client' }));
  return undefined;
}

function parseChassis(problems: Problems, chassis: Obj, path: string): ChassisSpec {
  refuseUnknownKeys(problems, chassis, path, CHASSIS_FIELDS, FIX_HINTS);
  const out: ChassisSpec = {};
  for (const key of CHASSIS_FIELDS.accepted as Array<keyof ChassisSpec>) {
    const v = chassis[key];
    if (v === undefined || v === null) continue;
    // KubeVirt's own example writes `asset: 123456`: a number is the string of its digits.
    if (typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v))) {
      const bad = smbiosTextProblem(String(v), fieldPath(path, key));
      if (bad) problems.push(bad);
      else out[key] = String(v);
    } else problems.push(problem(Reason.FieldInvalid, `${fieldPath(path, key)}: must be a string`, { field: fieldPath(path, key), fix: 'quote the value' }));
  }
  return out;
}
