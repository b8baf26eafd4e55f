// launcher/inspect/: everything `check`, `domain` and `run` learn before anything starts: the manifest, every
// volume (stat, statfs, qemu-img info, locks), the pod network (passt, libvirt's support, limits), cloud-init data,
// the host's programs. Read-only by construction: nothing here changes a byte on disk. This file: inspect every
// volume (in parallel: qemu-img dominates), the network and cloud-init, and build the domain, reporting every
// problem at once. The decisions made here (cache, io, the passt backend, the seed's content) are carried in the
// report, so the report and the run never decide again.
import { performance } from 'node:perf_hooks';
import { hasErrors, type Problem } from '../../domain/problem.js';
import { buildDomain, type SeedPlan } from '../../domain/convert/index.js';
import { domainToXml, type Domain } from '../../domain/libvirt/index.js';
import { startRefusals } from '../../domain/manifest/index.js';
import type { DiskSpec, VmSpec, VolumeFacts } from '../../domain/model/index.js';
import type { ImagePolicy, Plan } from '../plan/plan.js';
import { seedPath } from '../plan/runtime-layout.js';
import { inspectMissingImage, plannedGrowth } from './missing-image.js';
import { inspectDisk, type VolumeInspection } from './inspect-volume.js';
import { inspectNetwork, type NetworkPlan } from './inspect-network.js';
import { inspectCloudInit } from './inspect-cloud-init.js';
import { readAgentCredentials } from './access-credentials.js';
import type { AgentCredentials } from '../../domain/guest/index.js';
import { inspectShares, type ShareInspection, type Virtiofsd } from './inspect-shares.js';
import { inspectEphemeralDir } from './created-disk-facts.js';
import { checkFirmware, checkTpm } from './firmware-check.js';
import { nvramPath } from '../plan/nvram-path.js';
import type { ManifestResult } from './read-manifest.js';
import { checkGuestLimits } from './guest-limits.js';
import { sharedImages } from './disk-conflicts.js';
import { runtimeDirLengthProblem } from '../plan/runtime-dir-length.js';
import { fileNameProblems } from '../../domain/convert/index.js';

export interface PreflightReport {
  spec?: VmSpec;
  /** The manifest as the user wrote it, for hooks (VM_LAUNCHER_VMI_JSON). */
  raw?: unknown;
  volumes: VolumeInspection[];
  /** Manifest-level, network, cloud-init and domain-level problems (volume problems live in `volumes`). */
  problems: Problem[];
  /** The guest's NIC as decided; absent: the VMI has no interface (or it was refused). */
  network?: NetworkPlan;
  /** The cloud-init seed `run` builds. */
  seed?: SeedPlan;
  /** accessCredentials for the guest agent (qemuGuestAgent keys, userPassword): pushed once it connects. */
  agentCredentials?: AgentCredentials;
  /** Volumes shared with the guest through virtiofs (not disks), and the virtiofsd that serves them. */
  shares: ShareInspection[];
  virtiofsd?: Virtiofsd;
  /** The built domain: its disks carry the cache/io decided once, for the report to show. */
  domain?: Domain;
  xml?: string;
  ok: boolean;
  durationMs: number;
}

export const allProblems = (r: PreflightReport): Problem[] => [...r.problems, ...r.volumes.flatMap((v) => v.problems), ...r.shares.flatMap((s) => s.problems)];

const IMAGES_UNTOUCHED: ImagePolicy = {
  create: { value: false, source: 'run: already applied' },
  expand: { value: false, source: 'run: already applied' },
  allowPlainDir: { value: false, source: 'run: already applied' },
};

/**
 * `changes: false`: plan no change to any image (run's second look, after it created or grew them). `signal`:
 * run's shutdown, which stops every child preflight waits for (qemu-img info, virsh, QEMU's machine probe) at once;
 * the report is then incomplete and run exits Aborted without reading it.
 */
export async function preflight(plan: Plan, manifest: ManifestResult, opts: { changes?: boolean; signal?: AbortSignal } = {}): Promise<PreflightReport> {
  const t0 = performance.now();
  const report: PreflightReport = { volumes: [], shares: [], problems: [...manifest.problems], ok: false, durationMs: 0 };
  // Before any change: run refuses it at preflight, so a refused run has created and grown nothing.
  const runtimeTooLong = runtimeDirLengthProblem(plan.runtime.layout.root);
  if (runtimeTooLong) report.problems.push(runtimeTooLong);
  const spec = manifest.spec;
  const disks = spec?.disks ?? manifest.disks ?? [];
  // The ephemeral dir matters only when some disk is created there (emptyDisk, ephemeral).
  const ephemeralFacts = disks.some((d) => d.source.kind === 'emptyDisk' || d.source.kind === 'ephemeral') ? await inspectEphemeralDir(plan.ephemeralDir.value) : undefined;
  if (ephemeralFacts) report.problems.push(...ephemeralFacts.problems);
  const inspect = {
    layout: plan.volumes.layout, runAs: plan.runAs.value, qemuImg: plan.qemuImg, ...(opts.signal && { signal: opts.signal }),
    ...(ephemeralFacts && { ephemeral: { dir: plan.ephemeralDir.value, facts: ephemeralFacts } }),
  };
  // After run made its changes it inspects again with changes off: a missing image is then DiskImageMissing.
  const images = opts.changes === false ? IMAGES_UNTOUCHED : plan.images;
  const inspectOne = async (disk: DiskSpec) => (disk.source.kind === 'cloudInit' ? seedVolume(disk, plan) : (await inspectMissingImage(disk, { ...inspect, images })) ?? inspectDisk(disk, inspect));
  const credentialProblems: Problem[] = [];
  const [volumes, network, cloudInit, limits, shares, agentCredentials] = await Promise.all([
    Promise.all(disks.map(inspectOne)),
    spec ? inspectNetwork(spec, plan, opts.signal) : undefined,
    spec ? inspectCloudInit(spec, plan) : undefined,
    spec ? checkGuestLimits(spec, plan.runAs.value, opts.signal) : Promise.resolve([]),
    spec ? inspectShares(spec, plan) : undefined,
    spec ? readAgentCredentials(credentialProblems, spec, plan.cloudInit.secretsDir.value) : undefined,
  ]);
  report.volumes = volumes;
  if (images.expand.value) await Promise.all(report.volumes.map(async (v) => { v.change ??= await plannedGrowth(v, plan.volumes.layout, images.allowPlainDir.value); }));
  report.problems.push(...(network?.problems ?? []), ...(cloudInit?.problems ?? []), ...(shares?.problems ?? []));
  report.shares = shares?.shares ?? [];
  if (shares?.virtiofsd) report.virtiofsd = shares.virtiofsd;
  if (network?.plan) report.network = network.plan;
  if (cloudInit?.seed) report.seed = cloudInit.seed;
  report.problems.push(...credentialProblems);
  if (agentCredentials) report.agentCredentials = agentCredentials;
  // What run would only learn from a failed start: the guest against the node and QEMU, two disks on one file.
  const guestProblems = [...limits, ...sharedImages(volumes)];
  report.problems.push(...guestProblems);
  if (spec) {
    report.spec = spec;
    report.problems.push(...startRefusals(spec), ...fileNameProblems(spec));
    const nvram = spec.hardware?.firmware.persistentNvram ? nvramPath(plan.nvramDir.value, spec.name) : undefined;
    if (spec.hardware) report.problems.push(...await checkFirmware(spec.hardware.firmware, nvram, plan.runAs.value), ...await checkTpm(spec.hardware));
    report.raw = manifest.raw;
    if (!report.volumes.some((v) => hasErrors(v.problems)) && !hasErrors(guestProblems)) {
      const facts = new Map<string, VolumeFacts>();
      for (const v of report.volumes) if (v.facts) facts.set(v.disk.volumeName, v.facts);
      // A NIC refused above (passt missing or unsupported) has no backend: the domain is built without it, so the
      // rest of it is still checked, and only the real problems are reported (no XML comes of it).
      const nicRefused = (spec.interfaces?.length ?? 0) > 0 && !report.network;
      const built = buildDomain(nicRefused ? { ...spec, interfaces: [] } : spec, facts, {
        accel: plan.accel.value,
        consoleLogPath: plan.runtime.layout.consoleLog,
        // Always short enough for a unix socket: preflight refuses a runtime dir over 44 bytes (RuntimeDirTooLong).
        consoleSocketPath: plan.runtime.layout.serialSocket,
        agentSocketPath: plan.runtime.layout.agentSocket,
        ...(report.network && { network: { backend: report.network.backend.backend, passtLogFile: plan.runtime.layout.passtLog } }),
        ...(nvram && { nvramPath: nvram }),
        ...(report.shares.length > 0 && { virtiofsSocketDir: plan.runtime.layout.virtiofsDir }),
      });
      report.problems.push(...built.problems);
      if (built.domain && !hasErrors(built.problems) && !nicRefused) {
        report.domain = built.domain;
        report.xml = domainToXml(built.domain);
      }
    }
  }
  report.ok = report.xml !== undefined && !hasErrors(allProblems(report));
  report.durationMs = performance.now() - t0;
  return report;
}

/** A cloud-init disk has no volume in the pod: its image is the seed `run` builds in the runtime dir. */
async function seedVolume(disk: DiskSpec, plan: Plan): Promise<VolumeInspection> {
  const facts: VolumeFacts = {
    volume: disk.volumeName, kind: 'cloudInit', path: seedPath(plan.runtime.layout, disk.volumeName),
    // A small read-only ISO on the runtime dir (often tmpfs, no O_DIRECT): cached reads, no discard.
    fullyAllocated: true, directIo: false,
  };
  return { disk, facts, problems: [] };
}
