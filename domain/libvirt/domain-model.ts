// A typed libvirt domain, the subset vm-launcher writes. Named after libvirt's elements and attributes, in the
// spirit of libvirt-go-xml, so the serializer is a plain mapping and never a string template.

export interface Domain {
  type: 'kvm' | 'qemu';
  name: string;
  uuid: string;
  /** Bytes (written with unit='b'). */
  memory: number;
  /** Shared memfd memory: what vhost-user (passt, virtiofsd) needs to reach the guest's buffers. */
  memoryBacking?: { source: 'memfd'; access: 'shared' };
  vcpu: number;
  cpu: DomainCPU;
  os: DomainOS;
  features: DomainFeatures;
  onPoweroff: 'destroy';
  onReboot: 'restart';
  onCrash: 'destroy';
  devices: DomainDevices;
  /** `<iothreads>`: the I/O threads virtio disks are spread over (ioThreadsPolicy, dedicatedIOThread). */
  iothreads?: number;
  clock?: DomainClock;
  /** SMBIOS tables the guest sees (`<os><smbios mode='sysinfo'/>`), as KubeVirt sets them. */
  sysinfo?: DomainSysinfo;
}

export interface DomainClock {
  offset: 'utc' | 'timezone';
  adjustment?: number | 'reset';
  timezone?: string;
  timers: Array<{ name: string; present: 'yes' | 'no'; tickpolicy?: string; track?: string }>;
}

export interface DomainSysinfo {
  system: Array<[name: string, value: string]>;
  chassis: Array<[name: string, value: string]>;
}

export interface DomainCPU {
  /** Absent: libvirt's default (used for TCG, where host-model means nothing); maximum: all TCG emulates. */
  mode?: 'host-model' | 'host-passthrough' | 'maximum' | 'custom';
  /** mode custom: a QEMU CPU model by name. */
  model?: string;
  topology: { sockets: number; cores: number; threads: number };
}

export interface DomainOS {
  arch: 'x86_64';
  /** Absent: libvirt's default for the architecture. */
  machine?: string;
  type: 'hvm';
  /** EFI through libvirt's firmware auto-selection (descriptors of Debian's ovmf), with the features asked for. */
  firmware?: 'efi';
  firmwareFeatures?: Array<{ name: 'secure-boot' | 'enrolled-keys'; enabled: 'yes' | 'no' }>;
  /** The EFI variable store: where it lives (and libvirt copies the firmware's template to it when absent). */
  nvram?: string;
  smbios?: 'sysinfo';
  /** SeaBIOS also writes to the serial console. */
  biosUseSerial?: boolean;
}

export interface DomainFeatures {
  acpi: boolean;
  apic: boolean;
  smm?: boolean;
  hyperv?: import('../model/hardware.js').HypervSpec;
  kvmHidden?: boolean;
  pvspinlock?: 'on' | 'off';
}

export interface DomainDevices {
  emulator?: string;
  disks: DomainDisk[];
  controllers: DomainController[];
  interfaces?: DomainInterface[];
  /** virtiofs shares served by a virtiofsd the launcher runs. */
  filesystems?: DomainFilesystem[];
  serials: DomainSerial[];
  consoles: DomainConsole[];
  /** virtio-serial channels: the guest agent's (agent-channel.ts). */
  channels?: DomainChannel[];
  memballoon: { model: 'none' | 'virtio' };
  /** A virtio-rng fed from the host's /dev/urandom. */
  rng?: { backend: '/dev/urandom' };
  inputs?: Array<{ type: 'tablet'; bus: 'usb' | 'virtio' }>;
  /** A TPM 2.0 that libvirt runs swtpm for (KubeVirt's model, tpm-tis). */
  tpm?: { model: 'tpm-tis' };
}

export interface DomainDisk {
  type: 'file' | 'block';
  device: 'disk' | 'cdrom';
  driver: DomainDiskDriver;
  source: { file: string } | { dev: string };
  /** The read-only image under a qcow2 overlay, named with its format so QEMU never probes it. */
  backingStore?: { type: 'file' | 'block'; format: 'raw'; source: { file: string } | { dev: string } };
  target: { dev: string; bus: 'virtio' | 'sata' | 'scsi' };
  bootOrder?: number;
  serial?: string;
  readonly: boolean;
  blockio?: { logical: number; physical: number; discardGranularity?: number };
  /** The disk may be open in several VMs at once (no image locking against each other). */
  shareable?: boolean;
}

export interface DomainDiskDriver {
  name: 'qemu';
  /** raw, except the launcher's own overlays (qcow2): the format is never taken from an image. */
  type: 'raw' | 'qcow2';
  cache: 'none' | 'writethrough' | 'writeback';
  io: 'native' | 'threads' | 'io_uring';
  discard?: 'unmap';
  errorPolicy: 'stop' | 'ignore' | 'report' | 'enospace';
  /** virtio: one queue per vCPU (blockMultiQueue). */
  queues?: number;
  /** virtio: the I/O thread this disk runs in. */
  iothread?: number;
}

export type DomainController =
  | { type: 'scsi'; index: number; model: 'virtio-scsi' }
  | { type: 'usb'; index: number; model: 'none' | 'qemu-xhci' };

/**
 * A serial port: written to a file (`file`), or a unix socket QEMU listens on and the launcher reads (`unix`).
 */
export type DomainSerial =
  | { type: 'file'; sourcePath: string; port: number }
  | { type: 'unix'; sourcePath: string; port: number };

/** The console on that same serial port. */
export type DomainConsole = DomainSerial & { targetType: 'serial' };

/** A virtio-serial channel QEMU binds to a unix socket (libvirt picks the path when sourcePath is absent). */
export interface DomainChannel { type: 'unix'; sourcePath?: string; targetName: string }

/** A NIC connected through passt, started by libvirt as the VM user. */
export interface DomainInterface {
  type: 'vhostuser' | 'user';
  /** Absent: libvirt picks one (52:54:00:...). */
  mac?: string;
  model: string;
  backend: { type: 'passt'; logFile?: string };
  /** The guest's IPv4 address passt hands out by DHCP; absent: the pod's own. */
  ip?: { address: string; prefix: number };
  /** One per protocol; no ranges means every port. */
  portForwards: Array<{ proto: 'tcp' | 'udp'; ranges: Array<{ start: number }> }>;
  /** libvirt's user alias (ua-<name>), as KubeVirt sets it. */
  alias: string;
}

/** `<filesystem type='mount' accessmode='passthrough'>` with the virtiofs driver, connected to `socket`. */
export interface DomainFilesystem {
  /** The unix socket of the virtiofsd the launcher started (libvirt starts none). */
  socket: string;
  /** The tag the guest mounts. */
  tag: string;
  queue: number;
}
