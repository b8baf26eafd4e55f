// `check`'s report: one line per volume for people, the whole report for machines (--json). It shows what
// preflight decided (the built domain's disks); it never decides again.
import type { Problem } from '../../domain/problem.js';
import type { DomainDisk } from '../../domain/libvirt/index.js';
import type { Expansion, ExpansionOrigin, VolumeChange } from '../../domain/model/index.js';
import { allProblems, type PreflightReport } from '../inspect/preflight.js';
import type { VolumeInspection } from '../inspect/inspect-volume.js';
import { explainPlan, type Plan } from '../plan/plan.js';
import { describeNetwork } from '../inspect/inspect-network.js';
import { describeSeed } from '../../domain/convert/index.js';
import { describeShare, type ShareInspection } from '../inspect/inspect-shares.js';

const size = (n: number | undefined): string => {
  if (n === undefined) return '-';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return `${v.toFixed(v >= 10 || i === 0 ? 0 : 1)}${units[i]}`;
};

/** The disk preflight built for this volume (absent when the volume or the domain failed). */
function builtDisk(r: PreflightReport, v: VolumeInspection): DomainDisk | undefined {
  const i = r.spec?.disks.findIndex((d) => d.volumeName === v.disk.volumeName) ?? -1;
  return i >= 0 ? r.domain?.devices.disks[i] : undefined;
}

const problemLine = (p: Problem): string => {
  const field = p.field && !p.message.startsWith(p.field) ? ` (${p.field})` : '';
  return `    ${p.severity === 'error' ? 'ERROR' : 'warning'} ${p.reason}${field}: ${p.message}${p.fix ? `\n      fix: ${p.fix}` : ''}`;
};

/** What run will do to the image; check changes nothing. */
function changeNote(c: VolumeChange): string {
  if (c.kind === 'grow') return `would grow ${c.path} from ${size(c.fromBytes)} to ${size(c.toBytes)} (${c.why}); run grows it`;
  return `would create ${c.path}: ${size(c.sizeBytes)} ${c.preallocate ? 'fully allocated' : 'sparse'} (${c.why}); run creates it, cache/io are decided again on the created file`;
}

/** Per volume, what run does with it: use the image as it is, create it, or grow it. */
function action(v: VolumeInspection): object | undefined {
  if (!v.facts) return undefined;
  const c = v.change;
  if (!c) return { kind: 'use' };
  return c.kind === 'create'
    ? { kind: 'create', path: c.path, sizeBytes: c.sizeBytes, preallocated: c.preallocate, why: c.why }
    : { kind: 'grow', fromBytes: c.fromBytes, toBytes: c.toBytes, why: c.why };
}

/** What run will make for a disk that does not exist yet: check only says so. */
const createdNote = (c: NonNullable<VolumeInspection['facts']>['created'] & object): string => (c.kind === 'emptyDisk'
  ? `run creates ${c.path} (emptyDisk, ${size(c.sizeBytes)} sparse raw), removed at exit`
  : `run creates the overlay ${c.path} (qcow2, backing file this raw image, never written), removed at exit`);

export function formatReport(r: PreflightReport, plan?: Plan): string {
  const lines: string[] = [];
  const vm = r.spec ? `${r.spec.namespace}/${r.spec.name}` : '(manifest not usable)';
  lines.push(`VM ${vm}: ${r.ok ? 'can start' : 'CANNOT start'} (checked in ${r.durationMs.toFixed(0)} ms)`);
  for (const p of r.problems) lines.push(problemLine(p));
  for (const v of r.volumes) {
    const f = v.facts;
    const failed = v.problems.some((p) => p.severity === 'error');
    const disk = builtDisk(r, v);
    const status = failed ? 'ERROR' : v.problems.length ? 'warn' : 'ok';
    lines.push(`  ${status.padEnd(5)} ${v.disk.volumeName.padEnd(20)} ${(f?.kind ?? '?').padEnd(10)} ${f?.path ?? '-'}  format=${f?.format ?? '-'} virtual=${size(f?.virtualSize)} allocated=${size(f?.allocatedSize)} cache=${disk?.driver.cache ?? '-'} io=${disk?.driver.io ?? '-'}`);
    if (v.change) lines.push(`        ${changeNote(v.change)}`);
    if (f?.created) lines.push(`        ${createdNote(f.created)}`);
    for (const p of v.problems) lines.push(problemLine(p));
  }
  for (const s of r.shares) {
    const status = s.problems.some((p) => p.severity === 'error') ? 'ERROR' : s.problems.length ? 'warn' : 'ok';
    lines.push(`  ${status.padEnd(5)} ${s.share.volumeName.padEnd(20)} ${'share'.padEnd(10)} ${s.dir ?? '-'}  ${describeShare(s, r.virtiofsd)}`);
    for (const p of s.problems) lines.push(problemLine(p));
  }
  lines.push(...expansionLines(r.spec?.expansion));
  lines.push(...networkLines(r).map((l, i) => `  ${i === 0 ? 'network:' : '        '} ${l}`));
  if (r.seed) lines.push(`  cloud-init: ${describeSeed(r.seed)}`);
  if (plan) {
    lines.push('  settings:');
    for (const s of explainPlan(plan)) lines.push(`    ${s.setting.padEnd(19)} ${s.value}  [${s.source}]`);
  }
  return lines.join('\n');
}

export function reportJson(r: PreflightReport, plan?: Plan): object {
  return {
    ok: r.ok,
    vmi: r.spec ? { namespace: r.spec.namespace, name: r.spec.name, uid: r.spec.uid } : null,
    durationMs: Math.round(r.durationMs),
    problems: r.problems,
    volumes: [...r.volumes.map((v): object => {
      const disk = builtDisk(r, v);
      const act = action(v);
      return { volume: v.disk.volumeName, disk: v.disk.name, ...v.facts, ...(disk && { cache: disk.driver.cache, io: disk.driver.io }), ...(act && { action: act }), problems: v.problems };
    }), ...r.shares.map((s) => shareJson(s, r))],
    expansion: r.spec?.expansion ?? null,
    network: r.network ? { ...r.network, explained: describeNetwork(r.network) } : { interfaces: r.spec?.interfaces?.length ?? 0, explained: networkLines(r) },
    cloudInit: r.seed ? { ...r.seed, files: r.seed.files.map((f) => ({ path: f.path, bytes: f.data.length, from: f.from })), explained: describeSeed(r.seed) } : null,
    allProblems: allProblems(r).length,
    ...(plan && { plan: explainPlan(plan) }),
  };
}

const ORIGIN_WORDS: Record<ExpansionOrigin, string> = { instancetype: 'instance type', preference: 'preference', vm: 'VM (kept)' };

/** What the VM's instance type and preference put into it, value by value, with where each came from. */
function expansionLines(e: Expansion | undefined): string[] {
  if (!e) return [];
  const lines: string[] = [];
  if (e.instancetype) lines.push(`  instance type: ${e.instancetype.kind} ${e.instancetype.name} (${e.instancetype.from})`);
  if (e.preference) lines.push(`  preference: ${e.preference.kind} ${e.preference.name} (${e.preference.from})`);
  for (const f of e.fields) lines.push(`    ${f.field} = ${JSON.stringify(f.value)}  [${ORIGIN_WORDS[f.from]}]`);
  return lines;
}

/** The NIC as decided, or why there is none. */
function networkLines(r: PreflightReport): string[] {
  if (r.network) return describeNetwork(r.network);
  if (!r.spec) return [];
  if ((r.spec.interfaces?.length ?? 0) === 0) return ['none: the VMI has no interfaces, so the guest gets no NIC (add networks: [{name: default, pod: {}}] and an interface to get one)'];
  return ['not decided: see the problems above'];
}

/** A shared volume in `volumes`: kind `share`, action `share` via virtiofs (no image, nothing created or grown). */
function shareJson(s: ShareInspection, r: PreflightReport): object {
  return {
    volume: s.share.volumeName, filesystem: s.share.name, kind: 'share', path: s.dir ?? null, readOnly: s.share.readOnly,
    action: { kind: 'share', via: 'virtiofs', tag: s.share.name, socket: s.socketPath, virtiofsd: r.virtiofsd ?? null, explained: describeShare(s, r.virtiofsd) },
    problems: s.problems,
  };
}
