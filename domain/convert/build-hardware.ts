// The hardware part of the converter: VmSpec.hardware (devices, features, clock, CPU model, I/O threads, firmware,
// SMBIOS) applied to the built domain, and each disk's part decided before the disks are built. Pure; each decision
// is made here once.
import { problem, type Problem } from '../problem.js';
import { Reason } from '../reasons.js';
import { type DomainOptions, type VmSpec, defaultHardware, type FirmwareSpec, type HardwareSpec } from '../model/index.js';
import type { Domain, DomainController, DomainCPU, DomainDisk, DomainDiskDriver, DomainOS, DomainSysinfo } from '../libvirt/index.js';

/** The SMBIOS system strings KubeVirt sets by default (its cluster config's SMBIOS defaults). */
export const SMBIOS_DEFAULTS = { manufacturer: 'KubeVirt', family: 'KubeVirt', product: 'None' } as const;

/** KubeVirt's default machine type on x86_64, which EFI gets when the manifest names none. */
const EFI_MACHINE = 'q35';

export function applyHardware(domain: Domain, spec: VmSpec, opts: DomainOptions, problems: Problem[]): void {
  const hw = spec.hardware ?? defaultHardware();
  if (hw.firmware.uuid) domain.uuid = hw.firmware.uuid;
  domain.os = { ...domain.os, ...firmwareOs(hw.firmware, spec, opts, problems) };
  domain.sysinfo = sysinfo(domain.uuid, hw);
  domain.features = {
    acpi: hw.features.acpi, apic: hw.features.apic,
    ...(hw.features.smm && { smm: true }),
    ...(hw.features.hyperv && { hyperv: hw.features.hyperv }),
    ...(hw.features.kvmHidden !== undefined && { kvmHidden: hw.features.kvmHidden }),
    ...(hw.features.pvspinlock && { pvspinlock: hw.features.pvspinlock }),
  };
  domain.cpu = cpu(domain.cpu, spec, hw, opts, problems);
  if (hw.clock) domain.clock = hw.clock;

  const dev = domain.devices;
  if (hw.rng) dev.rng = { backend: '/dev/urandom' };
  if (hw.tpm) dev.tpm = { model: 'tpm-tis' };
  if (hw.inputs.length > 0) dev.inputs = hw.inputs;
  // A USB tablet needs a USB controller (KubeVirt's: qemu-xhci); without one there is none at all.
  if (hw.inputs.some((i) => i.bus === 'usb')) dev.controllers = dev.controllers.map(usbController);
  if (hw.memBalloon) dev.memballoon = { model: 'virtio' };
  if (!hw.serialConsole) {
    dev.serials = [];
    dev.consoles = [];
  }
  checkShareable(domain, spec, problems);
}

const usbController = (c: DomainController): DomainController => (c.type === 'usb' ? { type: 'usb', index: c.index, model: 'qemu-xhci' } : c);

function firmwareOs(fw: FirmwareSpec, spec: VmSpec, opts: DomainOptions, problems: Problem[]): Partial<DomainOS> {
  const os: Partial<DomainOS> = { smbios: 'sysinfo' };
  if (fw.bootloader === 'bios') return { ...os, ...(fw.biosUseSerial && { biosUseSerial: true }) };
  const machine = spec.machineType ?? EFI_MACHINE;
  const field = domainField(spec, 'machine.type');
  if (spec.machineType === undefined) {
    problems.push(problem(Reason.KubeVirtDefault, `${field}: not given; EFI gets ${EFI_MACHINE}, KubeVirt's default machine type`, {
      field, fix: 'set machine.type to choose',
    }));
  } else if (fw.secureBoot && !/q35/.test(machine)) {
    problems.push(problem(Reason.FieldInvalid, `${field}: secure boot needs a q35 machine, not ${machine}`, {
      field, fix: 'set machine.type: q35, or remove it',
    }));
  }
  const secure = fw.secureBoot === true;
  return {
    ...os,
    machine,
    firmware: 'efi',
    // The firmware features alone pick the build (libvirt 9 refuses <loader secure> beside auto-selection):
    // enrolled-keys: Debian's OVMF_VARS_4M.ms.fd (Microsoft's keys) for secure boot, the blank store otherwise.
    firmwareFeatures: [{ name: 'enrolled-keys', enabled: secure ? 'yes' : 'no' }, { name: 'secure-boot', enabled: secure ? 'yes' : 'no' }],
    ...(fw.persistentNvram && opts.nvramPath !== undefined && { nvram: opts.nvramPath }),
  };
}

function sysinfo(uuid: string, hw: HardwareSpec): DomainSysinfo {
  const fw = hw.firmware;
  const chassis = hw.chassis ?? {};
  return {
    system: [
      ['uuid', uuid],
      ...(fw.serial !== undefined ? [['serial', fw.serial] as [string, string]] : []),
      ['manufacturer', SMBIOS_DEFAULTS.manufacturer], ['family', SMBIOS_DEFAULTS.family], ['product', SMBIOS_DEFAULTS.product],
    ],
    chassis: (['manufacturer', 'version', 'serial', 'asset', 'sku'] as const).flatMap((k) => (chassis[k] !== undefined ? [[k, chassis[k]] as [string, string]] : [])),
  };
}

/** A field of the manifest's domain, where it is: a VirtualMachine's is under spec.template.spec. */
const domainField = (spec: VmSpec, field: string): string => `${spec.specPath ?? 'spec'}.domain.${field}`;

function cpu(current: DomainCPU, spec: VmSpec, hw: HardwareSpec, opts: DomainOptions, problems: Problem[]): DomainCPU {
  const model = hw.cpuModel;
  if (model === undefined) return current;
  const { topology } = current;
  if (typeof model === 'object') return { mode: 'custom', model: model.named, topology };
  if (opts.accel === 'kvm') return { mode: model, topology };
  const field = domainField(spec, 'cpu.model');
  problems.push(problem(Reason.CpuModelUnderTcg, `${field}: ${model} under software emulation (TCG): there is no host CPU to give; the guest gets QEMU's maximum model (every feature TCG emulates)`, {
    field, fix: 'run with KVM for the host\'s CPU, or name a CPU model',
  }));
  return { mode: 'maximum', topology };
}

/** The hardware's part of each disk (queues, I/O thread, block size, error policy), taken as each disk is built. */
export interface DiskHardware {
  iothreads: number;
  perDisk: Array<{ driver: Partial<Pick<DomainDiskDriver, 'queues' | 'iothread' | 'errorPolicy'>>; blockio?: DomainDisk['blockio']; shareable?: true }>;
}

/** Per-disk settings, decided for every disk of the spec before any is built: queues, I/O threads, block sizes, error policy, sharing. */
export function decideDiskHardware(spec: VmSpec, vcpus: number): DiskHardware {
  const hw = spec.hardware ?? defaultHardware();
  const threads = assignIoThreads(spec.disks.map((d) => ({ virtio: d.bus === 'virtio', dedicated: d.extras?.dedicatedIOThread === true })), hw.ioThreadsPolicy);
  const perDisk = spec.disks.map((d, i) => {
    const x = d.extras ?? {};
    const thread = threads.perDisk[i];
    return {
      driver: {
        ...(hw.blockMultiQueue && d.bus === 'virtio' && { queues: vcpus }),
        ...(thread !== undefined && { iothread: thread }),
        ...(x.errorPolicy && { errorPolicy: x.errorPolicy }),
      },
      ...(x.blockSize && { blockio: x.blockSize }),
      ...(x.shareable && { shareable: true as const }),
    };
  });
  return { iothreads: threads.count, perDisk };
}

/** A shareable disk needs cache none (O_DIRECT); read from the disks as built, never changing them. */
function checkShareable(domain: Domain, spec: VmSpec, problems: Problem[]): void {
  spec.disks.forEach((d, i) => {
    const cache = domain.devices.disks[i]?.driver.cache;
    if (!d.extras?.shareable || cache === undefined || cache === 'none') return;
    problems.push(problem(Reason.FieldInvalid, `${d.field}.shareable: disk ${d.name} is shareable, which needs cache none (O_DIRECT), but its cache is ${cache}`, {
      field: `${d.field}.shareable`, volume: d.volumeName, fix: 'remove cache (or set cache: none) on a volume whose filesystem accepts O_DIRECT',
    }));
  });
}

/**
 * KubeVirt's I/O thread rule, over virtio disks: with ioThreadsPolicy (or any dedicatedIOThread) a dedicated disk
 * gets a thread of its own; the other disks share a pool of 1 (shared) or up to 2 (auto: 2 per CPU of the pod's
 * CPU request, which vm-launcher does not read, so 1 CPU) threads, taken in turn.
 */
export function assignIoThreads(disks: Array<{ virtio: boolean; dedicated: boolean }>, policy: HardwareSpec['ioThreadsPolicy']): { count: number; perDisk: Array<number | undefined> } {
  const virtio = disks.filter((d) => d.virtio);
  if ((policy === undefined && !virtio.some((d) => d.dedicated)) || virtio.length === 0) return { count: 0, perDisk: disks.map(() => undefined) };
  const dedicated = virtio.filter((d) => d.dedicated).length;
  const limit = policy === 'auto' ? 2 : 1;
  let shared = virtio.length - dedicated;
  if (shared + dedicated > limit) shared = Math.max(1, limit - dedicated);
  if (virtio.length === dedicated) shared = 0;
  let nextShared = 0;
  let nextDedicated = shared + 1;
  const perDisk = disks.map((d) => {
    if (!d.virtio) return undefined;
    if (d.dedicated) return nextDedicated++;
    nextShared = (nextShared % shared) + 1;
    return nextShared;
  });
  return { count: shared + dedicated, perDisk };
}
