// The virtual hardware a VMI asks for beyond CPU count, memory and disks: devices (rng, inputs, console, balloon),
// features (ACPI, APIC, SMM, Hyper-V), the clock, the CPU model, I/O threads, firmware (BIOS/EFI, SMBIOS) and
// the SMBIOS chassis. Parsed by vmi-hardware.ts (and vmi-firmware.ts), applied by build-hardware.ts.

// The manifest keys read for it, by level (vmi-fields.ts allow-lists them; kept here, in a file without imports,
// so the allow-lists never wait on a parser module).
export const HARDWARE_DOMAIN_KEYS = ['features', 'clock', 'firmware', 'chassis', 'ioThreadsPolicy'] as const;
export const HARDWARE_DEVICE_KEYS = [
  'rng', 'inputs', 'blockMultiQueue', 'autoattachSerialConsole', 'autoattachMemBalloon', 'autoattachGraphicsDevice', 'tpm',
] as const;
export const DISK_EXTRA_KEYS = ['dedicatedIOThread', 'blockSize', 'errorPolicy', 'shareable'] as const;

/** on/off for a libvirt feature element (`<relaxed state='on'/>`). */
export type OnOff = 'on' | 'off';

/** Hyper-V enlightenments by their libvirt element name, with extra attributes where libvirt has them. */
export interface HypervSpec {
  /** `mode='passthrough'` (features.hypervPassthrough): every enlightenment the host offers. */
  passthrough?: boolean;
  relaxed?: OnOff;
  vapic?: OnOff;
  spinlocks?: { state: OnOff; retries?: number };
  vpindex?: OnOff;
  runtime?: OnOff;
  synic?: OnOff;
  stimer?: { state: OnOff; direct?: OnOff };
  reset?: OnOff;
  vendor_id?: { state: OnOff; value?: string };
  frequencies?: OnOff;
  reenlightenment?: OnOff;
  tlbflush?: OnOff;
  ipi?: OnOff;
  evmcs?: OnOff;
}

export interface FeaturesSpec {
  acpi: boolean;
  apic: boolean;
  smm: boolean;
  hyperv?: HypervSpec;
  /** Hide the KVM signature from the guest. */
  kvmHidden?: boolean;
  pvspinlock?: OnOff;
}

export interface TimerSpec {
  name: 'rtc' | 'pit' | 'kvmclock' | 'hpet' | 'hypervclock';
  present: 'yes' | 'no';
  tickpolicy?: 'delay' | 'catchup' | 'merge' | 'discard';
  track?: 'guest' | 'wall';
}

export interface ClockSpec {
  offset: 'utc' | 'timezone';
  /** utc: seconds added to UTC, or `reset` (KubeVirt's choice without offsetSeconds). */
  adjustment?: number | 'reset';
  timezone?: string;
  timers: TimerSpec[];
}

export interface InputSpec {
  type: 'tablet';
  bus: 'usb' | 'virtio';
}

/** host-model and host-passthrough: the host's CPU; anything else names a QEMU CPU model. */
export type CpuModel = 'host-model' | 'host-passthrough' | { named: string };

export interface FirmwareSpec {
  bootloader: 'bios' | 'efi';
  /** efi: secure boot (KubeVirt's default: on) and NVRAM that survives the pod. */
  secureBoot?: boolean;
  persistentNvram?: boolean;
  /** bios: SeaBIOS also writes to the serial console. */
  biosUseSerial?: boolean;
  /** firmware.uuid: the domain's UUID and SMBIOS system UUID. */
  uuid?: string;
  serial?: string;
}

export interface ChassisSpec {
  manufacturer?: string;
  version?: string;
  serial?: string;
  asset?: string;
  sku?: string;
}

export interface HardwareSpec {
  /** devices.rng: a virtio-rng fed from the host's /dev/urandom. */
  rng: boolean;
  /** devices.tpm: a TPM 2.0 emulated by swtpm, its state kept for the pod's life (not persistent). */
  tpm?: boolean;
  inputs: InputSpec[];
  /** autoattachSerialConsole (default true): the serial console the launcher logs. */
  serialConsole: boolean;
  /** autoattachMemBalloon: true adds a virtio balloon; absent or false, none (vm-launcher's default). */
  memBalloon: boolean;
  /** devices.blockMultiQueue: virtio disks get one queue per vCPU. */
  blockMultiQueue: boolean;
  ioThreadsPolicy?: 'shared' | 'auto';
  features: FeaturesSpec;
  clock?: ClockSpec;
  cpuModel?: CpuModel;
  firmware: FirmwareSpec;
  chassis?: ChassisSpec;
}

/** Disk fields beyond the target: I/O thread, block sizes, error policy, sharing. */
export interface DiskExtras {
  dedicatedIOThread?: boolean;
  blockSize?: { logical: number; physical: number; discardGranularity?: number };
  errorPolicy?: 'stop' | 'ignore' | 'report' | 'enospace';
  shareable?: boolean;
}

export const defaultHardware = (): HardwareSpec => ({
  rng: false, inputs: [], serialConsole: true, memBalloon: false, blockMultiQueue: false,
  features: { acpi: true, apic: true, smm: false }, firmware: { bootloader: 'bios' },
});
