// RSS of a running launcher's processes, per program: what the benchmarks print. The launcher (node), each daemon
// of its stack, QEMU, and passt, swtpm or virtiofsd when the VMI has them, found by the runtime dir their command
// line or environment names, plus the launcher's own children.
import { readdirSync, readFileSync } from 'node:fs';
import { processesMentioning } from '../harness/launcher-process.js';

/** The programs the tables name, in this order; anything else is listed after them. */
export const PROGRAMS = ['node', 'libvirtd', 'virtqemud', 'libvirt-dbus', 'dbus-daemon', 'qemu-system-x86', 'passt', 'passt.avx2', 'virtiofsd', 'swtpm'] as const;

/** pssKiB: RSS with each shared page divided among the processes that map it (/proc/PID/smaps_rollup), NaN if unreadable. */
export interface Sample { name: string; rssKiB: number; hwmKiB: number; pssKiB: number; pid: number }

function read(pid: number): Sample | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    if (/State:\s+Z/.test(status)) return undefined;
    const num = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
    return { name: /Name:\s+(\S+)/.exec(status)?.[1] ?? '?', rssKiB: num('VmRSS'), hwmKiB: num('VmHWM'), pssKiB: pss(pid), pid };
  } catch {
    return undefined;
  }
}

function pss(pid: number): number {
  try {
    return Number(/\nPss:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? NaN);
  } catch {
    return NaN;
  }
}

/** The direct children of `pid` (every thread's). */
export function children(pid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const ppid = Number(/PPid:\s+(\d+)/.exec(readFileSync(`/proc/${entry}/status`, 'utf8'))?.[1]);
      if (ppid === pid) out.push(Number(entry));
    } catch { /* gone */ }
  }
  return out;
}

/** Every live process of the launcher `pid` whose stack lives in `runtimeDir`, one sample each. */
export function sampleStack(pid: number, runtimeDir: string): Sample[] {
  const pids = new Set([pid, ...children(pid), ...processesMentioning(runtimeDir)]);
  return [...pids].flatMap((p) => read(p) ?? []);
}

/** RSS (or PSS) in KiB per program name (several processes of one name add up). */
export function rssByProgram(samples: readonly Sample[], field: 'rssKiB' | 'pssKiB' = 'rssKiB'): Map<string, number> {
  const m = new Map<string, number>();
  for (const s of samples) m.set(s.name, (m.get(s.name) ?? 0) + s[field]);
  return m;
}

/** Rss (KiB) of the mapping whose Size is `sizeKiB`, from /proc/PID/smaps: the guest's RAM inside QEMU. */
export function mappingRss(pid: number, sizeKiB: number): number {
  const smaps = readFileSync(`/proc/${pid}/smaps`, 'utf8');
  for (const block of smaps.split(/\n(?=[0-9a-f]+-[0-9a-f]+ )/)) {
    if (Number(/\nSize:\s+(\d+)/.exec(block)?.[1]) === sizeKiB) return Number(/\nRss:\s+(\d+)/.exec(block)?.[1] ?? 0);
  }
  return 0;
}
