// `check`'s report: one line per volume for people, the whole report for machines (--json).
import { decideCache, decideIo } from '../domain/disk-policy.js';
import type { Problem } from '../domain/problem.js';
import type { VolumeInspection } from './inspect-volume.js';
import { allProblems, type PreflightReport } from './preflight.js';

const size = (n: number | undefined): string => {
  if (n === undefined) return '-';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return `${v.toFixed(v >= 10 || i === 0 ? 0 : 1)}${units[i]}`;
};

export function diskChoice(v: VolumeInspection): { cache?: string; io?: string } {
  if (!v.facts) return {};
  const cache = decideCache(v.disk.cache, v.facts.directIo);
  if (!cache.ok) return {};
  const io = decideIo(v.disk.io, cache.value, v.facts.kind, v.facts.fullyAllocated);
  return { cache: cache.value, io: io.ok ? io.value : undefined };
}

const problemLine = (p: Problem): string => {
  const field = p.field && !p.message.startsWith(p.field) ? ` (${p.field})` : '';
  return `    ${p.severity === 'error' ? 'ERROR' : 'warning'} ${p.reason}${field}: ${p.message}${p.fix ? `\n      fix: ${p.fix}` : ''}`;
};

export function formatReport(r: PreflightReport): string {
  const lines: string[] = [];
  const vm = r.spec ? `${r.spec.namespace}/${r.spec.name}` : '(manifest not usable)';
  lines.push(`VM ${vm}: ${r.ok ? 'can start' : 'CANNOT start'} (checked in ${r.durationMs.toFixed(0)} ms)`);
  for (const p of r.problems) lines.push(problemLine(p));
  for (const v of r.volumes) {
    const f = v.facts;
    const failed = v.problems.some((p) => p.severity === 'error');
    const choice = failed ? {} : diskChoice(v); // no cache/io for a disk that will not be used
    const status = failed ? 'ERROR' : v.problems.length ? 'warn' : 'ok';
    lines.push(`  ${status.padEnd(5)} ${v.disk.volumeName.padEnd(20)} ${(f?.kind ?? '?').padEnd(10)} ${f?.path ?? '-'}  format=${f?.format ?? '-'} virtual=${size(f?.virtualSize)} allocated=${size(f?.allocatedSize)} cache=${choice.cache ?? '-'} io=${choice.io ?? '-'}`);
    for (const p of v.problems) lines.push(problemLine(p));
  }
  return lines.join('\n');
}

export function reportJson(r: PreflightReport): object {
  return {
    ok: r.ok,
    vmi: r.spec ? { namespace: r.spec.namespace, name: r.spec.name, uid: r.spec.uid } : null,
    durationMs: Math.round(r.durationMs),
    problems: r.problems,
    volumes: r.volumes.map((v) => ({ volume: v.disk.volumeName, disk: v.disk.name, ...v.facts, ...diskChoice(v), problems: v.problems })),
    allProblems: allProblems(r).length,
  };
}
