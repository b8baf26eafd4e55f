// How much memory a VM pod needs beyond the guest's RAM: the launcher, its private libvirt stack and QEMU's own
// overhead, from figures measured on the real processes (bench/pod-overhead.ts re-measures them), beside KubeVirt's
// estimate (pkg/hypervisor/kvm/hypervisorbackend.go, GetMemoryOverhead) for comparison. The Pod's memory request
// and limit are the guest's memory plus this overhead: the kubelet's OOM killer then never hits a guest that stays
// within its own RAM.
import type { VmSpec } from '../model/index.js';

const MiB = 1024 * 1024;

/**
 * Peak RSS per process, MiB, rounded up: the larger of two measurements by bench/pod-overhead.ts (December 2026, the
 * test guest with 128Mi under TCG, 1 and 2 vCPUs): in the VM pod image (Debian 13: node 20 with libnode, libvirt
 * 11.3, QEMU 10.0; with a passt NIC and a virtiofs share) and on the development machine (Debian 12: node 20 in V8
 * lite mode, libvirt 9.0, QEMU 7.2). Image / host: node 65.9 / 58.1, libvirtd 28.6 / 27.0 (one malloc arena and
 * three libvirt worker threads at start: 30.7 / 28.1 before), libvirt-dbus 17.4 / 19.2, dbus-daemon 4.1 / 4.8,
 * QEMU's own (RSS minus the guest's RAM mapping) 110.8 / 101.1 with 1 vCPU and 115.9 / 104.1 with 2, passt 16.5,
 * virtiofsd 5.3 (both image only). While the guest runs the non-QEMU stack holds 113 / 105 (docs/development.md:
 * Memory). swtpm could not run under the bench: its figure is an estimate, marked so.
 */
export const MEASURED_MIB = {
  /** node running dist/vm-launcher.mjs (measured 65.9 in the image, 58.1 on the host). */
  launcher: 66,
  /** libvirtd in session mode, one per pod (measured 28.6). */
  libvirtd: 29,
  /** libvirt-dbus --session (measured 19.2). */
  libvirtDbus: 20,
  /** the private dbus-daemon (measured 4.8). */
  dbusDaemon: 5,
  /** QEMU's RSS beyond the guest's RAM mapping with one vCPU: device models, firmware, TCG's code buffer (measured 110.8 under TCG; KubeVirt budgets 50 under KVM). */
  qemu: 111,
  /** Each further vCPU (measured +5.1 under TCG; KubeVirt's 8 kept for KVM's per-vCPU state). */
  qemuPerVcpu: 8,
  /** passt, one per NIC (measured 16.5 in the image). */
  passt: 17,
  /** swtpm, for devices.tpm (estimate; KubeVirt saw 3.5 MiB RSS and budgets 53). */
  swtpm: 10,
  /** virtiofsd, one per shared volume (measured 5.3 in the image, the guest reading a file through it). */
  virtiofsd: 6,
} as const;

/** Page tables for the guest's RAM: KubeVirt's rule (one byte per 512 bytes of RAM), kept. */
export const PAGE_TABLE_DIVISOR = 512;
/** Short-lived helpers (qemu-img info per volume, xorrisofs for a cloud-init seed, hooks) and allocator slack. */
export const MARGIN_MIB = 32;

export interface OverheadPart { what: string; mib: number }
export interface Overhead { bytes: number; parts: OverheadPart[] }

export const vcpuCount = (spec: Pick<VmSpec, 'cpu'>): number => spec.cpu.sockets * spec.cpu.cores * spec.cpu.threads;

/** The memory the pod needs beyond the guest's RAM, with each part named (the rendered Pod lists them). */
export function memoryOverhead(spec: VmSpec): Overhead {
  const m = MEASURED_MIB;
  const vcpus = vcpuCount(spec);
  const nics = spec.interfaces?.length ?? 0;
  const shares = spec.filesystems?.length ?? 0;
  const parts: OverheadPart[] = [
    { what: 'launcher (node)', mib: m.launcher },
    { what: 'libvirtd', mib: m.libvirtd },
    { what: 'libvirt-dbus', mib: m.libvirtDbus },
    { what: 'dbus-daemon', mib: m.dbusDaemon },
    { what: 'QEMU', mib: m.qemu },
    ...(vcpus > 1 ? [{ what: `QEMU, ${vcpus - 1} more vCPUs`, mib: m.qemuPerVcpu * (vcpus - 1) }] : []),
    { what: 'page tables (guest RAM / 512)', mib: Math.ceil(spec.memoryBytes / PAGE_TABLE_DIVISOR / MiB) },
    ...(nics > 0 ? [{ what: `passt x${nics}`, mib: m.passt * nics }] : []),
    ...(spec.hardware?.tpm ? [{ what: 'swtpm', mib: m.swtpm }] : []),
    ...(shares > 0 ? [{ what: `virtiofsd x${shares}`, mib: m.virtiofsd * shares }] : []),
    { what: 'margin (qemu-img, xorrisofs, hooks)', mib: MARGIN_MIB },
  ];
  return { bytes: parts.reduce((sum, p) => sum + p.mib, 0) * MiB, parts };
}

/**
 * KubeVirt's estimate for the same VMI (x86_64, no graphics device since vm-launcher attaches none, no VFIO, SEV,
 * dedicated CPUs or probes): 240Mi fixed (monitor 25, virt-launcher 100, virtlogd 25, virtqemud 40, QEMU 50), guest
 * RAM / 512, 8Mi per vCPU, 8Mi for the I/O thread, 53Mi for a TPM; passt's binding plugin adds its own 250Mi.
 * Not used to size the Pod: the documentation and the tests compare against it.
 */
export function kubevirtOverheadBytes(spec: VmSpec): number {
  const fixedMiB = 25 + 100 + 25 + 40 + 50;
  const mib = fixedMiB + 8 * vcpuCount(spec) + 8 + (spec.hardware?.tpm ? 53 : 0) + ((spec.interfaces?.length ?? 0) > 0 ? 250 : 0);
  return mib * MiB + Math.floor(spec.memoryBytes / PAGE_TABLE_DIVISOR);
}

/** A byte count as a Kubernetes quantity in whole MiB, rounded up (what the Pod's resources say). */
export const asMiQuantity = (bytes: number): string => `${Math.ceil(bytes / MiB)}Mi`;
