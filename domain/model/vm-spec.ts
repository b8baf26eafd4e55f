// The typed, normalized view of a VMI that the rest of the launcher works from,
// and the facts the launcher learns about each volume from the pod's filesystem.

import type { CloudInitSpec } from './cloud-init.js';
import type { DiskSource } from './volume-source.js';
import type { InterfaceSpec, NetworkOptions } from './network.js';
import type { FilesystemSpec } from './filesystem.js';

export type Bus = 'virtio' | 'sata' | 'scsi';
export type CacheMode = 'none' | 'writethrough' | 'writeback';
export type IoMode = 'native' | 'threads' | 'io_uring';
export type Accel = 'kvm' | 'qemu';

export interface DiskSpec {
  /** Disk name in the VMI; also the name of the volume that backs it (KubeVirt rule). */
  name: string;
  /** Volume that backs this disk: validated DNS-1123 label, safe to use in a path. */
  volumeName: string;
  /** Manifest path of this disk, for messages: `spec.domain.devices.disks[0]`. */
  field: string;
  device: 'disk' | 'cdrom';
  bus: Bus;
  bootOrder?: number;
  serial?: string;
  /** What the user asked for; the launcher decides when absent. */
  cache?: CacheMode;
  io?: IoMode;
  /** dedicatedIOThread, blockSize, errorPolicy, shareable. */
  extras?: import('./hardware.js').DiskExtras;
  readonly: boolean;
  /**
   * The volume's source as it was read (volume-source.ts): a PVC (the pod decides where it is mounted), a hostDisk
   * path, a cloud-init seed the launcher builds, or a disk the launcher creates at run (emptyDisk, ephemeral).
   * Inspection and conversion switch on its kind; nothing derives it again.
   */
  source: DiskSource;
  /** pvc and hostDisk: what the launcher may do with the volume's image (manifest/volume-storage.ts). */
  storage?: DiskStorage;
}

/** A filesystem volume's image: may it be created when missing, at what size, fully allocated or sparse. */
export interface DiskStorage {
  /** A writable PVC disk, or a hostDisk of type DiskOrCreate: a missing image is created (unless the plan says no). */
  mayCreate: boolean;
  /** hostDisk.capacity, or the claim's size from the annotation claim-size.vm-launcher.io/<volume>. */
  size?: { bytes: number; source: string };
  /** preallocation.vm-launcher.io/<volume>: "true": created fully allocated (fallocate), no discard. */
  preallocate: boolean;
}

export interface VmSpec {
  name: string;
  namespace: string;
  uid?: string;
  annotations: Record<string, string>;
  labels: Record<string, string>;
  cpu: { sockets: number; cores: number; threads: number };
  memoryBytes: number;
  machineType?: string;
  /** Seconds the guest gets for its ACPI shutdown before it is destroyed. Default 30. */
  terminationGracePeriodSeconds: number;
  disks: DiskSpec[];
  /** Volumes shared with the guest as directories through virtiofs (not disks); absent: none. */
  filesystems?: FilesystemSpec[];
  /** The guest's NIC on the pod network (at most one); absent or empty: no NIC. */
  interfaces?: InterfaceSpec[];
  /** The cloud-init volume, if any (KubeVirt reads one). */
  cloudInit?: CloudInitSpec;
  /** spec.accessCredentials: SSH keys from Secrets, put into the cloud-init seed (noCloud, configDrive). */
  accessCredentials?: import('./access-credentials.js').SshKeyCredential[];
  /** spec.accessCredentials' userPassword items: set through the guest agent. */
  userPasswords?: import('./access-credentials.js').UserPasswordCredential[];
  /** Devices, features, clock, CPU model, firmware, chassis (hardware.ts); absent: the defaults. */
  hardware?: import('./hardware.js').HardwareSpec;
  /** spec.readinessProbe / spec.livenessProbe (domain/vmi-probes.ts); absent: neither. */
  probes?: import('./probe.js').VmiProbes;
  /** A VirtualMachine's run strategy (spec.runStrategy, or spec.running); a VMI has none. */
  runStrategy?: RunStrategy;
  /** Where the spec is in the manifest, for messages made after parsing: `spec`, or `spec.template.spec`. */
  specPath?: string;
  /** What the VM's instance type and preference filled in (manifest/instancetype-expand.ts); absent: neither. */
  expansion?: import('./expansion.js').Expansion;
}

/** spec.runStrategy of a VirtualMachine; WaitAsReceiver is refused (a migration target needs KubeVirt). */
export const RUN_STRATEGIES = ['Always', 'RerunOnFailure', 'Manual', 'Halted', 'Once', 'WaitAsReceiver'] as const;
export type RunStrategy = Exclude<(typeof RUN_STRATEGIES)[number], 'WaitAsReceiver'>;

export type VolumeKind = 'block' | 'filesystem' | 'hostDisk' | 'cloudInit';

/** What the launcher found for one volume (launcher/inspect produces it; domain/ consumes it). */
export interface VolumeFacts {
  volume: string;
  kind: VolumeKind;
  /** Device node (block) or the real path of the image file (filesystem, hostDisk). */
  path: string;
  /** What qemu-img reported; informational only, never passed to libvirt. */
  format?: string;
  virtualSize?: number;
  allocatedSize?: number;
  /** Every byte of the file has blocks behind it (always true for block devices). */
  fullyAllocated: boolean;
  /** The image's location accepts O_DIRECT opens (cache='none' possible). */
  directIo: boolean;
  /** Filesystem volumes: size and free space of the filesystem holding the image. */
  filesystemSize?: number;
  filesystemFree?: number;
  /** A disk `run` creates in the ephemeral dir: an emptyDisk (then `path` is where it will be) or an overlay on `path`. */
  created?: CreatedDiskFacts;
}

export type CreatedDiskFacts =
  | { kind: 'emptyDisk'; path: string; sizeBytes: number }
  /** A qcow2 overlay at `path` whose backing file is the volume's raw image (facts.path), never written. */
  | { kind: 'overlay'; path: string; backingSizeBytes: number };

export interface DomainOptions {
  accel: Accel;
  /** File QEMU writes the guest's serial console to when there is no socket. */
  consoleLogPath: string;
  /**
   * Unix socket QEMU listens on for the serial console, as KubeVirt's virt-serial0; the launcher connects to it and
   * keeps the console file itself. Absent: QEMU writes the console to consoleLogPath.
   */
  consoleSocketPath?: string;
  /** Unix socket of the guest agent's channel (QEMU listens, libvirt connects); absent: libvirt picks the path. */
  agentSocketPath?: string;
  /** Absolute path of the QEMU binary; libvirt picks when absent. */
  emulator?: string;
  /** How the NIC reaches passt, decided by launcher/inspect; needed when the VMI has an interface. */
  network?: NetworkOptions;
  /** efi.persistent: where the EFI variables live (on a volume that outlives the pod). */
  nvramPath?: string;
  /** Where the launcher's virtiofsd listens for each shared volume (`<dir>/<volume>.sock`); needed when the VMI shares one. */
  virtiofsSocketDir?: string;
}

/** What run does to a filesystem volume's image before start; `check` only reports it. */
export type VolumeChange =
  /** Create `dir/name` (`path`) of `sizeBytes`: sparse, or fully allocated when `preallocate`. */
  | { kind: 'create'; dir: string; name: string; path: string; sizeBytes: number; why: string; preallocate: boolean }
  /** Extend `path` from `fromBytes` to `toBytes` (never shrink); fully allocated images stay fully allocated. */
  | { kind: 'grow'; path: string; fromBytes: number; toBytes: number; why: string; preallocate: boolean };
