// A typed libvirt domain, the subset vm-launcher writes. Named after libvirt's elements and attributes, in the
// spirit of libvirt-go-xml, so the serializer is a plain mapping and never a string template.

export interface Domain {
  type: 'kvm' | 'qemu';
  name: string;
  uuid: string;
  /** Bytes (written with unit='b'). */
  memory: number;
  /** Shared memfd memory: what passt's vhost-user needs to reach the guest's buffers. */
  memoryBacking?: { source: 'memfd'; access: 'shared' };
  vcpu: number;
  cpu: DomainCPU;
  os: DomainOS;
  features: DomainFeatures;
  onPoweroff: 'destroy';
  onReboot: 'restart';
  onCrash: 'destroy';
  devices: DomainDevices;
}

export interface DomainCPU {
  /** Absent: libvirt's default (used for TCG, where host-model means nothing). */
  mode?: 'host-model';
  topology: { sockets: number; cores: number; threads: number };
}

export interface DomainOS {
  arch: 'x86_64';
  /** Absent: libvirt's default for the architecture. */
  machine?: string;
  type: 'hvm';
}

export interface DomainFeatures {
  acpi: boolean;
  apic: boolean;
}

export interface DomainDevices {
  emulator?: string;
  disks: DomainDisk[];
  controllers: DomainController[];
  interfaces?: DomainInterface[];
  serials: DomainSerial[];
  consoles: DomainConsole[];
  memballoon: { model: 'none' };
}

export interface DomainDisk {
  type: 'file' | 'block';
  device: 'disk' | 'cdrom';
  driver: DomainDiskDriver;
  source: { file: string } | { dev: string };
  target: { dev: string; bus: 'virtio' | 'sata' | 'scsi' };
  bootOrder?: number;
  serial?: string;
  readonly: boolean;
}

export interface DomainDiskDriver {
  name: 'qemu';
  /** Always raw: the format is never taken from the image. */
  type: 'raw';
  cache: 'none' | 'writethrough' | 'writeback';
  io: 'native' | 'threads' | 'io_uring';
  discard?: 'unmap';
  errorPolicy: 'stop';
}

export type DomainController =
  | { type: 'scsi'; index: number; model: 'virtio-scsi' }
  | { type: 'usb'; index: number; model: 'none' };

/** A serial port written to a file the launcher reads. */
export interface DomainSerial {
  type: 'file';
  sourcePath: string;
  port: number;
}

/** The console on that same serial port. */
export interface DomainConsole {
  type: 'file';
  sourcePath: string;
  targetType: 'serial';
  port: number;
}

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
