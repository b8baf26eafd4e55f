// Everything `check`, `domain` and `run` do before anything starts: read the manifest,
// inspect every volume (in parallel: qemu-img dominates), build the domain. Reports every
// problem at once. Changes nothing on disk.
import { performance } from 'node:perf_hooks';
import { hasErrors, type Problem } from '../domain/problem.js';
import { buildDomain, domainToXml } from '../domain/index.js';
import type { Accel, VmSpec, VolumeFacts } from '../domain/types.js';
import { inspectDisk, type VolumeInspection } from './inspect-volume.js';
import type { QemuImgLimits } from './qemu-img.js';
import { readManifest } from './read-manifest.js';
import type { RunAs } from './run-as.js';
import type { VolumeLayout } from './volume-paths.js';

export interface PreflightOptions {
  vmiPath: string;
  layout: VolumeLayout;
  accel: Accel;
  runAs?: RunAs;
  qemuImg: QemuImgLimits;
  consoleLogPath: string;
}

export interface PreflightReport {
  spec?: VmSpec;
  raw?: unknown;
  volumes: VolumeInspection[];
  /** Manifest-level and domain-level problems (volume problems live in `volumes`). */
  problems: Problem[];
  xml?: string;
  ok: boolean;
  durationMs: number;
}

export const allProblems = (r: PreflightReport): Problem[] => [...r.problems, ...r.volumes.flatMap((v) => v.problems)];

export async function preflight(opts: PreflightOptions): Promise<PreflightReport> {
  const t0 = performance.now();
  const manifest = await readManifest(opts.vmiPath);
  const report: PreflightReport = { volumes: [], problems: [...manifest.problems], ok: false, durationMs: 0 };
  const spec = manifest.spec;
  // qemu-img runs as the user QEMU will run as: a hostile image never meets root.
  const qemuImg = { ...opts.qemuImg, runAs: opts.qemuImg.runAs ?? opts.runAs };
  const disks = spec?.disks ?? manifest.disks ?? [];
  report.volumes = await Promise.all(disks.map((disk) => inspectDisk(disk, { layout: opts.layout, runAs: opts.runAs, qemuImg })));
  if (spec) {
    report.spec = spec;
    report.raw = manifest.raw;
    if (!report.volumes.some((v) => hasErrors(v.problems))) {
      const facts = new Map<string, VolumeFacts>();
      for (const v of report.volumes) if (v.facts) facts.set(v.disk.volumeName, v.facts);
      const built = buildDomain(spec, facts, { accel: opts.accel, consoleLogPath: opts.consoleLogPath });
      report.problems.push(...built.problems);
      if (built.domain && !hasErrors(built.problems)) report.xml = domainToXml(built.domain);
    }
  }
  report.ok = report.xml !== undefined && !hasErrors(allProblems(report));
  report.durationMs = performance.now() - t0;
  return report;
}
