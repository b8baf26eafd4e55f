// What `run` would only learn from a failed start, learned before: a machine type this QEMU lacks, more vCPUs than
// the machine type takes, more memory than the node has (RAM + swap: QEMU could not allocate it, or the node would
// thrash). QEMU itself is asked (QMP query-machines, as the VM user, under a timeout: about 0.1-0.5 s, in parallel
// with the volumes), only when there is something to ask: a machine type named in the manifest, or more vCPUs than
// the default machine type of every QEMU takes (255, i440fx).
import { readFile } from 'node:fs/promises';
import { execa } from 'execa';
import { problem, type Problem } from '../../domain/problem.js';
import { SYSTEM_PATH } from '../../domain/system.js';
import type { VmSpec } from '../../domain/model/index.js';
import type { RunAs } from '../common/run-as.js';

const QEMU = '/usr/bin/qemu-system-x86_64';
/** pc (i440fx) takes 255 vCPUs in every QEMU that libvirt 9+ supports; q35 takes more. */
const DEFAULT_MACHINE_MIN_CPU_MAX = 255;

export interface MachineType { name: string; alias?: string; cpuMax: number; isDefault: boolean }

/** The machine types QEMU offers, or undefined when it cannot tell (QEMU missing: HostProgramMissing says so). */
/** `signal` (run's shutdown) stops QEMU at once: undefined, as for any QEMU that could not answer. */
export async function qemuMachineTypes(runAs: RunAs | undefined, timeoutMs = 10_000, signal?: AbortSignal): Promise<MachineType[] | undefined> {
  const input = ['qmp_capabilities', 'query-machines', 'quit'].map((c) => JSON.stringify({ execute: c })).join('\n') + '\n';
  const r = await execa(QEMU, ['-machine', 'none', '-nodefaults', '-display', 'none', '-qmp', 'stdio'], {
    input, reject: false, timeout: timeoutMs, killSignal: 'SIGKILL', env: { PATH: SYSTEM_PATH, LANG: 'C' }, extendEnv: false, maxBuffer: 4 * 1024 * 1024,
    ...(runAs && { uid: runAs.uid, gid: runAs.gid }),
    ...(signal && { cancelSignal: signal }),
  });
  if (r.isCanceled) return undefined;
  for (const line of String(r.stdout ?? '').split('\n')) {
    try {
      const msg = JSON.parse(line) as { return?: unknown };
      if (!Array.isArray(msg.return)) continue;
      return (msg.return as Array<Record<string, unknown>>).map((m) => ({
        name: String(m['name']), ...(typeof m['alias'] === 'string' && { alias: m['alias'] }),
        cpuMax: Number(m['cpu-max'] ?? 1), isDefault: m['is-default'] === true,
      }));
    } catch { /* not this line */ }
  }
  return undefined;
}

/** RAM + swap of this node, in bytes (undefined when /proc/meminfo cannot be read). */
export async function nodeMemoryBytes(): Promise<number | undefined> {
  try {
    const text = await readFile('/proc/meminfo', 'utf8');
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0);
    return (kb('MemTotal') + kb('SwapTotal')) * 1024;
  } catch {
    return undefined;
  }
}

export async function checkGuestLimits(spec: VmSpec, runAs: RunAs | undefined, signal?: AbortSignal): Promise<Problem[]> {
  const problems: Problem[] = [];
  const vcpus = spec.cpu.sockets * spec.cpu.cores * spec.cpu.threads;
  const askQemu = spec.machineType !== undefined || vcpus > DEFAULT_MACHINE_MIN_CPU_MAX;
  const [machines, memory] = await Promise.all([askQemu ? qemuMachineTypes(runAs, undefined, signal).catch(() => undefined) : undefined, nodeMemoryBytes()]);
  const gib = (n: number) => `${(n / 2 ** 30).toFixed(1)} GiB`;
  if (memory !== undefined && spec.memoryBytes > memory) {
    problems.push(problem('GuestMemoryTooLarge', `the guest's memory (${spec.memoryBytes > 2 ** 60 ? spec.memoryBytes.toExponential(2) + ' bytes' : gib(spec.memoryBytes)}) is more than this node's RAM and swap (${gib(memory)})`, {
      field: 'spec.domain.memory.guest',
    }));
  }
  if (machines) {
    const wanted = spec.machineType;
    const machine = wanted === undefined ? machines.find((m) => m.isDefault) : machines.find((m) => m.name === wanted || m.alias === wanted);
    if (!machine && wanted !== undefined) {
      const offered = machines.filter((m) => m.alias).map((m) => `${m.alias} (${m.name})`).join(', ');
      problems.push(problem('MachineTypeUnknown', `machine type ${JSON.stringify(wanted)} is not one this QEMU offers`, {
        field: 'spec.domain.machine.type', fix: `use one of: ${offered}, or remove machine.type`,
      }));
    }
    if (machine && vcpus > machine.cpuMax) {
      problems.push(problem('CpuCountTooLarge', `${vcpus} vCPUs (sockets x cores x threads) but machine type ${machine.name} takes at most ${machine.cpuMax}`, {
        field: 'spec.domain.cpu',
      }));
    }
  }
  return problems;
}
