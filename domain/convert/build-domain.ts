// (VmSpec, VolumeFacts, options) -> Domain: the pure converter. Every disk's problems are collected; a disk without
// facts is a problem, never a throw.
import { problem, type Problem } from '../problem.js';
import { Reason } from '../reasons.js';
import type { DiskSpec, DomainOptions, VmSpec, VolumeFacts, Decision } from '../model/index.js';
import type { Domain, DomainController, DomainDisk, DomainSerial } from '../libvirt/index.js';
import { agentChannel } from '../libvirt/index.js';
import { assignTargets, decideCache, decideDiscard, decideIo, domainTypeFor } from './disk-policy.js';
import { placeDisk } from './disk-source.js';
import { applyHardware, decideDiskHardware, type DiskHardware } from './build-hardware.js';
import { domainUuid } from './uuid.js';
import { buildInterfaces } from './build-interfaces.js';
import { buildFilesystems } from './build-filesystems.js';

export interface BuildDomainResult {
  /** Present when there is no error. */
  domain?: Domain;
  problems: Problem[];
}

/** KubeVirt's libvirt domain name: `<namespace>_<name>`. */
export const domainName = (spec: Pick<VmSpec, 'namespace' | 'name'>): string => `${spec.namespace}_${spec.name}`;

export function buildDomain(spec: VmSpec, facts: ReadonlyMap<string, VolumeFacts>, opts: DomainOptions): BuildDomainResult {
  const problems: Problem[] = [];
  const targets = assignTargets(spec.disks.map((d) => d.bus));
  const { sockets, cores, threads } = spec.cpu;
  const vcpu = sockets * cores * threads;
  const hardware = decideDiskHardware(spec, vcpu);
  const disks = spec.disks.flatMap((disk, i) => {
    const built = buildDisk(problems, disk, facts.get(disk.volumeName), targets[i] ?? '', hardware.perDisk[i]!);
    return built ? [built] : [];
  });
  const network = buildInterfaces(problems, spec.interfaces ?? [], opts.network);
  const shares = buildFilesystems(problems, spec.filesystems ?? [], opts.virtiofsSocketDir);
  // passt's vhost-user and virtiofs ask for the same shared memfd memory.
  const memoryBacking = network.memoryBacking ?? shares.memoryBacking;
  if (problems.length > 0) return { problems };

  const type = domainTypeFor(opts.accel);
  const controllers: DomainController[] = [
    // No USB: nothing uses it, and libvirt's default controller costs the firmware about a second of
    // enumeration before the guest's first byte (measured; KubeVirt also disables it).
    { type: 'usb', index: 0, model: 'none' },
    ...(spec.disks.some((d) => d.bus === 'scsi') ? [{ type: 'scsi' as const, index: 0, model: 'virtio-scsi' as const }] : []),
  ];
  const domain: Domain = {
    type,
    name: domainName(spec),
    uuid: domainUuid(spec),
    memory: spec.memoryBytes,
    ...(memoryBacking && { memoryBacking }),
    vcpu,
    ...(hardware.iothreads > 0 && { iothreads: hardware.iothreads }),
    // host-model is KubeVirt's default CPU under KVM; under TCG there is no host CPU to model.
    cpu: { ...(type === 'kvm' && { mode: 'host-model' as const }), topology: { sockets, cores, threads } },
    os: { arch: 'x86_64', type: 'hvm', ...(spec.machineType !== undefined && { machine: spec.machineType }) },
    features: { acpi: true, apic: true },
    onPoweroff: 'destroy',
    onReboot: 'restart',
    onCrash: 'destroy',
    devices: {
      ...(opts.emulator !== undefined && { emulator: opts.emulator }),
      disks,
      controllers,
      ...(shares.filesystems.length > 0 && { filesystems: shares.filesystems }),
      ...(network.interfaces.length > 0 && { interfaces: network.interfaces }),
      serials: [serialPort(opts)],
      consoles: [{ ...serialPort(opts), targetType: 'serial' }],
      channels: [agentChannel(opts.agentSocketPath)],
      memballoon: { model: 'none' },
    },
  };
  applyHardware(domain, spec, opts, problems);
  return { domain, problems };
}

/**
 * Serial port 0: a socket the launcher connects to (it keeps the bounded console file and hands the console to
 * `vm-launcher console`); no `<log>`: a file QEMU writes has no bound. Without a socket: the file alone.
 */
function serialPort(opts: DomainOptions): DomainSerial {
  return opts.consoleSocketPath === undefined
    ? { type: 'file', sourcePath: opts.consoleLogPath, port: 0 }
    : { type: 'unix', sourcePath: opts.consoleSocketPath, port: 0 };
}

function buildDisk(problems: Problem[], disk: DiskSpec, facts: VolumeFacts | undefined, target: string, hw: DiskHardware['perDisk'][number]): DomainDisk | undefined {
  if (!facts) {
    problems.push(problem(Reason.VolumeFactsMissing, `disk ${disk.name}: nothing is known about volume ${disk.volumeName}`, {
      field: disk.field, volume: disk.volumeName, fix: 'inspect the volume before building the domain',
    }));
    return undefined;
  }
  const cache = settle(problems, disk, 'cache', decideCache(disk.cache, facts.directIo));
  const io = cache && settle(problems, disk, 'io', decideIo(disk.io, cache, facts.kind, facts.fullyAllocated));
  if (!cache || !io) return undefined;
  const { format, ...placed } = placeDisk(facts);
  // A preallocated claim keeps its allocation even when the image has holes (KubeVirt's VolumesDiscardIgnore).
  const discard = decideDiscard(facts.fullyAllocated || disk.storage?.preallocate === true);
  const { errorPolicy = 'stop', ...tuning } = hw.driver;
  return {
    ...placed,
    device: disk.device,
    driver: { name: 'qemu', type: format, cache, io, ...(discard && { discard }), errorPolicy, ...tuning },
    target: { dev: target, bus: disk.bus },
    ...(disk.bootOrder !== undefined && { bootOrder: disk.bootOrder }),
    ...(disk.serial !== undefined && { serial: disk.serial }),
    readonly: disk.readonly || disk.device === 'cdrom',
    ...(hw.blockio && { blockio: hw.blockio }),
    ...(hw.shareable && { shareable: true }),
  };
}

/** The decided value, or undefined after recording the refusal against the disk's field. */
function settle<T>(problems: Problem[], disk: DiskSpec, key: 'cache' | 'io', decision: Decision<T>): T | undefined {
  if (decision.ok) return decision.value;
  problems.push(problem(decision.reason, `disk ${disk.name}: ${decision.message}`, {
    field: `${disk.field}.${key}`, volume: disk.volumeName, fix: decision.fix,
  }));
  return undefined;
}
